"""The road graph: nodes and edges as immutable arrays with what is derived from them cached on
the graph object, built from edges, serialised for the database, and drawn as GeoJSON."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

EARTH_RADIUS_M = 6_371_008.8
MIN_SECONDS = 0.01  # an edge always costs something (a zero would be read as "no edge")
ACCESS_SPEED_KMH = 20.0  # from a point off the network to its nearest node (yards, alleys)
FORMAT = 2  # of the serialised graph (1: no flags, hours or restrictions; still read)
ALL_HOURS = (1 << 24) - 1  # an edge open at every hour of the day (bit h: open from h:00)
DESTINATION = 1  # edge flag: private or destination-only access, used only to start or end a trip


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
    ``way_offsets`` (k + 1 offsets), each with its class in ``way_class``.

    The car's rules ride on the edges: ``edge_flags`` (:data:`DESTINATION`: a private or
    destination-only road, driven only at the start or the end of a trip), ``edge_hours`` (bit h
    set: open from h:00 to h:59; a tidal lane or a time-limited one-way is closed in the others),
    and turn restrictions as forbidden node sequences (``restriction_nodes`` split at
    ``restriction_offsets``): a car may not drive ``a -> b -> c`` (a via node) or
    ``a -> b -> ... -> y -> z`` (via ways) in one go."""

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
    edge_flags: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    edge_hours: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    restriction_offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    restriction_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n, m = len(self.lon), len(self.src)
        if n == 0 or m == 0:
            raise NetworkError("the road network has no nodes or no edges")
        if len(self.lat) != n:
            raise NetworkError("lon and lat differ in length")
        # graphs written before the car's rules (format 1) have none: every edge open, public
        if len(self.edge_flags) == 0:
            object.__setattr__(self, "edge_flags", np.zeros(m, dtype=np.uint8))
        if len(self.edge_hours) == 0:
            object.__setattr__(self, "edge_hours", np.full(m, ALL_HOURS, dtype=np.uint32))
        for name in ("dst", "length_m", "speed_kmh", "road_class", "edge_flags", "edge_hours"):
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
        offsets, nodes = self.restriction_offsets, self.restriction_nodes
        if (
            len(offsets) == 0
            or offsets[0] != 0
            or offsets[-1] != len(nodes)
            or np.any(np.diff(offsets) < 3)
            or (len(nodes) and (int(nodes.min()) < 0 or int(nodes.max()) >= n))
        ):
            raise NetworkError("a turn restriction is not a sequence of three or more nodes")

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

    @property
    def restrictions(self) -> list[tuple[int, ...]]:
        """The forbidden node sequences."""
        o, nodes = self.restriction_offsets, self.restriction_nodes
        return [tuple(int(v) for v in nodes[o[k] : o[k + 1]]) for k in range(len(o) - 1)]

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
    "edge_flags",
    "edge_hours",
    "restriction_offsets",
    "restriction_nodes",
)
_FORMAT_1 = _ARRAYS[:10]


@dataclass
class Dropped:
    """What a load left out, by reason: ways, nodes, edges and metres of road. Nothing is lost
    without a word: the loader and :func:`build` add to one of these, and the command prints it."""

    counts: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(
        self, reason: str, *, ways: int = 0, nodes: int = 0, edges: int = 0, length_m: float = 0.0
    ) -> None:
        row = self.counts.setdefault(reason, {"ways": 0, "nodes": 0, "edges": 0, "length_m": 0.0})
        row["ways"] += ways
        row["nodes"] += nodes
        row["edges"] += edges
        row["length_m"] += float(length_m)

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {k: dict(v) for k, v in sorted(self.counts.items())}


def build(
    lon: np.ndarray,
    lat: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    road_class: np.ndarray,
    *,
    speed_kmh: np.ndarray | None = None,
    ways: list[tuple[int, np.ndarray]] | None = None,
    flags: np.ndarray | None = None,
    hours: np.ndarray | None = None,
    restrictions: list[tuple[int, ...]] | None = None,
    keep: str = "connected",
    dropped: Dropped | None = None,
) -> RoadGraph:
    """A graph from raw arrays: lengths from the coordinates (great-circle), self-loops dropped,
    parallel edges merged (the one open the most hours, public before destination-only, then the
    fastest kept). ``keep``: ``"connected"`` (default) keeps the largest part whose roads touch
    one another (weakly connected): a pocket a car can drive into but not out of inside the
    extract stays, an island touching nothing is left out; ``"strong"`` keeps only the largest
    strongly connected part; ``"all"`` keeps every node on an edge. Node ids are renumbered; ways
    are cut and restrictions dropped where they leave the kept part. What is left out is added to
    ``dropped``."""
    report = dropped if dropped is not None else Dropped()
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
    flag = np.zeros(len(src), np.uint8) if flags is None else np.asarray(flags, dtype=np.uint8)
    hour = (
        np.full(len(src), ALL_HOURS, np.uint32)
        if hours is None
        else np.asarray(hours, dtype=np.uint32)
    )
    if len(speed) != len(src) or not np.all(speed > 0):
        raise NetworkError("every edge needs a positive speed")
    if len(flag) != len(src) or len(hour) != len(src):
        raise NetworkError("edge flags and hours must be given for every edge")
    loops = src == dst
    if loops.any():
        report.add("self_loop", edges=int(loops.sum()))
    keep_edge = ~loops
    src, dst, road_class, speed = (
        src[keep_edge],
        dst[keep_edge],
        road_class[keep_edge],
        speed[keep_edge],
    )
    flag, hour = flag[keep_edge], hour[keep_edge]
    if len(src) == 0:
        raise NetworkError("the road network has no edges")
    length = haversine_m(lon[src], lat[src], lon[dst], lat[dst])
    seconds = length / (speed / 3.6)
    # parallel edges: keep the most open, then public, then the fastest (first of each key)
    n = len(lon)
    key = src * n + dst
    open_hours = np.array([bin(int(h)).count("1") for h in hour]) if len(hour) else hour
    order = np.lexsort((seconds, flag, -np.asarray(open_hours, dtype=np.int64), key))
    key_sorted = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    pick = order[first]
    if len(pick) < len(order):
        report.add("parallel_edge", edges=len(order) - len(pick))
    src, dst, road_class, speed, length = (
        src[pick],
        dst[pick],
        road_class[pick],
        speed[pick],
        length[pick],
    )
    flag, hour = flag[pick], hour[pick]
    node_map = np.arange(n)
    on_edge = np.zeros(n, dtype=bool)
    on_edge[src] = True
    on_edge[dst] = True
    if keep in ("connected", "strong"):
        m = csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        how = "strong" if keep == "strong" else "weak"
        _count, labels = connected_components(m, directed=True, connection=how)
        sizes = np.bincount(labels[on_edge]) if on_edge.any() else np.zeros(1)
        inside = labels == sizes.argmax()
    elif keep == "all":
        inside = on_edge
    else:
        raise NetworkError(f"keep must be connected, strong or all, not {keep!r}")
    isolated = ~on_edge
    if isolated.any():
        report.add("isolated_node", nodes=int(isolated.sum()))
    if not inside.all():
        node_map = np.full(n, -1)
        node_map[inside] = np.arange(int(inside.sum()))
        edge_in = inside[src] & inside[dst]
        left = ~inside & on_edge
        if left.any():
            reason = "not_strongly_connected" if keep == "strong" else "island"
            report.add(
                reason,
                nodes=int(left.sum()),
                edges=int((~edge_in).sum()),
                length_m=float(length[~edge_in].sum()),
            )
        src, dst = node_map[src[edge_in]], node_map[dst[edge_in]]
        road_class, speed, length = road_class[edge_in], speed[edge_in], length[edge_in]
        flag, hour = flag[edge_in], hour[edge_in]
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
    r_offsets, r_nodes = [0], []
    lost = 0
    for seq in restrictions or ():
        mapped = node_map[np.asarray(seq, dtype=np.int64)]
        if len(mapped) < 3 or np.any(mapped < 0):
            lost += 1
            continue
        r_nodes.append(mapped)
        r_offsets.append(r_offsets[-1] + len(mapped))
    if lost:
        report.add("restriction_outside", ways=lost)
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
        edge_flags=flag.astype(np.uint8),
        edge_hours=hour.astype(np.uint32),
        restriction_offsets=np.asarray(r_offsets, dtype=np.int64),
        restriction_nodes=(
            np.concatenate(r_nodes) if r_nodes else np.zeros(0, dtype=np.int64)
        ).astype(np.int32),
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
        version = int(archive["format"][0])
        if version not in (1, FORMAT):
            raise NetworkError(f"road network format {version} is not {FORMAT}")
        names = _ARRAYS if version == FORMAT else _FORMAT_1
        return RoadGraph(**{name: archive[name] for name in names})


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
