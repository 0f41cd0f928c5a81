"""The simulator agrees with the exact hypercube model within its confidence intervals, and is
reproducible by seed."""

import random

import pytest

from precinct.planning import hypercube as h
from precinct.planning.simulate import simulate

from .test_hypercube import model


def _agrees(estimate, exact: float) -> bool:
    # within 1.5 half-widths (about a 99.6 % interval): many quantities are checked at once
    return abs(estimate.mean - exact) <= 1.5 * estimate.half_width + 1e-3


@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_simulation_agrees_with_the_exact_model(queue: str) -> None:
    rng = random.Random(11)
    n = 5
    atoms = [(rng.uniform(0.1, 0.5), rng.sample(range(n), n)) for _ in range(8)]
    m = model(n, atoms, queue, travel=True)
    exact = h.solve_exact(m)
    sim = simulate(m, calls=200_000, seed=5)
    for unit, w in exact.workload.items():
        assert _agrees(sim.workload[unit], w), (unit, sim.workload[unit], w)
    assert _agrees(sim.p_all_busy, exact.p_all_busy)
    assert _agrees(sim.interresponse_fraction, exact.interresponse_fraction)
    assert exact.mean_travel_time is not None and sim.mean_travel_time is not None
    assert _agrees(sim.mean_travel_time, exact.mean_travel_time)
    for unit, row in exact.dispatch_fraction.items():
        for atom, f in row.items():
            assert _agrees(sim.dispatch_fraction[unit][atom], f), (unit, atom)
    # the intervals are real: narrow with many calls, and not zero
    assert 0 < sim.p_all_busy.half_width < 0.02


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    m = model(3, [(0.5, [0, 1, 2]), (0.7, [2, 1, 0])])
    a = simulate(m, calls=5_000, seed=1).as_dict()
    assert a == simulate(m, calls=5_000, seed=1).as_dict()
    assert a != simulate(m, calls=5_000, seed=2).as_dict()
