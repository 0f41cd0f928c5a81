"""The planning models, timed (issue 6): the project's simulator against a SimPy model of the same
M/M/48 hypercube system in one run, and the exact (N = 15) and approximate (N = 48) hypercube.

    .venv/bin/python bench/simulate.py [--calls 200000] [--repeat 3]

Both simulators take the same random streams (arrivals, atoms, service draws made up front with
NumPy), so the comparison is of the event machinery: calls per second, and how their workload
estimates agree with each other and with Larson's approximation. SimPy's is written the way its
documentation models a process per customer, with a FIFO line of waiting events.
"""

import argparse
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from precinct.planning import hypercube as h
from precinct.planning.simulate import simulate


def fleet(n: int, atoms: int, load: float, seed: int) -> h.Model:
    rng = random.Random(seed)
    rates = [rng.uniform(0.5, 1.5) for _ in range(atoms)]
    lam = sum(rates)
    mu = lam / (load * n)
    doc = {
        "units": [{"id": f"car{i:02d}", "mu": mu} for i in range(n)],
        "atoms": [
            {
                "id": f"a{j}",
                "rate": r,
                "preference": [f"car{i:02d}" for i in rng.sample(range(n), n)],
            }
            for j, r in enumerate(rates)
        ],
        "queue": "infinite",
    }
    return h.read(doc)


def simpy_run(model: h.Model, calls: int, seed: int) -> tuple[float, np.ndarray]:
    """SimPy, a process per call. Returns (seconds, workload per unit)."""
    import simpy

    n = len(model.units)
    rng = np.random.default_rng(seed)
    lam = model.arrival_rate
    rates = np.array([a.rate for a in model.atoms])
    gaps = rng.exponential(1.0 / lam, calls).tolist()
    atoms = rng.choice(len(model.atoms), size=calls, p=rates / lam).tolist()
    work = rng.exponential(1.0, calls).tolist()
    prefs = [list(a.preference) for a in model.atoms]
    inv_mu = [1.0 / u.mu for u in model.units]
    busy = [0.0] * n
    started = time.perf_counter()
    env = simpy.Environment()
    free = [True] * n
    waiting: deque = deque()

    def call(i: int):
        unit = next((u for u in prefs[atoms[i]] if free[u]), None)
        if unit is None:
            handed = env.event()
            waiting.append(handed)
            unit = yield handed
        free[unit] = False
        duration = work[i] * inv_mu[unit]
        busy[unit] += duration
        yield env.timeout(duration)
        if waiting:
            waiting.popleft().succeed(unit)
        else:
            free[unit] = True

    def source():
        for i in range(calls):
            yield env.timeout(gaps[i])
            env.process(call(i))

    env.process(source())
    env.run()
    took = time.perf_counter() - started
    return took, np.array(busy) / sum(gaps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model = fleet(48, 200, 0.6, seed=1)
    approx = h.solve_approx(model)
    ours_s, simpy_s = [], []
    ours_w = simpy_w = None
    for r in range(args.repeat):
        t = time.perf_counter()
        result = simulate(model, calls=args.calls, seed=100 + r, warmup=0.0, batches=20)
        ours_s.append(time.perf_counter() - t)
        ours_w = np.array([e.mean for e in result.workload.values()])
        took, simpy_w = simpy_run(model, args.calls, seed=100 + r)
        simpy_s.append(took)
    assert ours_w is not None and simpy_w is not None
    approx_w = np.array(list(approx.workload.values()))
    ours_rate = args.calls / statistics.median(ours_s)
    simpy_rate = args.calls / statistics.median(simpy_s)
    print(
        f"M/M/48 hypercube, 200 atoms, utilisation 0.6, {args.calls:,} calls, median of {args.repeat}"
    )
    print(f"precinct simulator: {ours_rate:,.0f} calls/s ({statistics.median(ours_s):.2f} s)")
    print(
        f"SimPy (process per call): {simpy_rate:,.0f} calls/s ({statistics.median(simpy_s):.2f} s)"
    )
    print(f"throughput ratio: {ours_rate / simpy_rate:.1f}x (target 5x)")
    print(
        "workload agreement: max |precinct - SimPy| "
        f"{np.max(np.abs(ours_w - simpy_w)):.4f}; max |precinct - Larson approx| "
        f"{np.max(np.abs(ours_w - approx_w)):.4f}; mean workload precinct {ours_w.mean():.4f}, "
        f"SimPy {simpy_w.mean():.4f}, approx {approx_w.mean():.4f}"
    )
    # the analytic models
    exact_model = fleet(15, 60, 0.6, seed=2)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        h.solve_exact(exact_model)
        times.append(time.perf_counter() - t)
    print(
        f"exact hypercube N=15 (32,768 states): median {statistics.median(times):.2f} s (target 5 s)"
    )
    times = []
    for _ in range(max(args.repeat, 5)):
        t = time.perf_counter()
        h.solve_approx(model)
        times.append(time.perf_counter() - t)
    print(
        f"approximate hypercube N=48, 200 atoms: median {statistics.median(times) * 1000:.0f} ms "
        f"({approx.iterations} iterations; target 100 ms)"
    )


if __name__ == "__main__":
    main()
