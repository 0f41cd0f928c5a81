"""Routing on the road graph: points snapped to nodes, travel times (one Dijkstra from the target
over the reversed graph), paths and an origin's reach of a point."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .graph import ACCESS_SPEED_KMH, EARTH_RADIUS_M, NetworkError, RoadGraph, haversine_m


# --- snapping --------------------------------------------------------------------------------
def _projector(graph: RoadGraph) -> tuple[float, float, float]:
    """A local equirectangular projection (metres) around the network's centre: exact enough
    within a city for nearest-neighbour search; distances are then measured on the sphere."""
    lat0 = float(np.radians((graph.lat.min() + graph.lat.max()) / 2))
    lon0 = float((graph.lon.min() + graph.lon.max()) / 2)
    return lon0, math.cos(lat0), float(np.radians(1.0) * EARTH_RADIUS_M)


def _xy(graph: RoadGraph, lon: Any, lat: Any) -> np.ndarray:
    lon0, coslat, k = _projector(graph)
    x = (np.asarray(lon, dtype=np.float64) - lon0) * coslat * k
    y = np.asarray(lat, dtype=np.float64) * k
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def _tree(graph: RoadGraph) -> cKDTree:
    got = graph._cache.get("tree")
    if got is None:
        # only nodes that can be driven from and to (every node of a built graph)
        got = cKDTree(_xy(graph, graph.lon, graph.lat))
        graph._cache["tree"] = got
    return got


@dataclass(frozen=True)
class Snap:
    node: int
    distance_m: float  # from the point to the node, on the sphere


def snap(graph: RoadGraph, lon: float, lat: float) -> Snap:
    """The nearest node to a point."""
    (hit,) = snap_many(graph, np.array([lon]), np.array([lat]))
    return hit


def snap_many(graph: RoadGraph, lon: np.ndarray, lat: np.ndarray) -> list[Snap]:
    _, idx = _tree(graph).query(_xy(graph, lon, lat))
    idx = np.atleast_1d(idx)
    dist = haversine_m(np.asarray(lon), np.asarray(lat), graph.lon[idx], graph.lat[idx])
    return [Snap(int(i), float(d)) for i, d in zip(idx, np.atleast_1d(dist), strict=True)]


def access_seconds(distance_m: float) -> float:
    """Time from a point to the network (or back) at :data:`ACCESS_SPEED_KMH`."""
    return distance_m / (ACCESS_SPEED_KMH / 3.6)


# --- travel times ----------------------------------------------------------------------------
def times_to(
    graph: RoadGraph, target: int, *, limit: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from every node to ``target`` (``inf`` where it cannot be reached within
    ``limit``), and each node's next node on its fastest path towards the target (-9999 at the
    target and where unreachable)."""
    dist, pred = dijkstra(
        graph.matrix(reverse=True), indices=target, return_predecessors=True, limit=limit
    )
    return dist, pred


def times_from(graph: RoadGraph, source: int, *, limit: float = np.inf) -> np.ndarray:
    """Seconds from ``source`` to every node."""
    return dijkstra(graph.matrix(), indices=source, limit=limit)


def _edge_lookup(graph: RoadGraph) -> tuple[np.ndarray, np.ndarray]:
    got = graph._cache.get("edges")
    if got is None:
        key = graph.src.astype(np.int64) * graph.n_nodes + graph.dst
        order = np.argsort(key)
        got = (key[order], order)
        graph._cache["edges"] = got
    return got


def path_to(pred: np.ndarray, start: int) -> list[int]:
    """The node sequence from ``start`` to the target of :func:`times_to` (empty if none)."""
    path, node, guard = [start], start, len(pred)
    while pred[node] >= 0 and guard:
        node = int(pred[node])
        path.append(node)
        guard -= 1
    return path if pred[start] >= 0 or len(path) == 1 else []


def path_length_m(graph: RoadGraph, path: list[int]) -> float:
    """Metres along consecutive nodes of a path (each step an edge of the graph)."""
    if len(path) < 2:
        return 0.0
    keys, order = _edge_lookup(graph)
    nodes = np.asarray(path, dtype=np.int64)
    wanted = nodes[:-1] * graph.n_nodes + nodes[1:]
    at = np.searchsorted(keys, wanted)
    if np.any(at >= len(keys)) or np.any(keys[np.minimum(at, len(keys) - 1)] != wanted):
        raise NetworkError("the path uses a step that is not an edge")
    return float(graph.length_m[order[at]].sum())


@dataclass(frozen=True)
class Reach:
    """How one origin reaches the target: seconds (access + network + egress) and metres."""

    origin: int  # position in the caller's list of origins
    seconds: float
    meters: float
    path: tuple[int, ...]


def reach_point(
    graph: RoadGraph,
    target_lon: float,
    target_lat: float,
    origins: list[tuple[float, float]],
    *,
    limit: float = np.inf,
) -> list[Reach]:
    """Exact road-network travel from each origin (lon, lat) to the target point: off-network
    access to the nearest node, the fastest path, and egress to the point. Sorted fastest first;
    origins that cannot reach it are left out."""
    if not origins:
        return []
    target = snap(graph, target_lon, target_lat)
    dist, pred = times_to(graph, target.node, limit=limit)
    starts = snap_many(graph, np.array([o[0] for o in origins]), np.array([o[1] for o in origins]))
    out = []
    egress = access_seconds(target.distance_m)
    for i, start in enumerate(starts):
        network = float(dist[start.node])
        if not math.isfinite(network):
            continue
        path = path_to(pred, start.node)
        meters = start.distance_m + path_length_m(graph, path) + target.distance_m
        seconds = access_seconds(start.distance_m) + network + egress
        out.append(Reach(i, seconds, meters, tuple(path)))
    out.sort(key=lambda r: (r.seconds, r.origin))
    return out
