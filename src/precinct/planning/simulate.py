"""A discrete-event simulation of the hypercube system: the same input, the same outputs, each
with a 95 % confidence interval (batch means). Pure: NumPy for the random streams, one loop over
calls for the events, compiled by Numba (no process objects: see bench/simulate.py against
SimPy, ADR 0016).

Calls arrive as one Poisson stream split among atoms by rate; a call goes to the first free unit
on its atom's preference list (units left out follow in input order); service is exponential at
the unit's rate. With every unit busy the call waits in one FCFS line (``infinite``) for the first
unit to come free, or is lost (``loss``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit
from scipy import stats

from .hypercube import INFINITE, Model, _complete


@dataclass(frozen=True)
class Estimate:
    mean: float
    half_width: float  # of the 95 % confidence interval

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def covers(self, value: float, slack: float = 0.0) -> bool:
        return self.low - slack <= value <= self.high + slack

    def as_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci95": [self.low, self.high]}


@dataclass(frozen=True)
class SimResult:
    workload: dict[str, Estimate]
    p_all_busy: Estimate
    dispatch_fraction: dict[str, dict[str, Estimate]]
    interresponse_fraction: Estimate
    mean_travel_time: Estimate | None
    calls: int
    batches: int

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "workload": {k: v.as_dict() for k, v in self.workload.items()},
            "p_all_busy": self.p_all_busy.as_dict(),
            "dispatch_fraction": {
                u: {a: e.as_dict() for a, e in row.items()}
                for u, row in self.dispatch_fraction.items()
            },
            "interresponse_fraction": self.interresponse_fraction.as_dict(),
            "calls": self.calls,
            "batches": self.batches,
            "method": "simulation",
        }
        if self.mean_travel_time is not None:
            out["mean_travel_time"] = self.mean_travel_time.as_dict()
        return out


def _estimates(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batch means along the first axis: (mean, 95 % half-width), element by element."""
    k = values.shape[0]
    mean = values.mean(axis=0)
    if k < 2:
        return mean, np.full_like(mean, math.inf)
    t = float(stats.t.ppf(0.975, k - 1))
    return mean, t * values.std(axis=0, ddof=1) / math.sqrt(k)


def _estimate(values: np.ndarray) -> Estimate:
    mean, half = _estimates(values)
    return Estimate(float(mean), float(half))


@njit(cache=True)
def _serve(call, unit, start, work, inv_mu, free_at, atoms, first_choice, travel, has_travel,
           skip, calls, batches, busy_time, sent, inter, travel_sum, travel_n):  # fmt: skip
    duration = work[call] * inv_mu[unit]
    free_at[unit] = start + duration
    if call >= skip:
        b = min((call - skip) * batches // calls, batches - 1)
        atom = atoms[call]
        busy_time[b, unit] += duration
        sent[b, unit, atom] += 1
        if unit != first_choice[atom]:
            inter[b] += 1
        if has_travel:
            minutes = travel[atom, unit]
            if not math.isnan(minutes):
                travel_sum[b] += minutes
                travel_n[b] += 1


@njit(cache=True)
def _run(arrivals, atoms, work, prefs, first_choice, inv_mu, travel, has_travel, queue_calls,
         skip, calls, batches, busy_time, sent, all_busy, inter, travel_sum, travel_n, counts):  # fmt: skip
    """The event loop, compiled: completions up to each arrival (a unit that comes free takes
    the longest-waiting call), then the arrival to the first free unit on its list."""
    n = inv_mu.shape[0]
    total = arrivals.shape[0]
    free_at = np.zeros(n)
    busy = np.zeros(n, np.bool_)
    waiting = np.empty(total, np.int64)
    head = 0
    tail = 0
    for call in range(total):
        t = arrivals[call]
        while True:  # the earliest completion at or before t, one at a time
            best = -1
            best_t = t
            for u in range(n):
                if busy[u] and free_at[u] <= best_t:
                    best_t = free_at[u]
                    best = u
            if best < 0:
                break
            if head < tail:
                queued = waiting[head]
                head += 1
                _serve(queued, best, best_t, work, inv_mu, free_at, atoms, first_choice, travel,
                       has_travel, skip, calls, batches, busy_time, sent, inter, travel_sum,
                       travel_n)  # fmt: skip
            else:
                busy[best] = False
        atom = atoms[call]
        placed = False
        for k in range(n):
            u = prefs[atom, k]
            if not busy[u]:
                busy[u] = True
                _serve(call, u, t, work, inv_mu, free_at, atoms, first_choice, travel, has_travel,
                       skip, calls, batches, busy_time, sent, inter, travel_sum, travel_n)  # fmt: skip
                placed = True
                break
        b = min(max(call - skip, 0) * batches // calls, batches - 1)
        if not placed:
            if call >= skip:
                all_busy[b] += 1
            if queue_calls:
                waiting[tail] = call
                tail += 1
        if call >= skip:
            counts[b] += 1


def simulate(
    model: Model, *, calls: int, seed: int, batches: int = 20, warmup: float = 0.05
) -> SimResult:
    """Simulate ``calls`` calls after a warm-up of ``warmup`` × calls; the measured calls are cut
    into ``batches`` batches whose means give the confidence intervals."""
    n, n_atoms = len(model.units), len(model.atoms)
    rng = np.random.default_rng(seed)
    lam = model.arrival_rate
    rates = np.array([a.rate for a in model.atoms])
    skip = int(calls * warmup)
    total = calls + skip
    arrivals = np.cumsum(rng.exponential(1.0 / lam, total))
    atoms = rng.choice(n_atoms, size=total, p=rates / lam).astype(np.int64)
    work = rng.exponential(1.0, total)  # service in units of 1/μ of the unit that serves
    prefs = np.array([_complete(a.preference, n) for a in model.atoms], dtype=np.int64)
    first_choice = prefs[:, 0].copy()
    inv_mu = np.array([1.0 / u.mu for u in model.units])
    travel = np.full((n_atoms, n), np.nan)
    for j, a in enumerate(model.atoms):
        if a.travel is not None:
            travel[j] = [math.nan if t is None else t for t in a.travel]
    has_travel = any(a.travel is not None for a in model.atoms)
    busy_time = np.zeros((batches, n))
    sent = np.zeros((batches, n, n_atoms))
    all_busy = np.zeros(batches)
    inter = np.zeros(batches)
    travel_sum = np.zeros(batches)
    travel_n = np.zeros(batches)
    counts = np.zeros(batches)
    _run(arrivals, atoms, work, prefs, first_choice, inv_mu, travel, has_travel,
         model.queue == INFINITE, skip, calls, batches, busy_time, sent, all_busy, inter,
         travel_sum, travel_n, counts)  # fmt: skip
    # the time each batch spans: from its first to its last arrival
    edges = [skip + (b * calls) // batches for b in range(batches)] + [total - 1]
    span = np.array([arrivals[edges[b + 1]] - arrivals[edges[b]] for b in range(batches)])
    span[span <= 0] = math.nan
    workload = busy_time / span[:, None]
    dispatched = sent.sum(axis=(1, 2))
    w_mean, w_half = _estimates(workload)
    f_mean, f_half = _estimates(sent / counts[:, None, None])
    return SimResult(
        workload={
            u.id: Estimate(float(w_mean[i]), float(w_half[i])) for i, u in enumerate(model.units)
        },
        p_all_busy=_estimate(all_busy / counts),
        dispatch_fraction={
            u.id: {
                a.id: Estimate(float(f_mean[i, j]), float(f_half[i, j]))
                for j, a in enumerate(model.atoms)
            }
            for i, u in enumerate(model.units)
        },
        interresponse_fraction=_estimate(inter / np.maximum(dispatched, 1)),
        mean_travel_time=_estimate(travel_sum / np.maximum(travel_n, 1)) if has_travel else None,
        calls=calls,
        batches=batches,
    )
