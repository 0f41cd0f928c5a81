"""How much slower than free flow the roads are, by hour of day and road class, learned from the
fleet's own position pings. Pure: NumPy, SciPy's k-d tree and compiled (Numba) searches; no
database, no clock (the caller gives each ping's local hour).

The result is ``factors[hour, road_class]``: the number a road's free-flow seconds
(:attr:`RoadGraph.seconds`) are multiplied by at that hour (1.0: free flow; 1.6: 60 % slower).

How a figure is made (:func:`learn`):

1. **Pairs.** Each vehicle's pings are taken in a chain, each link the next ping at least
   :data:`MIN_GAP_S` after the last one taken (a terminal that reports every 5 s gives the same
   pairs as one that reports every 30 s). A link is a pair when it spans at most
   :data:`MAX_GAP_S` (longer is a car parked with its terminal off or a lost signal, whose time
   says nothing about the road), the car moved at least :data:`MIN_MOVE_M` (a car standing at
   an incident, its GPS wandering, is not traffic), and the pings it skipped do not show the car
   standing at either end for :data:`MIN_GAP_S` / 2 or more (it arrived early, or left late).
2. **Map matching.** Both pings are placed on their nearest road: the nearest point of an edge
   touching one of their :data:`NEAR_NODES` nearest nodes; a ping more than :data:`MAX_SNAP_M`
   from it (a yard, a car park, a GPS jump) is left out.
3. **Free-flow time.** The fastest way at free flow from the first point to the second, along
   the rest of the first edge (either way on a two-way street), the fastest path between the
   edges (those open at that hour; turn restrictions are not needed to match a 30 s move and
   are ignored) and the start of the second edge. It is searched no further than
   ``gap / MIN_RATIO``: a pair the car would have had to drive more than twice its free-flow
   speed to make is a bad match, not a fast car. The way's **dominant class** is the class
   with most of its metres; a pair whose dominant class has less than :data:`MIN_SHARE` of them
   (half on a main road, half on side streets) is left out, so that a class's figure is not the
   main roads' seen through a side street.
4. **Samples.** A pair's sample is ``gap / free-flow time`` for (the hour of its first ping, its
   dominant class).
5. **Figures.** A cell's figure is the time its pairs took over their free-flow time, summed
   over the middle half of its pairs (ranked by their samples), where it has at least
   ``min_samples`` (:data:`MIN_SAMPLES`) pairs; otherwise the same over all classes' pairs at
   that hour where those are enough; otherwise 1.0 (free flow). Clamped to
   [:data:`FACTOR_MIN`, :data:`FACTOR_MAX`]: a road does not get faster than a patrol car's free
   flow by more than a fifth, and a figure above four is a car parked with its engine running,
   not a road.

The middle half: a pair that spans part of a stop, or a ping placed on the cross street at a
corner, gives an outlier in either direction, and a few of those must not move the figure.
Summed times rather than a median of ratios: a short move's sample is noisy (5-15 m of GPS
error on a 200 m move), and the sum weighs each pair by the road it covered.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .graph import RoadClass, RoadGraph
from .routing import node_tree, project

HOURS = 24
CLASSES = len(RoadClass)
MIN_GAP_S = 30.0  # a pair's pings at least this far apart (shorter: GPS noise dominates)
MAX_GAP_S = 300.0  # and at most this far (longer: a stop or a lost signal, not the road)
MIN_MOVE_M = 40.0  # and this far apart (less: a standing car's GPS error, 15 m, both ways)
MAX_SNAP_M = 100.0  # a ping further than this from the nearest road is off the network
NEAR_NODES = 4  # a ping is placed on an edge touching one of its this many nearest nodes
MIN_RATIO = 0.5  # a pair faster than twice free flow is a bad match: searched no further
MIN_SHARE = 0.6  # the dominant class carries at least this share of a pair's metres
MIN_SAMPLES = 20  # a cell's figure rests on at least this many pairs, else it falls back
FACTOR_MIN = 0.8
FACTOR_MAX = 4.0


@dataclass(frozen=True)
class Pings:
    """Position pings as arrays, sorted by vehicle then time: the vehicle's index, unix seconds,
    longitude, latitude (WGS-84) and the local hour (0-23) of each."""

    vehicle: np.ndarray
    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    hour: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.vehicle)
        if any(len(a) != n for a in (self.t, self.lon, self.lat, self.hour)):
            raise ValueError("the ping arrays differ in length")

    def __len__(self) -> int:
        return len(self.vehicle)

    @classmethod
    def of(
        cls,
        vehicle: np.ndarray,
        t: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        hour: np.ndarray,
    ) -> Pings:
        """Pings in any order, sorted by vehicle and time."""
        order = np.lexsort((np.asarray(t), np.asarray(vehicle)))
        return cls(
            np.asarray(vehicle, dtype=np.int64)[order],
            np.asarray(t, dtype=np.float64)[order],
            np.asarray(lon, dtype=np.float64)[order],
            np.asarray(lat, dtype=np.float64)[order],
            np.asarray(hour, dtype=np.int64)[order],
        )


@dataclass(frozen=True)
class Pairs:
    """The matched pairs :func:`learn` rests on (one row each)."""

    hour: np.ndarray
    road_class: np.ndarray
    seconds: np.ndarray  # the time between the pings
    free: np.ndarray  # the free-flow time of the fastest path between their nodes

    @property
    def ratio(self) -> np.ndarray:
        return self.seconds / self.free


def free_flow(factors: np.ndarray | None = None) -> np.ndarray:
    """All ones: free flow at every hour (what a bureau without a profile drives at)."""
    return np.ones((HOURS, CLASSES)) if factors is None else np.ones_like(factors)


def learn(
    graph: RoadGraph, pings: Pings, *, min_samples: int = MIN_SAMPLES
) -> tuple[np.ndarray, np.ndarray]:
    """``(factors, samples)``, both ``(24, len(RoadClass))``: the figure for each hour and class
    and how many matched pairs of that very cell it rests on (a cell with fewer than
    ``min_samples`` took the hour's pooled figure or 1.0, see the module's doc)."""
    pairs = match(graph, pings)
    return aggregate(pairs, min_samples=min_samples)


def match(graph: RoadGraph, pings: Pings) -> Pairs:
    """Map-match the pings (module doc, steps 1-4): one sample per usable pair."""
    empty = Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    if len(pings) < 2:
        return empty
    xy = project(graph, pings.lon, pings.lat)
    a, b = _links(
        pings.vehicle.astype(np.int64),
        pings.t.astype(np.float64),
        np.ascontiguousarray(xy[:, 0]),
        np.ascontiguousarray(xy[:, 1]),
        MIN_GAP_S,
        MAX_GAP_S,
        MIN_MOVE_M,
    )
    if len(a) == 0:
        return empty
    ends = np.unique(np.concatenate([a, b]))  # the pings to place on the roads
    k = min(NEAR_NODES, graph.n_nodes)
    _, near = node_tree(graph)[0].query(xy[ends], k=k)
    near = np.asarray(near, dtype=np.int64).reshape(len(ends), k)
    csr = _csr(graph)
    edge, frac, off = _place(
        np.ascontiguousarray(xy[ends, 0]),
        np.ascontiguousarray(xy[ends, 1]),
        near,
        *csr[:3],
        *csr[4:6],
        *_in_csr(graph),
    )
    at = np.searchsorted(ends, a), np.searchsorted(ends, b)
    on = (off[at[0]] <= MAX_SNAP_M) & (off[at[1]] <= MAX_SNAP_M)
    a, b, ia, ib = a[on], b[on], at[0][on], at[1][on]
    gap = pings.t[b] - pings.t[a]
    hour = pings.hour[a].astype(np.int64) % HOURS
    seconds, cls, share = _between(
        *csr[:10],
        edge[ia],
        frac[ia],
        edge[ib],
        frac[ib],
        np.ascontiguousarray(xy[b, 0]),
        np.ascontiguousarray(xy[b, 1]),
        gap / MIN_RATIO,
        hour,
        CLASSES,
    )
    found = np.isfinite(seconds) & (seconds > 0) & (share >= MIN_SHARE)
    return Pairs(hour[found], cls[found], gap[found], seconds[found])


def local_hours(unix_seconds: np.ndarray, tz: dt.tzinfo) -> np.ndarray:
    """The hour of the day (0-23) in ``tz`` of each instant: the zone's offset is looked up once
    per distinct UTC hour (offsets change on hour boundaries, half-hour zones included)."""
    t = np.asarray(unix_seconds, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(0, dtype=np.int64)
    utc_hour = np.floor(t / 3600).astype(np.int64)
    distinct, back = np.unique(utc_hour, return_inverse=True)
    offsets = np.array(
        [
            (dt.datetime.fromtimestamp(int(h) * 3600, dt.UTC).astimezone(tz).utcoffset()
             or dt.timedelta(0)).total_seconds()
            for h in distinct
        ]
    )  # fmt: skip
    local = t + offsets[back]
    return (np.floor(local / 3600).astype(np.int64)) % HOURS


def aggregate(pairs: Pairs, *, min_samples: int = MIN_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """The figures from matched pairs (module doc, step 5)."""
    cell = pairs.hour * CLASSES + pairs.road_class
    by_cell, samples = _middle_half(cell, pairs, HOURS * CLASSES)
    by_hour, pooled = _middle_half(pairs.hour, pairs, HOURS)
    by_cell, samples = by_cell.reshape(HOURS, CLASSES), samples.reshape(HOURS, CLASSES)
    hourly = np.where(pooled >= min_samples, by_hour, 1.0)
    factors = np.where(samples >= min_samples, by_cell, hourly[:, None])
    return np.clip(factors, FACTOR_MIN, FACTOR_MAX), samples


def _middle_half(key: np.ndarray, pairs: Pairs, size: int) -> tuple[np.ndarray, np.ndarray]:
    """For each ``key`` in ``0..size-1``: the pairs' summed time over their summed free-flow
    time, over the middle half of them by sample (NaN where none), and how many pairs."""
    counts = np.bincount(key, minlength=size).astype(np.int64)
    out = np.full(size, np.nan)
    if len(key) == 0:
        return out, counts
    order = np.lexsort((pairs.ratio, key))
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - start[key[order]]
    n = counts[key]
    keep = (rank >= n // 4) & (rank < n - n // 4)
    took = np.bincount(key[keep], weights=pairs.seconds[keep], minlength=size)
    free = np.bincount(key[keep], weights=pairs.free[keep], minlength=size)
    have = counts > 0
    out[have] = took[have] / free[have]
    return out, counts


# --- fastest paths at free flow, many pairs at once -----------------------------------------
_Csr = tuple[
    np.ndarray, np.ndarray, np.ndarray, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
    np.ndarray, np.ndarray, np.ndarray,
]  # fmt: skip


def _csr(graph: RoadGraph) -> _Csr:
    """The edges grouped by their tail (cached on the graph): offsets, the nodes' x and y in
    metres (a local projection), a lower bound of seconds a metre, tails, heads, seconds, metres,
    classes, hours open, and each CSR edge's number in the graph."""
    got = graph._cache.get("traffic_csr")
    if got is None:
        order = np.argsort(graph.src, kind="stable")
        offsets = np.zeros(graph.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(graph.src, minlength=graph.n_nodes), out=offsets[1:])
        xy = project(graph, graph.lon, graph.lat)
        top = float(np.max(graph.length_m / graph.seconds))  # m/s: the fastest edge
        got = (
            offsets,
            np.ascontiguousarray(xy[:, 0]),
            np.ascontiguousarray(xy[:, 1]),
            0.95 / top,  # seconds a metre as the crow flies at least takes (a lower bound)
            graph.src[order].astype(np.int64),
            graph.dst[order].astype(np.int64),
            graph.seconds[order].astype(np.float64),
            graph.length_m[order].astype(np.float64),
            graph.road_class[order].astype(np.int64),
            graph.edge_hours[order].astype(np.int64),
            order.astype(np.int64),
        )
        graph._cache["traffic_csr"] = got
    return got


def _in_csr(graph: RoadGraph) -> tuple[np.ndarray, np.ndarray]:
    """The CSR edges grouped by their head: offsets, and CSR edge numbers."""
    got = graph._cache.get("traffic_in_csr")
    if got is None:
        heads = _csr(graph)[5]
        order = np.argsort(heads, kind="stable").astype(np.int64)
        offsets = np.zeros(graph.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(heads, minlength=graph.n_nodes), out=offsets[1:])
        got = (offsets, order)
        graph._cache["traffic_in_csr"] = got
    return got


def fastest_paths(
    graph: RoadGraph,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    limit: float = np.inf,
    hour: int = 12,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Free-flow fastest paths from ``sources[i]`` to ``targets[i]`` (at ``hour``, for edges open
    only some hours): ``(seconds, offsets, edges)``, the edges (graph numbering) of path ``i``
    being ``edges[offsets[i]:offsets[i+1]]``; ``inf`` seconds and no edges where the target is
    not reached within ``limit``. One compiled search per pair that stops at its target."""
    k = len(sources)
    csr = _csr(graph)
    limits = np.full(k, float(limit))
    hours = np.full(k, int(hour) % HOURS, dtype=np.int64)
    seconds, offsets, edges = _paths(
        *csr,
        np.asarray(sources, dtype=np.int64),
        np.asarray(targets, dtype=np.int64),
        limits,
        hours,
    )
    return seconds, offsets, csr[10][edges]


@njit(cache=True)
def _links(vehicle, t, x, y, min_gap, max_gap, min_move):
    """The pairs of step 1 as two arrays of ping numbers (first, second)."""
    n = len(t)
    first = np.empty(n, np.int64)
    second = np.empty(n, np.int64)
    found = 0
    a = 0
    for i in range(1, n + 1):
        if i == n or vehicle[i] != vehicle[a]:
            a = i  # the next vehicle's chain starts
            continue
        if t[i] - t[a] < min_gap:
            continue
        ok = t[i] - t[a] <= max_gap and math.hypot(x[i] - x[a], y[i] - y[a]) >= min_move
        if ok and i - a > 1:
            j = a + 1  # the last skipped ping still where the first one was: left late?
            while j < i and math.hypot(x[j] - x[a], y[j] - y[a]) < min_move:
                j += 1
            left_late = t[j - 1] - t[a] >= min_gap / 2
            j = i - 1  # the first skipped ping already where the second is: arrived early?
            while j > a and math.hypot(x[j] - x[i], y[j] - y[i]) < min_move:
                j -= 1
            arrived_early = t[i] - t[j + 1] >= min_gap / 2
            ok = not left_late and not arrived_early
        if ok:
            first[found] = a
            second[found] = i
            found += 1
        a = i
    return first[:found].copy(), second[:found].copy()


@njit(cache=True)
def _place(px, py, near, offsets, x, y, tails, heads, in_offsets, in_edges):
    """Each point's nearest edge among those touching its nearest nodes: the CSR edge, how far
    along it (0-1) and how far off it in metres."""
    n = len(px)
    edge = np.full(n, -1, np.int64)
    frac = np.zeros(n)
    off = np.full(n, np.inf)
    for p in range(n):
        for q in range(near.shape[1]):
            v = near[p, q]
            for side in range(2):
                lo = offsets[v] if side == 0 else in_offsets[v]
                hi = offsets[v + 1] if side == 0 else in_offsets[v + 1]
                for k in range(lo, hi):
                    e = k if side == 0 else in_edges[k]
                    ax, ay = x[tails[e]], y[tails[e]]
                    dx, dy = x[heads[e]] - ax, y[heads[e]] - ay
                    span = dx * dx + dy * dy
                    f = 0.0 if span == 0 else ((px[p] - ax) * dx + (py[p] - ay) * dy) / span
                    f = min(1.0, max(0.0, f))
                    d = math.hypot(ax + f * dx - px[p], ay + f * dy - py[p])
                    if d < off[p]:
                        off[p], edge[p], frac[p] = d, e, f
    return edge, frac, off


@njit(cache=True)
def _reverse(offsets, tails, heads, e):
    """The CSR edge the other way along ``e`` (-1 on a one-way street)."""
    for k in range(offsets[heads[e]], offsets[heads[e] + 1]):
        if heads[k] == tails[e]:
            return k
    return -1


@njit(cache=True)
def _push(heap_d, heap_v, size, d, v):
    i = size
    heap_d[i] = d
    heap_v[i] = v
    while i > 0:
        parent = (i - 1) >> 1
        if heap_d[parent] <= d:
            break
        heap_d[i] = heap_d[parent]
        heap_v[i] = heap_v[parent]
        i = parent
    heap_d[i] = d
    heap_v[i] = v
    return size + 1


@njit(cache=True)
def _pop(heap_d, heap_v, size):
    d, v = heap_d[0], heap_v[0]
    size -= 1
    last_d, last_v = heap_d[size], heap_v[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_d[child + 1] < heap_d[child]:
            child += 1
        if heap_d[child] >= last_d:
            break
        heap_d[i] = heap_d[child]
        heap_v[i] = heap_v[child]
        i = child
    if size > 0:
        heap_d[i] = last_d
        heap_v[i] = last_v
    return d, v, size


@njit(cache=True)
def _search(offsets, x, y, per_m, heads, seconds, open_hours, s, t, limit, hour, dist, pred,
            touched, heap_d, heap_v):  # fmt: skip
    """A* from ``s`` until ``t`` is settled or nothing is left within ``limit`` (the straight
    line at the fastest edge's speed is the bound: it never overestimates); returns how many
    nodes it touched (their ``dist`` and ``pred`` are reset by the caller)."""
    tx, ty = x[t], y[t]
    n_touched = 1
    touched[0] = s
    dist[s] = 0.0
    size = _push(heap_d, heap_v, 0, math.hypot(x[s] - tx, y[s] - ty) * per_m, s)
    while size > 0:
        f, v, size = _pop(heap_d, heap_v, size)
        if f > dist[v] + math.hypot(x[v] - tx, y[v] - ty) * per_m:
            continue  # a stale entry: v was reached faster since
        if v == t:
            break
        d = dist[v]
        for e in range(offsets[v], offsets[v + 1]):
            if (open_hours[e] >> hour) & 1 == 0:
                continue
            w = heads[e]
            nd = d + seconds[e]
            if nd < dist[w]:
                nf = nd + math.hypot(x[w] - tx, y[w] - ty) * per_m
                if nf > limit:
                    continue
                if dist[w] == np.inf:
                    touched[n_touched] = w
                    n_touched += 1
                dist[w] = nd
                pred[w] = e
                size = _push(heap_d, heap_v, size, nf, w)
    return n_touched


@njit(cache=True)
def _between(offsets, x, y, per_m, tails, heads, seconds, length, road_class, open_hours, edge1,
             frac1, edge2, frac2, px, py, limits, hours, n_classes):  # fmt: skip
    """For each pair of points on edges: the free-flow seconds of the fastest way from the
    first to the second (``inf`` beyond its limit), its dominant class and that class's share
    of its metres (module doc, step 3). A* towards the second point."""
    n = len(offsets) - 1
    m = len(heads)
    k = len(edge1)
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, np.int64)
    touched = np.empty(n, np.int64)
    heap_d = np.empty(m + 4)
    heap_v = np.empty(m + 4, np.int64)
    out = np.full(k, np.inf)
    dominant = np.full(k, -1, np.int64)
    share = np.zeros(k)
    metres = np.zeros(n_classes)
    start_e = np.empty(2, np.int64)
    start_f = np.empty(2)
    end_e = np.empty(2, np.int64)
    end_f = np.empty(2)
    for p in range(k):
        # each point on its edge, and on the edge the other way where the street is two-way
        start_e[0], start_f[0] = edge1[p], frac1[p]
        start_e[1] = _reverse(offsets, tails, heads, edge1[p])
        start_f[1] = 1.0 - frac1[p]
        end_e[0], end_f[0] = edge2[p], frac2[p]
        end_e[1] = _reverse(offsets, tails, heads, edge2[p])
        end_f[1] = 1.0 - frac2[p]
        limit, hour = limits[p], hours[p]
        best = np.inf
        how = -1  # 0-3: along one edge (start option * 2 + end option); 4-5: by end option
        for i in range(2):
            for j in range(2):
                e = start_e[i]
                if e >= 0 and e == end_e[j] and end_f[j] >= start_f[i]:
                    cost = (end_f[j] - start_f[i]) * seconds[e]
                    if cost < best:
                        best, how = cost, 2 * i + j
        n_touched = 0
        size = 0
        for i in range(2):
            e = start_e[i]
            if e < 0:
                continue
            v = heads[e]
            cost = (1.0 - start_f[i]) * seconds[e]
            if cost < dist[v]:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = cost
                size = _push(
                    heap_d, heap_v, size, cost + math.hypot(x[v] - px[p], y[v] - py[p]) * per_m, v
                )
        while size > 0:
            f, v, size = _pop(heap_d, heap_v, size)
            if f > dist[v] + math.hypot(x[v] - px[p], y[v] - py[p]) * per_m:
                continue  # a stale entry
            if f >= best:
                break
            d = dist[v]
            for j in range(2):
                e = end_e[j]
                if e >= 0 and tails[e] == v and d + end_f[j] * seconds[e] < best:
                    best, how = d + end_f[j] * seconds[e], 4 + j
            for e in range(offsets[v], offsets[v + 1]):
                if (open_hours[e] >> hour) & 1 == 0:
                    continue
                w = heads[e]
                nd = d + seconds[e]
                if nd < dist[w]:
                    nf = nd + math.hypot(x[w] - px[p], y[w] - py[p]) * per_m
                    if nf > limit:
                        continue
                    if dist[w] == np.inf:
                        touched[n_touched] = w
                        n_touched += 1
                    dist[w] = nd
                    pred[w] = e
                    size = _push(heap_d, heap_v, size, nf, w)
        if how >= 0 and best <= limit:
            out[p] = best
            metres[:] = 0.0
            if how < 4:
                e = start_e[how // 2]
                metres[road_class[e]] += (end_f[how % 2] - start_f[how // 2]) * length[e]
            else:
                e = end_e[how - 4]
                metres[road_class[e]] += end_f[how - 4] * length[e]
                v = tails[e]
                while pred[v] >= 0:
                    metres[road_class[pred[v]]] += length[pred[v]]
                    v = tails[pred[v]]
                for i in range(2):
                    e = start_e[i]
                    if e >= 0 and heads[e] == v:
                        metres[road_class[e]] += (1.0 - start_f[i]) * length[e]
                        break
            best_class = np.argmax(metres)
            total = metres.sum()
            dominant[p] = best_class
            share[p] = metres[best_class] / total if total > 0 else 1.0
        for i in range(n_touched):
            dist[touched[i]] = np.inf
            pred[touched[i]] = -1
    return out, dominant, share


@njit(cache=True)
def _paths(offsets, x, y, per_m, tails, heads, seconds, length, road_class, open_hours, _order,
           sources, targets, limits, hours):  # fmt: skip
    n = len(offsets) - 1
    m = len(heads)
    k = len(sources)
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, np.int64)
    touched = np.empty(n, np.int64)
    heap_d = np.empty(m + 1)
    heap_v = np.empty(m + 1, np.int64)
    out = np.full(k, np.inf)
    starts = np.zeros(k + 1, np.int64)
    edges = np.empty(max(16, 32 * k), np.int64)
    used = 0
    for p in range(k):
        s, t = sources[p], targets[p]
        n_touched = _search(offsets, x, y, per_m, heads, seconds, open_hours, s, t, limits[p],
                            hours[p], dist, pred, touched, heap_d, heap_v)  # fmt: skip
        if dist[t] < np.inf:
            out[p] = dist[t]
            steps = 0
            v = t
            while v != s:
                steps += 1
                v = tails[pred[v]]
            if used + steps > len(edges):
                grown = np.empty(2 * (used + steps), np.int64)
                grown[:used] = edges[:used]
                edges = grown
            v = t
            i = used + steps
            while v != s:
                i -= 1
                edges[i] = pred[v]
                v = tails[pred[v]]
            used += steps
        starts[p + 1] = used
        for i in range(n_touched):
            dist[touched[i]] = np.inf
            pred[touched[i]] = -1
    return out, starts, edges[:used].copy()
