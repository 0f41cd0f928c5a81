"""Larson's hypercube queuing model of a patrol fleet (Larson 1974; the approximation of 1975;
Larson & Odoni, *Urban Operations Research*, ch. 5). Pure: NumPy and SciPy only.

N units, each busy or free: 2^N states. Calls arrive from atoms (Poisson, rate λ_j); a call goes
to the first free unit on its atom's fixed preference list; service is exponential with the
unit's rate μ_i. When every unit is busy the call is lost (``queue="loss"``) or waits in one
first-come-first-served line (``queue="infinite"``) and goes to the first unit to come free.

The exact model solves the 2^N balance equations as a sparse linear system (N up to ~16). The
approximation keeps only the N workloads and iterates Larson's correction factors (N of 48 and
more).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import spsolve

LOSS, INFINITE = "loss", "infinite"
MAX_EXACT_UNITS = 20
DIRECT_UP_TO = 10  # units: a sparse LU up to here; above, its fill-in grows too fast


class ModelError(ValueError):
    """Bad input, named: an unknown unit in a preference list, a negative rate, an infinite queue
    that can never empty (ρ ≥ 1)."""


@dataclass(frozen=True)
class Unit:
    id: str
    mu: float  # service rate (calls per unit of time)


@dataclass(frozen=True)
class Atom:
    id: str
    rate: float  # λ_j, calls per unit of time
    preference: tuple[int, ...]  # unit positions, most preferred first
    travel: tuple[float | None, ...] | None = None  # minutes from each unit (by position)


@dataclass(frozen=True)
class Model:
    units: tuple[Unit, ...]
    atoms: tuple[Atom, ...]
    queue: str = INFINITE

    @property
    def arrival_rate(self) -> float:
        return float(sum(a.rate for a in self.atoms))

    @property
    def service_rate(self) -> float:
        return float(sum(u.mu for u in self.units))


@dataclass(frozen=True)
class Result:
    workload: dict[str, float]
    p_all_busy: float
    dispatch_fraction: dict[str, dict[str, float]]
    interresponse_fraction: float
    mean_travel_time: float | None
    method: str
    iterations: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "workload": self.workload,
            "p_all_busy": self.p_all_busy,
            "dispatch_fraction": self.dispatch_fraction,
            "interresponse_fraction": self.interresponse_fraction,
            "method": self.method,
        }
        if self.mean_travel_time is not None:
            out["mean_travel_time"] = self.mean_travel_time
        if self.iterations:
            out["iterations"] = self.iterations
        return out


def read(document: Any) -> Model:
    """The JSON input: ``{"units": [{"id", "mu"}], "atoms": [{"id", "rate", "preference",
    "travel"?}], "queue": "infinite"|"loss"}``. Every problem names its place."""
    if not isinstance(document, Mapping):
        raise ModelError("the input must be a JSON object with 'units' and 'atoms'")
    raw_units = document.get("units")
    if not isinstance(raw_units, list) or not raw_units:
        raise ModelError("'units' must be a non-empty list")
    units: list[Unit] = []
    index: dict[str, int] = {}
    for i, u in enumerate(raw_units):
        where = f"units[{i}]"
        if not isinstance(u, Mapping):
            raise ModelError(f"{where}: must be an object with 'id' and 'mu'")
        uid = _ident(u, where, "unit", index)
        mu = _positive(u.get("mu"), f"{where}.mu")
        index[uid] = len(units)
        units.append(Unit(uid, mu))
    raw_atoms = document.get("atoms")
    if not isinstance(raw_atoms, list) or not raw_atoms:
        raise ModelError("'atoms' must be a non-empty list")
    atoms: list[Atom] = []
    seen: set[str] = set()
    for j, a in enumerate(raw_atoms):
        where = f"atoms[{j}]"
        if not isinstance(a, Mapping):
            raise ModelError(f"{where}: must be an object with 'id', 'rate' and 'preference'")
        aid = _ident(a, where, "atom", seen)
        seen.add(aid)
        rate = a.get("rate")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate):
            raise ModelError(f"{where}.rate: must be a number")
        if rate < 0:
            raise ModelError(f"{where}.rate: must not be negative ({rate})")
        pref = a.get("preference")
        if not isinstance(pref, list) or not pref:
            raise ModelError(f"{where}.preference: must be a non-empty list of unit ids")
        order: list[int] = []
        for k, p in enumerate(pref):
            if str(p) not in index:
                raise ModelError(f"{where}.preference[{k}]: unknown unit {p!r}")
            if index[str(p)] in order:
                raise ModelError(f"{where}.preference[{k}]: unit {p!r} listed twice")
            order.append(index[str(p)])
        travel: tuple[float | None, ...] | None = None
        if a.get("travel") is not None:
            t = a["travel"]
            if not isinstance(t, Mapping):
                raise ModelError(f"{where}.travel: must map unit ids to minutes")
            values: list[float | None] = [None] * len(units)
            for key, minutes in t.items():
                if str(key) not in index:
                    raise ModelError(f"{where}.travel: unknown unit {key!r}")
                if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0:
                    raise ModelError(f"{where}.travel.{key}: must be minutes, not negative")
                values[index[str(key)]] = float(minutes)
            travel = tuple(values)
        atoms.append(Atom(aid, float(rate), tuple(order), travel))
    queue = document.get("queue", INFINITE)
    if queue not in (LOSS, INFINITE):
        raise ModelError('\'queue\' must be "infinite" or "loss"')
    model = Model(tuple(units), tuple(atoms), str(queue))
    if model.arrival_rate <= 0:
        raise ModelError("the atoms' rates add up to zero: nothing to model")
    if queue == INFINITE:
        rho = model.arrival_rate / model.service_rate
        if rho >= 1:
            raise ModelError(
                f"ρ = λ/Σμ = {rho:.3f} ≥ 1: with an infinite queue the line grows without end "
                '(add units or use "loss")'
            )
    return model


UNREACHABLE_S = 3600.0  # a post that cannot reach a node counts as an hour away


def districts(
    times_s: np.ndarray,
    weights: np.ndarray,
    ids: Sequence[str],
    *,
    rate: float,
    mu: float,
    queue: str = INFINITE,
) -> dict[str, Any]:
    """The hypercube input of a fleet on the road network: one unit per row of ``times_s``
    (seconds from its post to each demand node, ``weights`` incidents at each), with service rate
    ``mu``; one atom per unit's district — the demand nodes it is the nearest to — carrying its
    share of ``rate``, every unit by demand-weighted mean travel time to the district, and those
    minutes. The document :func:`read` takes (and ``precinct plan hypercube``)."""
    times = np.where(np.isfinite(times_s), times_s, UNREACHABLE_S)
    nearest = np.argmin(times, axis=0)
    total = float(weights.sum())
    atoms = []
    for u, uid in enumerate(ids):
        members = nearest == u
        w = weights[members]
        if w.sum() <= 0:
            continue
        mean = (times[:, members] * w).sum(axis=1) / w.sum() / 60.0
        order = np.argsort(mean, kind="stable")
        atoms.append(
            {
                "id": f"district-{uid}",
                "rate": rate * float(w.sum()) / total,
                "preference": [ids[i] for i in order],
                "travel": {ids[i]: round(float(mean[i]), 3) for i in range(len(ids))},
            }
        )
    return {"units": [{"id": uid, "mu": mu} for uid in ids], "atoms": atoms, "queue": queue}


def _ident(item: Mapping[str, Any], where: str, kind: str, taken: Any) -> str:
    """An item's id as text: present, not empty, not already ``taken``."""
    raw = item.get("id")
    if not isinstance(raw, str | int) or isinstance(raw, bool) or str(raw) == "":
        raise ModelError(f"{where}.id: must be a non-empty string")
    ident = str(raw)
    if ident in taken:
        raise ModelError(f"{where}.id: {kind} {ident!r} appears twice")
    return ident


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ModelError(f"{where}: must be a number")
    if value <= 0:
        raise ModelError(f"{where}: must be positive ({value})")
    return float(value)


# --- the exact model -----------------------------------------------------------------------------
def _first_free(model: Model, states: np.ndarray) -> np.ndarray:
    """For each atom (rows) and state (columns): the position of the unit a call goes to, or -1
    when every unit is busy (units an atom's list leaves out follow it, in input order)."""
    out = np.full((len(model.atoms), len(states)), -1, dtype=np.int64)
    n = len(model.units)
    for j, atom in enumerate(model.atoms):
        row = out[j]
        for i in _complete(atom.preference, n):
            free = ((states >> i) & 1) == 0
            take = (row == -1) & free
            row[take] = i
    return out


def solve_exact(model: Model) -> Result:
    """The 2^N balance equations, solved as one sparse linear system."""
    n = len(model.units)
    if n > MAX_EXACT_UNITS:
        raise ModelError(
            f"the exact model takes at most {MAX_EXACT_UNITS} units (got {n}): use the approximation"
        )
    size = 1 << n
    states = np.arange(size, dtype=np.int64)
    rates = np.array([a.rate for a in model.atoms])
    mu = np.array([u.mu for u in model.units])
    first = _first_free(model, states)  # atoms x states
    # upward transitions: state -> state | (1 << i), at the rates of the atoms sending to i
    rows, cols, vals = [], [], []
    for j in range(len(model.atoms)):
        go = first[j] >= 0
        if rates[j] == 0 or not go.any():
            continue
        src = states[go]
        rows.append(src)
        cols.append(src | (1 << first[j][go]))
        vals.append(np.full(int(go.sum()), rates[j]))
    # downward transitions: a busy unit finishes
    for i in range(n):
        busy = ((states >> i) & 1) == 1
        src = states[busy]
        rows.append(src)
        cols.append(src & ~(1 << i))
        vals.append(np.full(len(src), mu[i]))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    v = np.concatenate(vals)
    out_rate = np.bincount(r, weights=v, minlength=size)
    pi = (
        _stationary_direct(r, c, v, out_rate, size)
        if n <= DIRECT_UP_TO
        else _stationary_levels(model, r, c, v, out_rate, states)
    )
    full = size - 1
    tail = 1.0
    if model.queue == INFINITE:
        rho = model.arrival_rate / model.service_rate
        tail = 1.0 / (1.0 - rho)  # P(all busy, k waiting) = P(all busy, none waiting) ρ^k
        pi = pi.copy()
        norm = pi.sum() - pi[full] + pi[full] * tail
        pi /= norm
    p_full = float(pi[full] * tail)
    busy_bits = ((states[:, None] >> np.arange(n)) & 1).astype(float)
    workload = busy_bits.T @ pi
    if model.queue == INFINITE:
        workload = workload + pi[full] * (tail - 1.0)  # queued states: everyone busy
    # dispatch fractions: a call from atom j in state s goes to first[j, s]
    lam = model.arrival_rate
    frac = np.zeros((n, len(model.atoms)))
    for j in range(len(model.atoms)):
        go = first[j] >= 0
        if rates[j] == 0:
            continue
        np.add.at(frac[:, j], first[j][go], rates[j] * pi[go] / lam)
        if model.queue == INFINITE:
            # queued: served by the first unit to come free (unit i with probability μ_i/Σμ)
            frac[:, j] += rates[j] / lam * p_full * mu / mu.sum()
    return _result(model, workload, p_full, frac, "exact")


def _result(model: Model, workload: np.ndarray, p_full: float, frac: np.ndarray, method: str,
            iterations: int = 0) -> Result:  # fmt: skip
    served = float(frac.sum())
    inter = 0.0
    travel_sum, travel_weight = 0.0, 0.0
    for j, atom in enumerate(model.atoms):
        first_choice = atom.preference[0]
        inter += float(frac[:, j].sum() - frac[first_choice, j])
        if atom.travel is not None:
            for i in range(len(model.units)):
                t = atom.travel[i]
                if t is not None and frac[i, j] > 0:
                    travel_sum += frac[i, j] * t
                    travel_weight += frac[i, j]
    has_travel = any(a.travel is not None for a in model.atoms)
    return Result(
        workload={u.id: float(workload[i]) for i, u in enumerate(model.units)},
        p_all_busy=float(p_full),
        dispatch_fraction={
            u.id: {a.id: float(frac[i, j]) for j, a in enumerate(model.atoms)}
            for i, u in enumerate(model.units)
        },
        interresponse_fraction=inter / served if served > 0 else 0.0,
        mean_travel_time=(travel_sum / travel_weight) if has_travel and travel_weight > 0 else None,
        method=method,
        iterations=iterations,
    )


def _stationary_direct(
    r: np.ndarray, c: np.ndarray, v: np.ndarray, out_rate: np.ndarray, size: int
) -> np.ndarray:
    """Qᵀπ = 0 with the first equation replaced by Σπ = 1, by sparse LU (rows of Qᵀ are the
    destinations)."""
    states = np.arange(size)
    keep = c != 0
    diag = states != 0
    a = csr_matrix(
        (
            np.concatenate([v[keep], -out_rate[diag], np.ones(size)]),
            (
                np.concatenate([c[keep], states[diag], np.zeros(size, dtype=np.int64)]),
                np.concatenate([r[keep], states[diag], states]),
            ),
        ),
        shape=(size, size),
    )
    rhs = np.zeros(size)
    rhs[0] = 1.0
    pi = np.maximum(spsolve(a.tocsc(), rhs), 0.0)
    return pi / pi.sum()


def _stationary_levels(
    model: Model,
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    out_rate: np.ndarray,
    states: np.ndarray,
    *,
    tolerance: float = 1e-12,
    max_sweeps: int = 5000,
) -> np.ndarray:
    """The balance equations by Gauss-Seidel over levels (the number of busy units: every
    transition moves one level up or down, so the states of one level are updated together)
    with aggregation after each sweep: the level totals are set to those of the birth-death chain
    the levels form (up at λ, down at the current mean completion rate of the level) —
    iterative aggregation-disaggregation (Takahashi), which settles in tens of sweeps where plain
    Gauss-Seidel needs thousands."""
    n = len(model.units)
    size = len(states)
    lam = model.arrival_rate
    mu = np.array([u.mu for u in model.units])
    bits = ((states[:, None] >> np.arange(n)) & 1).astype(float)
    level = bits.sum(axis=1).astype(np.int64)
    down = bits @ mu  # completion rate of each state
    into = csr_matrix((v, (c, r)), shape=(size, size))  # row s: the rates into s from each source
    groups = [np.flatnonzero(level == k) for k in range(n + 1)]
    rows = [into[g] for g in groups]
    pi = np.zeros(size)
    for g in groups:
        pi[g] = 1.0 / len(g)
    for _sweep in range(max_sweeps):
        for g, rows_k in zip(groups, rows, strict=True):
            pi[g] = (rows_k @ pi) / out_rate[g]
        totals = np.bincount(level, weights=pi, minlength=n + 1)
        mean_down = np.bincount(level, weights=pi * down, minlength=n + 1) / np.maximum(
            totals, 1e-300
        )
        agg = np.ones(n + 1)
        for k in range(1, n + 1):
            agg[k] = agg[k - 1] * lam / mean_down[k]
        agg /= agg.sum()
        pi *= (agg / np.maximum(totals, 1e-300))[level]
        residual = float(np.abs(into @ pi - out_rate * pi).sum()) / (lam + mu.sum())
        if residual < tolerance:
            break
    return pi / pi.sum()


# --- Larson's approximation ----------------------------------------------------------------------
def _occupancy(model: Model) -> tuple[np.ndarray, float, float]:
    """The M/M/N (infinite queue) or M/M/N/N (loss) distribution of the number of busy units,
    P_0..P_{N-1}, with P(all busy) and the mean utilisation ρ — the aggregate the approximation
    corrects with. Logarithms keep N of 100 and more finite."""
    n = len(model.units)
    lam = model.arrival_rate
    mu_bar = model.service_rate / n
    a = lam / mu_bar  # offered load in units
    k = np.arange(n + 1)
    log_terms = k * math.log(a) - np.array([math.lgamma(x + 1) for x in k])
    if model.queue == INFINITE:
        rho = a / n
        log_terms[n] += -math.log(1 - rho)  # the full state with every queue length
        top = log_terms.max()
        weights = np.exp(log_terms - top)
        p = weights / weights.sum()
        return p[:n], float(p[n]), rho
    top = log_terms.max()
    weights = np.exp(log_terms - top)
    p = weights / weights.sum()
    p_full = float(p[n])
    return p[:n], p_full, a * (1 - p_full) / n


def correction_factors(n: int, p: np.ndarray, rho: float) -> np.ndarray:
    """Q(N, ρ, j) for j = 0..N-1: the chance that j given units are busy and one other given unit
    is free, relative to independence (ρ^j (1-ρ)). With P_k the chance that k units are busy and
    every set of k equally likely: Σ_k P_k C(N-j-1, k-j) / C(N, k), divided by ρ^j (1-ρ)."""
    q = np.zeros(n)
    lg = [math.lgamma(x + 1) for x in range(n + 1)]
    for j in range(n):
        total = 0.0
        for k in range(j, n):
            if p[k] <= 0:
                continue
            # C(N-j-1, k-j) / C(N, k)
            log_ratio = (lg[n - j - 1] - lg[k - j] - lg[n - k - 1]) - (lg[n] - lg[k] - lg[n - k])
            total += p[k] * math.exp(log_ratio)
        denom = (rho**j) * (1 - rho)
        q[j] = total / denom if denom > 0 else 0.0
    return q


def solve_approx(
    model: Model,
    *,
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
    digits: int | None = None,
) -> Result:
    """Larson's approximate procedure (Larson & Odoni, *Urban Operations Research*, 5.5; Larson
    1975), step by step:

    1. Start every unit at the mean utilisation: ρ_n = ρ.
    2. For each unit, from the current workloads, the rate of calls that find it first free on
       their atom's list: V_n = Σ_k Q(N, ρ, k-1) Σ_{atoms with n k-th} λ_j Π ρ_(units before n),
       over μ_n. Larson's workload equation ρ_n = (1 - ρ_n) V_n + λ_D (λ_D: the queued calls,
       shared among the units, λ P(all busy) μ_n/Σμ over μ_n; none when calls are lost) gives
       ρ_n = (V_n + λ_D) / (1 + V_n).
    3. Normalise: scale the workloads so that Σ μ_n ρ_n is the rate of calls the M/M/N system
       serves (λ with a queue, λ(1 - P(all busy)) when the blocked are lost) — with equal μ,
       Σ ρ_n = Nρ. Work is conserved after every iteration, not only at convergence.
    4. Stop when no workload moved by more than ``tolerance`` (the book's ε: its worked example
       stops on the third iteration with ε = 0.0011), else go to 2.

    ``digits`` carries the computation to that many decimals, as the book's hand-worked example
    does: the updated workloads are rounded before and after the normalisation, and the change is
    compared at that precision. ``digits=4`` reproduces the printed figures of its example
    (0.5627, 0.4716, 0.4657); in full precision (the default, for use) the same third iterate is
    0.562755, 0.471591, 0.465653."""
    n = len(model.units)
    lam = model.arrival_rate
    mu = np.array([u.mu for u in model.units])
    p, p_full, rho_bar = _occupancy(model)
    q = correction_factors(n, p, rho_bar)
    queued = lam * p_full / mu.sum() if model.queue == INFINITE else 0.0
    served_rate = lam if model.queue == INFINITE else lam * (1.0 - p_full)
    rates = np.array([a.rate for a in model.atoms])
    prefs = [np.array(_complete(a.preference, n)) for a in model.atoms]

    def carried(x: np.ndarray) -> np.ndarray:
        return x if digits is None else np.round(x, digits)

    rho = np.full(n, rho_bar)
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported
        found_free = np.zeros(n)  # the rate of calls finding each unit first free, before (1 - ρ_n)
        for j, pref in enumerate(prefs):
            if rates[j] == 0:
                continue
            busy_before = np.concatenate([[1.0], np.cumprod(rho[pref])[:-1]])
            found_free[pref] += rates[j] * q[: len(pref)] * busy_before
        v = found_free / mu
        new = carried((v + queued) / (1 + v))
        new = carried(new * served_rate / float(mu @ new))
        change = float(np.max(np.abs(new - rho)))
        rho = new
        if (change if digits is None else round(change, digits)) <= tolerance:
            break
    frac = np.zeros((n, len(model.atoms)))
    for j, pref in enumerate(prefs):
        busy_before = np.concatenate([[1.0], np.cumprod(rho[pref])[:-1]])
        frac[pref, j] = rates[j] / lam * q[: len(pref)] * busy_before * (1 - rho[pref])
        if model.queue == INFINITE:
            frac[:, j] += rates[j] / lam * p_full * mu / mu.sum()
    return _result(model, rho, p_full, frac, "approx", iterations)


def _complete(preference: Sequence[int], n: int) -> list[int]:
    """A preference list with the units it leaves out appended in input order (last resorts)."""
    rest = [i for i in range(n) if i not in preference]
    return [*preference, *rest]


def solve(model: Model, method: str = "auto") -> Result:
    if method == "exact" or (method == "auto" and len(model.units) <= 12):
        return solve_exact(model)
    if method in ("approx", "auto"):
        return solve_approx(model)
    raise ModelError(f"method must be exact, approx or auto (got {method!r})")
