"""The road network: a directed graph of nodes (lon/lat) and edges (length, speed), travel times
on it, and snapping points to it. Pure: NumPy and SciPy only, no database, no clock.

A :class:`RoadGraph` is immutable arrays; everything derived from it (sparse matrices, the k-d tree
for snapping, edge lookup) is built once per graph object and cached on it. Travel times are
seconds; one Dijkstra from the incident over the reversed graph gives every unit's time *to* it
(one-way streets count the right way round).
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
MIN_SECONDS = 0.01  # an edge always costs something (a zero would be read as "no edge")
ACCESS_SPEED_KMH = 20.0  # from a point off the network to its nearest node (yards, alleys)
FORMAT = 1  # of the serialised graph


class RoadClass(IntEnum):
    """Kinds of road, with the speed a patrol car keeps on them when the data gives none."""

    MOTORWAY = 0
    TRUNK = 1
    PRIMARY = 2
    SECONDARY = 3
    TERTIARY = 4
    RESIDENTIAL = 5
    SERVICE = 6


DEFAULT_SPEED_KMH = {
    RoadClass.MOTORWAY: 90.0,
    RoadClass.TRUNK: 70.0,
    RoadClass.PRIMARY: 50.0,
    RoadClass.SECONDARY: 40.0,
    RoadClass.TERTIARY: 35.0,
    RoadClass.RESIDENTIAL: 25.0,
    RoadClass.SERVICE: 15.0,
}


class NetworkError(ValueError):
    """A road network that cannot be used (empty, inconsistent arrays, no road in the extract)."""


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Nodes ``0..n-1`` at (lon, lat); edges ``src -> dst`` with length in metres, speed in km/h
    and a :class:`RoadClass`. ``ways`` are polylines for drawing: ``way_nodes`` split at
    ``way_offsets`` (k + 1 offsets), each with its class in ``way_class``."""

    lon: np.ndarray
    lat: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    length_m: np.ndarray
    speed_kmh: np.ndarray
    road_class: np.ndarray
    way_offsets: np.ndarray
    way_nodes: np.ndarray
    way_class: np.ndarray
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n, m = len(self.lon), len(self.src)
        if n == 0 or m == 0:
            raise NetworkError("the road network has no nodes or no edges")
        if len(self.lat) != n:
            raise NetworkError("lon and lat differ in length")
        for name in ("dst", "length_m", "speed_kmh", "road_class"):
            if len(getattr(self, name)) != m:
                raise NetworkError(f"edge array '{name}' differs in length from 'src'")
        if (
            int(self.src.max()) >= n
            or int(self.dst.max()) >= n
            or int(min(self.src.min(), self.dst.min())) < 0
        ):
            raise NetworkError("an edge names a node that does not exist")
        if not np.all(self.speed_kmh > 0):
            raise NetworkError("every edge needs a positive speed")

    @property
    def n_nodes(self) -> int:
        return len(self.lon)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    @property
    def seconds(self) -> np.ndarray:
        got = self._cache.get("seconds")
        if got is None:
            got = np.maximum(self.length_m / (self.speed_kmh / 3.6), MIN_SECONDS)
            self._cache["seconds"] = got
        return got

    def matrix(self, *, reverse: bool = False) -> csr_matrix:
        """Travel seconds as a sparse matrix (``reverse``: every edge turned round)."""
        key = "reverse" if reverse else "forward"
        got = self._cache.get(key)
        if got is None:
            rows, cols = (self.dst, self.src) if reverse else (self.src, self.dst)
            got = csr_matrix((self.seconds, (rows, cols)), shape=(self.n_nodes, self.n_nodes))
            self._cache[key] = got
        return got

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north)."""
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def digest(self) -> str:
        got = self._cache.get("digest")
        if got is None:
            h = hashlib.sha256()
            for name in _ARRAYS:
                h.update(np.ascontiguousarray(getattr(self, name)).tobytes())
            got = h.hexdigest()
            self._cache["digest"] = got
        return got


_ARRAYS = (
    "lon",
    "lat",
    "src",
    "dst",
    "length_m",
    "speed_kmh",
    "road_class",
    "way_offsets",
    "way_nodes",
    "way_class",
)


def build(
    lon: np.ndarray,
    lat: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    road_class: np.ndarray,
    *,
    speed_kmh: np.ndarray | None = None,
    ways: list[tuple[int, np.ndarray]] | None = None,
    largest_component: bool = True,
) -> RoadGraph:
    """A graph from raw arrays: lengths from the coordinates (great-circle), parallel edges merged
    (the fastest kept), self-loops dropped, and by default only the largest strongly connected
    component kept (every kept node can reach every other: no car is stranded in a cul-de-sac of
    bad data). Node ids are renumbered; ways are cut where they leave the kept part."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    road_class = np.asarray(road_class, dtype=np.uint8)
    if speed_kmh is None:
        table = np.array([DEFAULT_SPEED_KMH[RoadClass(c)] for c in range(len(RoadClass))])
        speed = table[road_class]
    else:
        speed = np.asarray(speed_kmh, dtype=np.float64)
    if len(speed) != len(src) or not np.all(speed > 0):
        raise NetworkError("every edge needs a positive speed")
    keep = src != dst
    src, dst, road_class, speed = src[keep], dst[keep], road_class[keep], speed[keep]
    if len(src) == 0:
        raise NetworkError("the road network has no edges")
    length = haversine_m(lon[src], lat[src], lon[dst], lat[dst])
    seconds = length / (speed / 3.6)
    # parallel edges: keep the fastest (sort by key, then time; first of each key)
    n = len(lon)
    key = src * n + dst
    order = np.lexsort((seconds, key))
    key_sorted = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    pick = order[first]
    src, dst, road_class, speed, length = (
        src[pick],
        dst[pick],
        road_class[pick],
        speed[pick],
        length[pick],
    )
    node_map = np.arange(n)
    if largest_component:
        m = csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        count, labels = connected_components(m, directed=True, connection="strong")
        if count > 1:
            biggest = np.bincount(labels).argmax()
            inside = labels == biggest
            node_map = np.full(n, -1)
            node_map[inside] = np.arange(int(inside.sum()))
            edge_in = inside[src] & inside[dst]
            src, dst = node_map[src[edge_in]], node_map[dst[edge_in]]
            road_class, speed, length = road_class[edge_in], speed[edge_in], length[edge_in]
            lon, lat = lon[inside], lat[inside]
    offsets, nodes, classes = [0], [], []
    for cls, way in ways or ():
        mapped = node_map[np.asarray(way, dtype=np.int64)]
        # split where a node was dropped
        runs = np.split(mapped, np.where(mapped < 0)[0])
        for run in runs:
            run = run[run >= 0]
            if len(run) >= 2:
                nodes.append(run)
                offsets.append(offsets[-1] + len(run))
                classes.append(cls)
    return RoadGraph(
        lon=lon,
        lat=lat,
        src=src.astype(np.int32),
        dst=dst.astype(np.int32),
        length_m=length.astype(np.float64),
        speed_kmh=speed.astype(np.float64),
        road_class=road_class.astype(np.uint8),
        way_offsets=np.asarray(offsets, dtype=np.int64),
        way_nodes=(np.concatenate(nodes) if nodes else np.zeros(0, dtype=np.int64)).astype(
            np.int32
        ),
        way_class=np.asarray(classes, dtype=np.uint8),
    )


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Great-circle distance in metres (arrays or scalars)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


# --- serialisation ---------------------------------------------------------------------------
def dumps(graph: RoadGraph) -> bytes:
    """The graph as a compressed NumPy archive (what the database stores)."""
    buffer = io.BytesIO()
    arrays: dict[str, Any] = {name: getattr(graph, name) for name in _ARRAYS}
    np.savez_compressed(buffer, format=np.array([FORMAT]), **arrays)
    return buffer.getvalue()


def loads(data: bytes) -> RoadGraph:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        if int(archive["format"][0]) != FORMAT:
            raise NetworkError(f"road network format {int(archive['format'][0])} is not {FORMAT}")
        return RoadGraph(**{name: archive[name] for name in _ARRAYS})


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


# --- a synthetic city ------------------------------------------------------------------------
HEGANG = (130.2977, 47.3499)  # lon, lat of the city centre


def synthetic_city(
    *,
    seed: int = 7,
    rows: int = 200,
    cols: int = 250,
    spacing_m: float = 85.0,
    centre: tuple[float, float] = HEGANG,
) -> RoadGraph:
    """A Hegang-like city: a street grid with jittered corners, primary roads every 12th line,
    secondary every 4th, a trunk ring road, one-way residential streets, blocks without a through
    street, and a river crossed only on bridges. About ``rows * cols`` nodes before the largest
    strongly connected part is kept. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    lon0, lat0 = centre
    k = np.radians(1.0) * EARTH_RADIUS_M
    dlat = spacing_m / k
    dlon = spacing_m / (k * math.cos(math.radians(lat0)))
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    jitter = spacing_m * 0.18
    lat = lat0 + (r - rows / 2) * dlat + rng.normal(0, jitter / k, r.shape)
    lon = (
        lon0
        + (c - cols / 2) * dlon
        + rng.normal(0, jitter / (k * math.cos(math.radians(lat0))), c.shape)
    )
    node = (r * cols + c).astype(np.int64)

    def line_class(i: np.ndarray, size: int) -> np.ndarray:
        cls = np.full(i.shape, RoadClass.RESIDENTIAL, dtype=np.uint8)
        cls[i % 4 == 0] = RoadClass.SECONDARY
        cls[i % 12 == 0] = RoadClass.PRIMARY
        ring = (i == size // 6) | (i == size - size // 6)
        cls[ring] = RoadClass.TRUNK
        return cls

    # horizontal segments (along a row) and vertical segments (along a column)
    h_a, h_b = node[:, :-1].ravel(), node[:, 1:].ravel()
    h_cls = line_class(r[:, :-1], rows).ravel()
    v_a, v_b = node[:-1, :].ravel(), node[1:, :].ravel()
    v_cls = line_class(c[:-1, :], cols).ravel()
    a = np.concatenate([h_a, v_a])
    b = np.concatenate([h_b, v_b])
    cls = np.concatenate([h_cls, v_cls])
    residential = cls == RoadClass.RESIDENTIAL
    # blocks without a through street: 10 % of residential segments are missing
    present = ~(residential & (rng.random(len(a)) < 0.10))
    # the river: a band of segments crossing a sinuous line, bridged on primary and trunk roads
    rr, cc = np.divmod(a, cols)
    rr2, cc2 = np.divmod(b, cols)
    river_row = rows * 0.62 + rows * 0.08 * np.sin(cc / cols * 2 * math.pi * 1.5)
    river_row2 = rows * 0.62 + rows * 0.08 * np.sin(cc2 / cols * 2 * math.pi * 1.5)
    crosses = (rr < river_row) != (rr2 < river_row2)
    bridged = (cls == RoadClass.PRIMARY) | (cls == RoadClass.TRUNK)
    present &= ~crosses | bridged
    a, b, cls = a[present], b[present], cls[present]
    # one-way residential streets (alternating direction), the rest both ways
    oneway = (cls == RoadClass.RESIDENTIAL) & (rng.random(len(a)) < 0.15)
    flip = rng.random(len(a)) < 0.5
    fwd_src = np.where(oneway & flip, b, a)
    fwd_dst = np.where(oneway & flip, a, b)
    two = ~oneway
    src = np.concatenate([fwd_src, b[two]])
    dst = np.concatenate([fwd_dst, a[two]])
    road = np.concatenate([cls, cls[two]])
    table = np.array([DEFAULT_SPEED_KMH[RoadClass(x)] for x in range(len(RoadClass))])
    speed = table[road] * rng.uniform(0.85, 1.1, len(road))  # traffic, lights
    # ways for drawing: each row and column, cut where a segment is missing
    have = set(zip(a.tolist(), b.tolist(), strict=True))
    ways: list[tuple[int, np.ndarray]] = []
    for i in range(rows):
        ways.extend(_runs(node[i, :], have, int(line_class(np.array([i]), rows)[0])))
    for j in range(cols):
        ways.extend(_runs(node[:, j], have, int(line_class(np.array([j]), cols)[0])))
    return build(lon.ravel(), lat.ravel(), src, dst, road, speed_kmh=speed, ways=ways)


def _runs(line: np.ndarray, have: set[tuple[int, int]], cls: int) -> list[tuple[int, np.ndarray]]:
    out, run = [], [int(line[0])]
    for u, v in zip(line[:-1].tolist(), line[1:].tolist(), strict=True):
        if (u, v) in have:
            run.append(v)
        else:
            if len(run) >= 2:
                out.append((cls, np.array(run)))
            run = [v]
    if len(run) >= 2:
        out.append((cls, np.array(run)))
    return out


# --- drawing ---------------------------------------------------------------------------------
def geojson(
    graph: RoadGraph, *, classes: set[int] | None = None, digits: int = 5
) -> dict[str, Any]:
    """The ways as a GeoJSON FeatureCollection, one MultiLineString per road class (what Leaflet
    draws without a tile server)."""
    by_class: dict[int, list[list[list[float]]]] = {}
    lon = np.round(graph.lon, digits)
    lat = np.round(graph.lat, digits)
    offsets = graph.way_offsets
    for k in range(len(graph.way_class)):
        cls = int(graph.way_class[k])
        if classes is not None and cls not in classes:
            continue
        idx = graph.way_nodes[offsets[k] : offsets[k + 1]]
        by_class.setdefault(cls, []).append(np.column_stack([lon[idx], lat[idx]]).tolist())
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"class": RoadClass(cls).name.lower()},
                "geometry": {"type": "MultiLineString", "coordinates": lines},
            }
            for cls, lines in sorted(by_class.items())
        ],
    }
