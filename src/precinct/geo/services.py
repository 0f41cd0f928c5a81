"""Use cases of the road network: install one for a bureau, read the active one (cached per
process, keyed by its digest), travel times from points to a point, and the map layer."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings

from precinct.common import transactions

from . import rules
from .models import RoadNetwork
from .rules import NetworkError, Reach, RoadGraph, Snap
from .rules.engine import engine_for

_CACHE: dict[tuple[uuid.UUID, str], RoadGraph] = {}
_LOCK = threading.Lock()


def max_snap_m() -> float:
    """How far a point may lie from the nearest road and still be routed from there."""
    return float(getattr(settings, "PRECINCT_MAX_SNAP_M", 300.0))


def coverage(graph: RoadGraph, points: Sequence[tuple[float, float]]) -> tuple[int, int]:
    """(points within :func:`max_snap_m` of the network, points)."""
    if not points:
        return 0, 0
    snaps = rules.snap_many(
        graph, np.array([p[0] for p in points]), np.array([p[1] for p in points])
    )
    return sum(1 for s in snaps if s.distance_m <= max_snap_m()), len(points)


COVERAGE_SHARE = 0.8  # of the bureau's own places that must lie on the network


@transactions.inside
def install(
    *,
    bureau_id: uuid.UUID,
    graph: RoadGraph,
    name: str,
    source: str,
    area: Sequence[tuple[float, float]] = (),
    report: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
) -> RoadNetwork:
    """Make ``graph`` the bureau's active network (the previous one is kept, inactive). A
    network must cover the bureau: of its own places (``area``: patrol posts, stations, the
    address register), at least :data:`COVERAGE_SHARE` must lie within :func:`max_snap_m` of a
    road, or the network is refused (a wrong city, a wrong extract, a shifted coordinate
    system)."""
    near, total = coverage(graph, area)
    if total and near < COVERAGE_SHARE * total:
        raise NetworkError(
            f"the network does not cover the bureau: {near} of its {total} places lie within "
            f"{max_snap_m():.0f} m of a road (at least {COVERAGE_SHARE:.0%} must)"
        )
    RoadNetwork.objects.select_for_update().filter(bureau_id=bureau_id, active=True).update(
        active=False
    )
    return RoadNetwork.objects.create(
        bureau_id=bureau_id,
        name=name[:200],
        source=source,
        nodes=graph.n_nodes,
        edges=graph.n_edges,
        digest=graph.digest(),
        data=rules.dumps(graph),
        report=report or {},
        profile=profile or {},
    )


def active_info(bureau_id: uuid.UUID) -> RoadNetwork | None:
    return (
        RoadNetwork.objects.filter(bureau_id=bureau_id, active=True)
        .defer("data")
        .order_by("-created_at")
        .first()
    )


def graph_for(bureau_id: uuid.UUID) -> RoadGraph:
    """The bureau's active network, read once per process (and again when it is replaced)."""
    info = (
        RoadNetwork.objects.filter(bureau_id=bureau_id, active=True)
        .values_list("pk", "digest")
        .first()
    )
    if info is None:
        raise NetworkError("this bureau has no road network: load one (precinct geo synthetic)")
    pk, digest = info
    key = (bureau_id, digest)
    got = _CACHE.get(key)
    if got is not None:
        return got
    with _LOCK:
        got = _CACHE.get(key)
        if got is None:
            data = RoadNetwork.objects.filter(pk=pk).values_list("data", flat=True).get()
            got = rules.loads(bytes(data))
            engine_for(got).prepare()  # the contraction hierarchy, once per process and network
            for old in [k for k in _CACHE if k[0] == bureau_id]:
                del _CACHE[old]
            _CACHE[key] = got
    return got


def warm() -> int:
    """Read every active network and build its engine, as a server process starts: the first
    dispatch after a restart need not wait for them (about 2 s each). How many were read."""
    bureaus = RoadNetwork.objects.filter(active=True).values_list("bureau_id", flat=True).distinct()
    for bureau_id in bureaus:
        graph_for(bureau_id)
    return len(bureaus)


def network_distances(
    bureau_id: uuid.UUID, points: Sequence[tuple[float, float]], *, role: str
) -> list[float | None]:
    """Each point's distance in metres from the nearest road usable for ``role`` ("start": a
    car; "end": an incident); None when the bureau has no network."""
    if not points:
        return []
    try:
        graph = graph_for(bureau_id)
    except NetworkError:
        return [None] * len(points)
    snaps = rules.snap_many(
        graph, np.array([p[0] for p in points]), np.array([p[1] for p in points]), role=role
    )
    return [s.distance_m for s in snaps]


def is_off_network(distance_m: float | None) -> bool:
    """Too far from any road to be given a road ETA (flagged, never a straight line)."""
    return distance_m is not None and distance_m > max_snap_m()


_SNAPS_KEPT = 4096


def _snap_cached(graph: RoadGraph, points: Sequence[tuple[float, float]]) -> list[Snap]:
    """Snaps of the cars' places, kept per graph: a car's place changes with its pings only."""
    cache: OrderedDict[tuple[float, float], Snap] = graph._cache.setdefault("snaps", OrderedDict())
    missing = [p for p in points if p not in cache]
    if missing:
        found = rules.snap_many(
            graph, np.array([p[0] for p in missing]), np.array([p[1] for p in missing])
        )
        for p, hit in zip(missing, found, strict=True):
            cache[p] = hit
        while len(cache) > _SNAPS_KEPT:
            cache.popitem(last=False)
    return [cache[p] for p in points]


@dataclass(frozen=True)
class Reachability:
    """Road travel from origins to a point, with what lies off the network said, not hidden:
    ``target_snap_m`` (the point's distance from the nearest road), ``off_network`` (the
    point lies farther than :func:`max_snap_m`: nobody gets an ETA then), ``origins_off`` (the
    origins farther than that: no ETA for them). ``reaches``: the others, fastest first."""

    target_snap_m: float
    off_network: bool
    origins_off: frozenset[int]
    reaches: list[Reach]


def reach(
    *,
    graph: RoadGraph,
    lon: float,
    lat: float,
    origins: list[tuple[float, float]],
    hour: int | None = None,
    factors: np.ndarray | None = None,
    paths: int = 5,
) -> Reachability:
    """Road-network travel from each origin (lon, lat) to the point at the local ``hour`` with
    the traffic ``factors`` (free flow when None), fastest first, the route and metres of the
    ``paths`` fastest. ``graph``: the bureau's, from :func:`graph_for`."""
    limit = max_snap_m()
    target = rules.snap(graph, lon, lat)
    starts = _snap_cached(graph, [(float(o[0]), float(o[1])) for o in origins])
    off = frozenset(i for i, s in enumerate(starts) if s.distance_m > limit)
    if target.distance_m > limit:
        return Reachability(target.distance_m, True, off, [])
    found = engine_for(graph).reach_point(
        lon,
        lat,
        origins,
        hour=hour,
        factors=factors,
        paths=paths,
        target=target,
        starts=starts,
    )
    kept = [r for r in found if r.origin not in off]
    return Reachability(target.distance_m, False, off, kept)


def route_meters(
    *,
    graph: RoadGraph,
    origins: Sequence[tuple[float, float]],
    lon: float,
    lat: float,
    hour: int | None = None,
    factors: np.ndarray | None = None,
) -> list[float | None]:
    """Metres along the fastest route from each car's place to the point (with the access at
    both ends), None where there is no road route."""
    if not origins:
        return []
    engine = engine_for(graph)
    starts = _snap_cached(graph, [(float(o[0]), float(o[1])) for o in origins])
    target = rules.snap(graph, lon, lat)
    out: list[float | None] = []
    for start in starts:
        ms, _nodes, meters = engine.path(start.node, target.node, hour=hour, factors=factors)
        out.append(None if ms is None else start.distance_m + meters + target.distance_m)
    return out


def map_layer(*, bureau_id: uuid.UUID) -> dict[str, Any]:
    graph = graph_for(bureau_id)
    west, south, east, north = graph.bounds()
    return {"bounds": [[south, west], [north, east]], "roads": rules.geojson(graph)}
