"""The routing engine: a customizable contraction hierarchy (RoutingKit's CCH, through the
``routingkit-cch`` package; ADR 0039) on the routing graph of expand.py.

Built once per road network (the nested-dissection order and the hierarchy's shape depend only
on the roads), then *customized* per metric: one set of weights per hour of the day and traffic
profile, each a fraction of a second to make. A recommendation pins the cars as sources and asks
one many-to-one query: every car's time to the incident in about a millisecond, the same whole
milliseconds that a plain Dijkstra on the same routing graph finds (the tests and
``bench/dispatch.py`` check it).

The hierarchy and its metrics are shared by a process's threads; the query objects belong to
the thread that made them (PyO3 marks them unsendable), so each thread keeps its own for the
few hours it last asked about.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from .expand import INF_MS, RoutingGraph, metric_key, routing_graph, weights_ms
from .graph import RoadGraph
from .routing import Reach, Snap, access_seconds, snap, snap_many

METRICS_KEPT = 26  # 24 hours, free flow, and one spare for a new traffic profile
QUERIES_KEPT = 3  # per thread: this hour, the last, free flow


class Engine:
    """Travel times on one road graph with its car rules, by hour of day."""

    def __init__(self, graph: RoadGraph) -> None:
        import routingkit_cch as rk

        self._rk = rk
        self.graph = graph
        self.routing: RoutingGraph = routing_graph(graph)
        r = self.routing
        tail, head = r.src.tolist(), r.dst.tolist()
        lat = graph.lat[r.road].tolist()
        lon = graph.lon[r.road].tolist()
        order = rk.compute_order_inertial(r.n_nodes, tail, head, lat, lon)
        self._cch = rk.CCH(order, tail, head, False)
        self._metrics: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._local = threading.local()

    def _metric(self, hour: int | None, factors: np.ndarray | None) -> tuple[Any, Any, Any]:
        """(metric, many-to-one, point-to-point) for the hour; the last two of this thread."""
        key = metric_key(hour, factors)
        mine: OrderedDict[tuple[Any, ...], tuple[Any, Any, Any]] | None = getattr(
            self._local, "queries", None
        )
        if mine is None:
            mine = self._local.queries = OrderedDict()
            self._local.pinned = {}
        got = mine.get(key)
        if got is not None:
            mine.move_to_end(key)
            return got
        with self._lock:
            metric = self._metrics.get(key)
            if metric is None:
                weights = weights_ms(self.graph, self.routing, hour=hour, factors=factors)
                metric = self._metrics[key] = self._rk.CCHMetric(self._cch, weights.tolist())
                while len(self._metrics) > METRICS_KEPT:
                    self._metrics.popitem(last=False)
            else:
                self._metrics.move_to_end(key)
        got = (metric, self._rk.CCHManyToOne(metric, [0]), self._rk.CCHQuery(metric))
        mine[key] = got
        while len(mine) > QUERIES_KEPT:
            _, (_, gone, _) = mine.popitem(last=False)
            self._local.pinned.pop(id(gone), None)
        return got

    def prepare(self, hour: int | None = None, factors: np.ndarray | None = None) -> None:
        """Customize the metric of an hour ahead of its first query."""
        self._metric(hour, factors)

    def times_to(
        self,
        sources: list[int] | np.ndarray,
        target: int,
        *,
        hour: int | None = None,
        factors: np.ndarray | None = None,
    ) -> list[int | None]:
        """Milliseconds from each source road node to the target road node."""
        r = self.routing
        if len(sources) == 0:
            return []
        starts = r.start[np.asarray(sources, dtype=np.int64)].tolist()
        ends = r.ends_of(target).tolist()
        _, many, _ = self._metric(hour, factors)
        pinned = self._local.pinned
        if pinned.get(id(many)) != starts:  # pinning costs as much as a query: only on a change
            many.repin_sources(starts)
            pinned[id(many)] = starts
        if len(ends) == 1:
            got = many.distances_to(ends[0])
        else:
            got = many.distances_to_multi([(e, 0) for e in ends])
        return [None if d is None or d >= INF_MS else int(d) for d in got]

    def path(
        self,
        source: int,
        target: int,
        *,
        hour: int | None = None,
        factors: np.ndarray | None = None,
    ) -> tuple[int | None, list[int], float]:
        """One fastest path: (milliseconds, road nodes, metres)."""
        r, g = self.routing, self.graph
        start = int(r.start[source])
        ends = [(int(e), 0) for e in r.ends_of(target)]
        _, _, query = self._metric(hour, factors)
        result = query.run_multi([(start, 0)], ends)
        distance, arcs = result.distance, list(result.arc_path)
        del result  # RoutingKit: a result must be gone before the next query
        if distance is None or distance >= INF_MS:
            return None, [], 0.0
        edges = r.edge[np.asarray(arcs, dtype=np.int64)] if arcs else np.zeros(0, np.int32)
        edges = edges[edges >= 0]
        nodes = [source] + [int(v) for v in g.dst[edges]]
        return int(distance), nodes, float(g.length_m[edges].sum())

    def reach_point(
        self,
        target_lon: float,
        target_lat: float,
        origins: list[tuple[float, float]],
        *,
        hour: int | None = None,
        factors: np.ndarray | None = None,
        paths: int = 0,
        target: Snap | None = None,
        starts: list[Snap] | None = None,
    ) -> list[Reach]:
        """As :func:`routing.reach_point`, fastest first; the path and metres of the ``paths``
        fastest only (the rest carry metres as the crow flies along their access, and no path):
        unpacking a path is the costly part, and a dispatcher looks at the first few."""
        if not origins:
            return []
        graph = self.graph
        target = target or snap(graph, target_lon, target_lat)
        starts = starts or snap_many(
            graph, np.array([o[0] for o in origins]), np.array([o[1] for o in origins])
        )
        ms = self.times_to([s.node for s in starts], target.node, hour=hour, factors=factors)
        egress = access_seconds(target.distance_m)
        out = []
        for i, (start, d) in enumerate(zip(starts, ms, strict=True)):
            if d is None:
                continue
            seconds = access_seconds(start.distance_m) + d / 1000.0 + egress
            out.append(Reach(i, seconds, math.nan, ()))
        out.sort(key=lambda x: (x.seconds, x.origin))
        for k, hit in enumerate(out[:paths]):
            start = starts[hit.origin]
            _, nodes, meters = self.path(start.node, target.node, hour=hour, factors=factors)
            out[k] = Reach(
                hit.origin,
                hit.seconds,
                start.distance_m + meters + target.distance_m,
                tuple(nodes),
            )
        return out


def engine_for(graph: RoadGraph) -> Engine:
    """The graph's engine, built once per graph object."""
    got = graph._cache.get("engine")
    if got is None:
        with _BUILD:
            got = graph._cache.get("engine")
            if got is None:
                got = Engine(graph)
                graph._cache["engine"] = got
    return got


_BUILD = threading.Lock()
