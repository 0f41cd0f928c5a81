"""Where to post the cars: a maximal covering location problem on the road network (Church &
ReVelle 1974). Demand is where incidents happened; a post covers an incident it reaches within T
minutes on the road. Greedy selection, then one-swap improvement. Pure: NumPy/SciPy only.

The greedy order is nested: its first k posts are the greedy answer for k cars, so one run gives
the whole curve of coverage against the number of cars (how many cars a shift needs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from precinct.geo.rules import RoadGraph, times_many

CHUNK = 64  # candidates per Dijkstra call: bounds the memory of the distance block


@dataclass(frozen=True)
class Plan:
    posts: tuple[int, ...]  # nodes
    covered: float  # share of demand within T minutes
    mean_minutes: float  # mean travel time from the nearest post to each incident
    curve: tuple[float, ...]  # coverage with the first 1..K posts (greedy order)


def demand(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Incident nodes as (unique nodes, how many incidents at each)."""
    unique, counts = np.unique(np.asarray(nodes, dtype=np.int64), return_counts=True)
    return unique, counts.astype(float)


def times_from_posts(
    graph: RoadGraph,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    limit_s: float = np.inf,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Seconds from each source node to each target node (``inf`` beyond ``limit_s``), in
    chunks of :data:`CHUNK` searches, on the same routing graph and car rules as the live
    board's recommendations (turn restrictions, access, free-flow speeds)."""
    out = np.empty((len(sources), len(targets)))
    for start in range(0, len(sources), CHUNK):
        part = sources[start : start + CHUNK]
        block = times_many(graph, part, limit=limit_s)
        out[start : start + len(part)] = block[:, targets]
        if progress is not None:
            progress(min(start + CHUNK, len(sources)), len(sources))
    return out


def evaluate(
    times: np.ndarray, weights: np.ndarray, chosen: list[int], limit_s: float
) -> tuple[float, float]:
    """(share of demand within the limit, mean minutes from the nearest chosen post)."""
    best = times[chosen].min(axis=0)
    total = weights.sum()
    covered = float(weights[best <= limit_s].sum() / total) if total else 0.0
    finite = np.isfinite(best)
    mean = (
        float((best[finite] * weights[finite]).sum() / weights[finite].sum() / 60)
        if finite.any()
        else float("inf")
    )
    return covered, mean


def street_rates(
    bands: Sequence[tuple[float | None, int, int]],
) -> tuple[np.ndarray, np.ndarray] | None:
    """From street handling by minutes to scene — (upper minutes or None, on the street, police
    incidents) per band — each band's upper bound in seconds (``inf`` last) and its rate, fitted
    to fall (or stay) as the minutes grow: pool adjacent violators weighted by the incidents, so
    a thin band cannot make a later car worth more. Bands with no incidents take the rate of the
    band before them (or after, at the start). None when no band has incidents."""
    uppers = np.array([np.inf if u is None else u * 60.0 for u, _s, _p in bands])
    blocks: list[list[Any]] = []  # [street, police, band indices]
    for i, (_u, street, police) in enumerate(bands):
        if police <= 0:
            continue
        blocks.append([float(street), float(police), [i]])
        while len(blocks) > 1 and blocks[-2][0] * blocks[-1][1] < blocks[-1][0] * blocks[-2][1]:
            s2, p2, i2 = blocks.pop()
            blocks[-1][0] += s2
            blocks[-1][1] += p2
            blocks[-1][2] += i2
    if not blocks:
        return None
    rates = np.full(len(bands), np.nan)
    for street, police, indices in blocks:
        rates[indices] = street / police
    for i in range(1, len(rates)):  # empty bands: the rate before them ...
        if np.isnan(rates[i]):
            rates[i] = rates[i - 1]
    for i in range(len(rates) - 2, -1, -1):  # ... or, at the start, after them
        if np.isnan(rates[i]):
            rates[i] = rates[i + 1]
    return uppers, rates


def street_worth(
    times: np.ndarray, rates: tuple[np.ndarray, np.ndarray], delay_s: float
) -> np.ndarray:
    """The expected street-handling share of an incident reached after ``delay_s`` (the 110
    desk) plus ``times`` seconds on the road, element by element."""
    uppers, values = rates
    return values[np.searchsorted(uppers, np.asarray(times) + delay_s, side="left")]


def evaluate_worth(
    times: np.ndarray, weights: np.ndarray, chosen: list[int], worth: np.ndarray
) -> float:
    """The demand-weighted mean worth of each incident's nearest chosen post (the posts' worth is
    non-increasing in travel time, so the nearest is the best)."""
    nearest = np.argmin(times[chosen], axis=0)
    values = worth[np.asarray(chosen)[nearest], np.arange(times.shape[1])]
    total = weights.sum()
    return float((values * weights).sum() / total) if total else 0.0


def optimise(
    times: np.ndarray,
    weights: np.ndarray,
    k: int,
    limit_s: float,
    *,
    swaps: int = 2,
    worth: np.ndarray | None = None,
) -> tuple[list[int], list[float]]:
    """Choose k rows of ``times`` (candidates × demand) for the most demand covered within
    ``limit_s`` — or, with ``worth`` (candidates × demand, non-increasing in the travel time:
    coverage plus the expected street handling, say), for the most demand-weighted worth of each
    incident's best post: greedy (each step the candidate adding the most; ties to the first),
    then up to ``swaps`` passes of one-swap improvement. Returns the chosen rows and the greedy
    order's coverage curve (share within ``limit_s`` with the first 1..k posts)."""
    cover = times <= limit_s
    value = cover.astype(float) if worth is None else worth
    total = weights.sum()
    chosen: list[int] = []
    best = np.zeros(times.shape[1])
    covered = np.zeros(times.shape[1], dtype=bool)
    curve: list[float] = []
    for _ in range(min(k, times.shape[0])):
        gain = np.maximum(value - best, 0.0) @ weights
        gain[chosen] = -1.0
        pick = int(np.argmax(gain))
        chosen.append(pick)
        best = np.maximum(best, value[pick])
        covered |= cover[pick]
        curve.append(float(weights[covered].sum() / total) if total else 0.0)
    for _ in range(swaps):
        improved = False
        for slot in range(len(chosen)):
            others = [c for i, c in enumerate(chosen) if i != slot]
            base = value[others].max(axis=0) if others else np.zeros(times.shape[1])
            current = float(np.maximum(value[chosen[slot]], base) @ weights)
            totals = np.maximum(value, base) @ weights
            totals[chosen] = -1.0
            pick = int(np.argmax(totals))
            if totals[pick] > current + 1e-9:
                chosen[slot] = pick
                improved = True
        if not improved:
            break
    return chosen, curve
