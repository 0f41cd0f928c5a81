"""The routing graph: the road graph expanded so that a plain shortest path obeys a car's rules.

Two expansions, each only where a rule needs it, so a city without rules routes on its own
nodes (the expanded graph *is* the road graph then):

* **Turn restrictions** (forbidden sequences of edges, from the node sequences on the graph) are
  removed by adding states, as in the classical shortest path with forbidden paths (Villeneuve
  and Desaulniers 2005): the prefixes of the forbidden sequences form a trie; a node copy per
  prefix remembers "I have just driven these edges"; from a copy, an edge that would complete a
  forbidden sequence is left out and the others lead to the state of the longest suffix that is
  still a prefix (Aho-Corasick). A restriction via one node costs one copy of that node; via a
  way, a copy of each node along it.
* **Destination-only roads** (private, destination): a trip may use them only at its start or
  at its end. The nodes they touch get a *start* and an *end* copy: the start layer has only such
  roads and leads to the public layer, the public layer leads to the end layer, which has only
  such roads again and no way back. So a private yard is never a short cut.

Every arc keeps the road edge it drives (or -1 for a free change of layer); weights by the hour
are then one NumPy expression (:func:`weights_ms`). Trips start at :attr:`RoutingGraph.start`
of a road node and end at any expanded node of the target road node (:meth:`ends_of`).

Pure NumPy: no database, no clock.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from .graph import ALL_HOURS, DESTINATION, RoadClass, RoadGraph

INF_MS = 2_147_483_647  # "no arc" for the CCH (RoutingKit's infinity); never a real time
FREE = -1  # an arc that drives no road (a change of layer)


@dataclass(frozen=True, eq=False)
class RoutingGraph:
    """Expanded nodes ``0..N-1`` (each a road node in some state) and arcs ``src -> dst`` that
    each drive one road edge (``edge``) or none (:data:`FREE`). ``start[r]``: where a trip from
    road node ``r`` begins; ``end_nodes[end_offsets[r]:end_offsets[r + 1]]``: where a trip to
    ``r`` may end."""

    road: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    edge: np.ndarray
    start: np.ndarray
    end_offsets: np.ndarray
    end_nodes: np.ndarray
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return len(self.road)

    @property
    def n_arcs(self) -> int:
        return len(self.src)

    @property
    def plain(self) -> bool:
        """No rule needed a copy: expanded nodes are the road nodes."""
        return len(self.road) == len(self.start)

    def ends_of(self, road_node: int) -> np.ndarray:
        return self.end_nodes[self.end_offsets[road_node] : self.end_offsets[road_node + 1]]


def routing_graph(graph: RoadGraph) -> RoutingGraph:
    """The graph's routing graph, built once per graph object."""
    got = graph._cache.get("routing")
    if got is None:
        got = expand(graph)
        graph._cache["routing"] = got
    return got


def expand(graph: RoadGraph) -> RoutingGraph:
    n = graph.n_nodes
    road = np.arange(n, dtype=np.int64)
    src = graph.src.astype(np.int64)
    dst = graph.dst.astype(np.int64).copy()
    edge = np.arange(graph.n_edges, dtype=np.int64)
    road, src, dst, edge = _restrictions(graph, road, src, dst, edge)
    road, src, dst, edge, start = _destination_layers(graph, road, src, dst, edge, n)
    order = np.argsort(road, kind="stable")
    counts = np.bincount(road, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return RoutingGraph(
        road=road.astype(np.int32),
        src=src.astype(np.int32),
        dst=dst.astype(np.int32),
        edge=edge.astype(np.int32),
        start=start.astype(np.int32),
        end_offsets=offsets,
        end_nodes=order.astype(np.int32),
    )


def mid_street_u_turns(graph: RoadGraph) -> list[tuple[int, int, int]]:
    """Turning round in the middle of a street — at a node that only joins two pieces of road,
    ``a -> y -> a`` — is not a car's manoeuvre (it is how a route would slip past a turn
    restriction: turn round just past the junction and come back). At a junction (three or more
    neighbours) a U-turn is allowed unless a ``no_u_turn`` restriction says otherwise, and at a
    dead end a car turns round."""
    n = graph.n_nodes
    a = np.minimum(graph.src, graph.dst).astype(np.int64)
    b = np.maximum(graph.src, graph.dst).astype(np.int64)
    pairs = np.unique(a * n + b)
    ends = np.concatenate([pairs // n, pairs % n])
    degree = np.bincount(ends, minlength=n)
    keys = graph.src.astype(np.int64) * n + graph.dst
    back = np.isin(graph.dst.astype(np.int64) * n + graph.src, keys)
    both = np.flatnonzero(back & (degree[graph.dst] == 2))
    return [(int(graph.src[e]), int(graph.dst[e]), int(graph.src[e])) for e in both]


def _restrictions(
    graph: RoadGraph, road: np.ndarray, src: np.ndarray, dst: np.ndarray, edge: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node copies that make the forbidden edge sequences impossible (see the module)."""
    sequences = graph.restrictions + mid_street_u_turns(graph)
    if not sequences:
        return road, src, dst, edge
    n = graph.n_nodes
    edge_of = {
        (int(a), int(b)): e for e, (a, b) in enumerate(zip(graph.src, graph.dst, strict=True))
    }
    patterns: set[tuple[int, ...]] = set()
    for seq in sequences:
        ids = [edge_of.get((a, b)) for a, b in itertools.pairwise(seq)]
        if all(i is not None for i in ids):  # a sequence a car cannot drive anyway needs nothing
            patterns.add(tuple(i for i in ids if i is not None))
    # every proper prefix of a pattern that is not itself forbidden is a state with a node copy
    prefixes = sorted(
        {p[:k] for p in patterns for k in range(1, len(p))} - patterns, key=lambda p: (len(p), p)
    )
    if not prefixes:
        return road, src, dst, edge
    state = {p: n + i for i, p in enumerate(prefixes)}
    heads = graph.dst

    def forbidden(seq: tuple[int, ...]) -> bool:
        return any(seq[k:] in patterns for k in range(len(seq) - 1))

    def landing(seq: tuple[int, ...]) -> int:
        for k in range(len(seq)):
            got = state.get(seq[k:])
            if got is not None:
                return got
        return int(heads[seq[-1]])

    # arcs from the plain nodes: an edge that begins a pattern leads into its state
    for p in prefixes:
        if len(p) == 1:
            dst[p[0]] = state[p]
    # arcs from the copies: every edge out of the copy's road node, unless it completes a pattern
    out_order = np.argsort(graph.src, kind="stable")
    out_offsets = np.searchsorted(graph.src[out_order], np.arange(n + 1))
    new_road, new_src, new_dst, new_edge = [], [], [], []
    for p in prefixes:
        at = int(heads[p[-1]])
        for f in out_order[out_offsets[at] : out_offsets[at + 1]]:
            seq = (*p, int(f))
            if forbidden(seq):
                continue
            new_src.append(state[p])
            new_dst.append(landing(seq))
            new_edge.append(int(f))
        new_road.append(at)
    return (
        np.concatenate([road, np.asarray(new_road, dtype=np.int64)]),
        np.concatenate([src, np.asarray(new_src, dtype=np.int64)]),
        np.concatenate([dst, np.asarray(new_dst, dtype=np.int64)]),
        np.concatenate([edge, np.asarray(new_edge, dtype=np.int64)]),
    )


def _destination_layers(
    graph: RoadGraph,
    road: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    edge: np.ndarray,
    n_road: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start and end copies for the nodes that destination-only roads touch (see the module)."""
    start = np.arange(n_road, dtype=np.int64)
    private = (graph.edge_flags[edge] & DESTINATION) != 0
    if not private.any():
        return road, src, dst, edge, start
    n = len(road)
    touched = np.unique(np.concatenate([src[private], dst[private]]))
    k = len(touched)
    s_copy = np.full(n, -1, dtype=np.int64)
    e_copy = np.full(n, -1, dtype=np.int64)
    s_copy[touched] = n + np.arange(k)
    e_copy[touched] = n + k + np.arange(k)
    p_src, p_dst, p_edge = src[private], dst[private], edge[private]
    zeros = np.full(k, FREE, dtype=np.int64)
    out_src = np.concatenate(
        [src[~private], s_copy[p_src], e_copy[p_src], s_copy[touched], touched, s_copy[touched]]
    )
    out_dst = np.concatenate(
        [dst[~private], s_copy[p_dst], e_copy[p_dst], touched, e_copy[touched], e_copy[touched]]
    )
    out_edge = np.concatenate([edge[~private], p_edge, p_edge, zeros, zeros, zeros])
    # a trip from a road node whose plain node touches such a road starts in the start layer
    roots = touched[touched < n_road]
    start[roots] = s_copy[roots]
    new_road = np.concatenate([road, road[touched], road[touched]])
    return new_road, out_src, out_dst, out_edge, start


# --- weights ---------------------------------------------------------------------------------
def factors_at(factors: np.ndarray | None, hour: int | None) -> np.ndarray | None:
    """The road classes' travel-time factors at an hour (None: free flow)."""
    if factors is None or hour is None:
        return None
    table = np.asarray(factors, dtype=np.float64)
    if table.shape != (24, len(RoadClass)):
        raise ValueError(f"traffic factors must be 24 x {len(RoadClass)}, not {table.shape}")
    return table[int(hour) % 24]


def metric_key(hour: int | None, factors: np.ndarray | None) -> tuple[Any, ...]:
    """What a set of weights depends on: the hour (closures) and the factors in force then."""
    row = factors_at(factors, hour)
    return (None if hour is None else int(hour) % 24, None if row is None else row.tobytes())


def weights_ms(
    graph: RoadGraph,
    routing: RoutingGraph,
    *,
    hour: int | None = None,
    factors: np.ndarray | None = None,
) -> np.ndarray:
    """Each arc's time in whole milliseconds at ``hour`` (free flow when no factors): a road
    edge's seconds times its class's factor, :data:`INF_MS` where the edge is closed at that hour
    (a tidal lane, a time-limited one-way; with no hour, a road open only part of the day counts
    as closed), 0 for a change of layer. Integers, so the contraction hierarchy and a plain
    Dijkstra add up exactly the same numbers."""
    key = ("weights", *metric_key(hour, factors))
    got = routing._cache.get(key)
    if got is not None:
        return got
    seconds = graph.seconds
    row = factors_at(factors, hour)
    if row is not None:
        seconds = seconds * row[graph.road_class]
    per_edge = np.rint(seconds * 1000.0).astype(np.int64)
    if hour is not None:
        closed = (graph.edge_hours & np.uint32(1 << (int(hour) % 24))) == 0
    else:
        closed = graph.edge_hours != ALL_HOURS
    per_edge[closed] = INF_MS
    out = np.where(routing.edge >= 0, per_edge[np.maximum(routing.edge, 0)], 0).astype(np.int64)
    routing._cache[key] = out
    return out


def matrix_ms(
    graph: RoadGraph,
    routing: RoutingGraph,
    *,
    reverse: bool = False,
    hour: int | None = None,
    factors: np.ndarray | None = None,
) -> csr_matrix:
    """The routing graph as a sparse matrix of milliseconds for SciPy's Dijkstra (closed arcs
    left out; a change of layer is an explicit zero, which SciPy reads as an arc). Whole
    milliseconds as floats add up exactly."""
    key = ("matrix", reverse, *metric_key(hour, factors))
    got = routing._cache.get(key)
    if got is None:
        w = weights_ms(graph, routing, hour=hour, factors=factors)
        open_ = w < INF_MS
        rows, cols = (routing.dst, routing.src) if reverse else (routing.src, routing.dst)
        n = routing.n_nodes
        got = csr_matrix((w[open_].astype(np.float64), (rows[open_], cols[open_])), shape=(n, n))
        routing._cache[key] = got
    return got
