"""Routing on the road graph: points snapped to nodes, travel times (one Dijkstra from the target
over the reversed graph), paths and an origin's reach of a point."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra
from scipy.spatial import cKDTree

from .expand import RoutingGraph, matrix_ms, routing_graph
from .graph import ACCESS_SPEED_KMH, EARTH_RADIUS_M, NetworkError, RoadGraph, haversine_m


# --- snapping --------------------------------------------------------------------------------
def _projector(graph: RoadGraph) -> tuple[float, float, float]:
    """A local equirectangular projection (metres) around the network's centre: exact enough
    within a city for nearest-neighbour search; distances are then measured on the sphere.
    Worked out once per graph (every snap projects its point)."""
    got: tuple[float, float, float] | None = graph._cache.get("projector")
    if got is None:
        lat0 = float(np.radians((graph.lat.min() + graph.lat.max()) / 2))
        lon0 = float((graph.lon.min() + graph.lon.max()) / 2)
        got = (lon0, math.cos(lat0), float(np.radians(1.0) * EARTH_RADIUS_M))
        graph._cache["projector"] = got
    return got


def project(graph: RoadGraph, lon: Any, lat: Any) -> np.ndarray:
    """Points as (x, y) metres on the network's local projection (:func:`_projector`)."""
    lon0, coslat, k = _projector(graph)
    x = (np.asarray(lon, dtype=np.float64) - lon0) * coslat * k
    y = np.asarray(lat, dtype=np.float64) * k
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def usable_nodes(graph: RoadGraph) -> tuple[np.ndarray, np.ndarray]:
    """(road nodes a trip can start from, road nodes a trip can end at), as boolean masks.

    A real extract is cut at its edge: a pocket of streets may be entered but not left inside it
    (or left but not entered). Such a pocket is kept, and a point is snapped only to a node
    that can be used for its side of the trip: a car to a node from which the network's core
    (its largest strongly connected part) is reached, an incident to a node the core reaches.
    So no incident is put where no car could get to it by the extract's own roads."""
    got = graph._cache.get("usable")
    if got is None:
        routing = routing_graph(graph)
        m = matrix_ms(graph, routing)
        _, labels = connected_components(m, directed=True, connection="strong")
        seed = int(np.flatnonzero(labels == np.bincount(labels).argmax())[0])
        forward = np.zeros(routing.n_nodes, dtype=bool)
        forward[breadth_first_order(m, seed, directed=True, return_predecessors=False)] = True
        backward = np.zeros(routing.n_nodes, dtype=bool)
        backward[
            breadth_first_order(m.T.tocsr(), seed, directed=True, return_predecessors=False)
        ] = True
        start_ok = backward[routing.start]
        end_ok = np.zeros(graph.n_nodes, dtype=bool)
        end_ok[routing.road[forward]] = True
        got = (start_ok, end_ok)
        graph._cache["usable"] = got
    return got


def node_tree(graph: RoadGraph, role: str = "any") -> tuple[cKDTree, np.ndarray]:
    """A k-d tree of the nodes usable for ``role`` ("start", "end" or "any") and their ids."""
    key = f"tree-{role}"
    got = graph._cache.get(key)
    if got is None:
        if role == "any":
            ids = np.arange(graph.n_nodes)
        else:
            start_ok, end_ok = usable_nodes(graph)
            ids = np.flatnonzero(start_ok if role == "start" else end_ok)
        got = (cKDTree(project(graph, graph.lon[ids], graph.lat[ids])), ids)
        graph._cache[key] = got
    return got


@dataclass(frozen=True)
class Snap:
    node: int
    distance_m: float  # from the point to the node, on the sphere


def snap(graph: RoadGraph, lon: float, lat: float, *, role: str = "end") -> Snap:
    """The nearest node to a point that can be used for ``role`` (default: a trip's end)."""
    tree, ids = node_tree(graph, role)
    _, i = tree.query(project(graph, lon, lat)[0])
    node = int(ids[int(i)])
    return Snap(node, float(haversine_m(lon, lat, graph.lon[node], graph.lat[node])))


def snap_many(
    graph: RoadGraph, lon: np.ndarray, lat: np.ndarray, *, role: str = "start"
) -> list[Snap]:
    """The nearest usable node to each point (default: a trip's start, as a car's place)."""
    tree, ids = node_tree(graph, role)
    _, idx = tree.query(project(graph, lon, lat))
    idx = ids[np.atleast_1d(idx)]
    dist = haversine_m(np.asarray(lon), np.asarray(lat), graph.lon[idx], graph.lat[idx])
    return [Snap(int(i), float(d)) for i, d in zip(idx, np.atleast_1d(dist), strict=True)]


def access_seconds(distance_m: float) -> float:
    """Time from a point to the network (or back) at :data:`ACCESS_SPEED_KMH`."""
    return distance_m / (ACCESS_SPEED_KMH / 3.6)


# --- travel times ----------------------------------------------------------------------------
# Every search runs on the routing graph (expand.py), so turn restrictions, destination-only roads
# and roads closed at the hour are obeyed by SciPy's Dijkstra exactly as by the contraction
# hierarchy (engine.py); both add up the same whole milliseconds.
@dataclass(frozen=True, eq=False)
class Tree:
    """The fastest paths to one target: each expanded node's next node towards it."""

    routing: RoutingGraph
    next_node: np.ndarray
    target: int


def times_to(
    graph: RoadGraph,
    target: int,
    *,
    limit: float = np.inf,
    hour: int | None = None,
    factors: np.ndarray | None = None,
) -> tuple[np.ndarray, Tree]:
    """Seconds from every road node to ``target`` (``inf`` where it cannot be reached within
    ``limit`` seconds), and the tree of fastest paths for :func:`path_to`."""
    routing = routing_graph(graph)
    m = matrix_ms(graph, routing, reverse=True, hour=hour, factors=factors)
    ends = routing.ends_of(target)
    dist, pred, _ = dijkstra(
        m, indices=ends, return_predecessors=True, limit=limit * 1000.0, min_only=True
    )
    return dist[routing.start] / 1000.0, Tree(routing, pred, target)


def times_from(
    graph: RoadGraph,
    source: int,
    *,
    limit: float = np.inf,
    hour: int | None = None,
    factors: np.ndarray | None = None,
) -> np.ndarray:
    """Seconds from ``source`` to every road node."""
    return times_many(graph, np.array([source]), limit=limit, hour=hour, factors=factors)[0]


def times_many(
    graph: RoadGraph,
    sources: np.ndarray,
    *,
    limit: float = np.inf,
    hour: int | None = None,
    factors: np.ndarray | None = None,
) -> np.ndarray:
    """Seconds from each source road node to every road node: (len(sources), n_nodes)."""
    routing = routing_graph(graph)
    m = matrix_ms(graph, routing, hour=hour, factors=factors)
    starts = routing.start[np.asarray(sources, dtype=np.int64)]
    block = np.atleast_2d(dijkstra(m, indices=starts, limit=limit * 1000.0))
    if not routing.plain:  # a road node is reached when any of its states is
        block = np.minimum.reduceat(block[:, routing.end_nodes], routing.end_offsets[:-1], axis=1)
    return block / 1000.0


def _edge_lookup(graph: RoadGraph) -> tuple[np.ndarray, np.ndarray]:
    got = graph._cache.get("edges")
    if got is None:
        key = graph.src.astype(np.int64) * graph.n_nodes + graph.dst
        order = np.argsort(key)
        got = (key[order], order)
        graph._cache["edges"] = got
    return got


def path_to(tree: Tree, start: int) -> list[int]:
    """The road nodes from ``start`` to the target of :func:`times_to` (empty if none)."""
    routing, nxt = tree.routing, tree.next_node
    node = int(routing.start[start])
    path, guard = [start], len(nxt)
    if nxt[node] < 0:
        return path if start == tree.target else []
    while nxt[node] >= 0 and guard:
        node = int(nxt[node])
        road = int(routing.road[node])
        if road != path[-1]:
            path.append(road)
        guard -= 1
    return path


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
    hour: int | None = None,
    factors: np.ndarray | None = None,
) -> list[Reach]:
    """Exact road-network travel from each origin (lon, lat) to the target point: off-network
    access to the nearest node, the fastest path, and egress to the point. Sorted fastest first;
    origins that cannot reach it are left out. (SciPy's Dijkstra: the reference that the
    contraction hierarchy of engine.py must equal.)"""
    if not origins:
        return []
    target = snap(graph, target_lon, target_lat)
    dist, tree = times_to(graph, target.node, limit=limit, hour=hour, factors=factors)
    starts = snap_many(graph, np.array([o[0] for o in origins]), np.array([o[1] for o in origins]))
    out = []
    egress = access_seconds(target.distance_m)
    for i, start in enumerate(starts):
        network = float(dist[start.node])
        if not math.isfinite(network):
            continue
        path = path_to(tree, start.node)
        meters = start.distance_m + path_length_m(graph, path) + target.distance_m
        seconds = access_seconds(start.distance_m) + network + egress
        out.append(Reach(i, seconds, meters, tuple(path)))
    out.sort(key=lambda r: (r.seconds, r.origin))
    return out
