"""Use cases of the road network: install one for a bureau, read the active one (cached per
process, keyed by its digest), travel times from points to a point, and the map layer."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from precinct.common import transactions

from . import rules
from .models import RoadNetwork
from .rules import NetworkError, Reach, RoadGraph

_CACHE: dict[tuple[uuid.UUID, str], RoadGraph] = {}
_LOCK = threading.Lock()


@transactions.inside
def install(*, bureau_id: uuid.UUID, graph: RoadGraph, name: str, source: str) -> RoadNetwork:
    """Make ``graph`` the bureau's active network (the previous one is kept, inactive)."""
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
            for old in [k for k in _CACHE if k[0] == bureau_id]:
                del _CACHE[old]
            _CACHE[key] = got
    return got


def reach(
    *, bureau_id: uuid.UUID, lon: float, lat: float, origins: list[tuple[float, float]]
) -> list[Reach]:
    """Road-network travel from each origin (lon, lat) to the point, fastest first."""
    return rules.reach_point(graph_for(bureau_id), lon, lat, origins)


def map_layer(*, bureau_id: uuid.UUID) -> dict[str, Any]:
    graph = graph_for(bureau_id)
    west, south, east, north = graph.bounds()
    return {"bounds": [[south, west], [north, east]], "roads": rules.geojson(graph)}
