"""Where to post the cars: a maximal covering location problem on the road network (Church &
ReVelle 1974). Demand is where incidents happened; a post covers an incident it reaches within T
minutes on the road. Greedy selection, then one-swap improvement. Pure: NumPy/SciPy only.

The greedy order is nested: its first k posts are the greedy answer for k cars, so one run gives
the whole curve of coverage against the number of cars (how many cars a shift needs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from precinct.geo.rules import RoadGraph

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
    chunks of :data:`CHUNK` searches."""
    out = np.empty((len(sources), len(targets)))
    matrix = graph.matrix()
    for start in range(0, len(sources), CHUNK):
        part = sources[start : start + CHUNK]
        block = dijkstra(matrix, indices=part, limit=limit_s)
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


def optimise(
    times: np.ndarray, weights: np.ndarray, k: int, limit_s: float, *, swaps: int = 2
) -> tuple[list[int], list[float]]:
    """Choose k rows of ``times`` (candidates × demand) covering the most demand within
    ``limit_s``: greedy (each step the candidate adding the most newly covered demand; ties to
    the lower mean time), then up to ``swaps`` passes of one-swap improvement. Returns the chosen
    rows and the greedy coverage curve."""
    cover = times <= limit_s
    total = weights.sum()
    chosen: list[int] = []
    covered = np.zeros(times.shape[1], dtype=bool)
    curve: list[float] = []
    for _ in range(min(k, times.shape[0])):
        gain = (cover & ~covered) @ weights
        gain[chosen] = -1.0
        pick = int(np.argmax(gain))
        chosen.append(pick)
        covered |= cover[pick]
        curve.append(float(weights[covered].sum() / total) if total else 0.0)
    for _ in range(swaps):
        improved = False
        for slot in range(len(chosen)):
            others = [c for i, c in enumerate(chosen) if i != slot]
            base = cover[others].any(axis=0) if others else np.zeros(times.shape[1], dtype=bool)
            current = float(weights[base | cover[chosen[slot]]].sum())
            gains = (cover & ~base) @ weights
            gains[chosen] = -1.0
            best = int(np.argmax(gains))
            if gains[best] > current - float(weights[base].sum()) + 1e-9:
                chosen[slot] = best
                improved = True
        if not improved:
            break
    return chosen, curve
