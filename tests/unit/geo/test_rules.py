"""The road network: building, travel times by hand, one-way streets, snapping, the synthetic city
and the OSM loader on a real .osm.pbf written by libosmium."""

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from precinct.geo import osm
from precinct.geo import rules as g

# A little town (lon, lat): 0 --- 1 --- 2, with 2 -> 3 one-way and 3 --- 0 back
LON = np.array([130.0, 130.01, 130.02, 130.01])
LAT = np.array([47.0, 47.0, 47.0, 47.01])


def town(**kw: object) -> g.RoadGraph:
    src = np.array([0, 1, 1, 2, 2, 3, 0])
    dst = np.array([1, 0, 2, 1, 3, 0, 3])
    cls = np.full(7, g.RoadClass.PRIMARY)
    speed = np.full(7, 36.0)  # 10 m/s: seconds are metres / 10
    return g.build(LON, LAT, src, dst, cls, speed_kmh=speed, **kw)  # type: ignore[arg-type]


def test_times_follow_the_edges_and_one_way_streets() -> None:
    graph = town()
    d01 = float(g.haversine_m(LON[0], LAT[0], LON[1], LAT[1]))
    d23 = float(g.haversine_m(LON[2], LAT[2], LON[3], LAT[3]))
    d30 = float(g.haversine_m(LON[3], LAT[3], LON[0], LAT[0]))
    to_three, pred = g.times_to(graph, 3)
    # from 2: the one-way street straight to 3
    assert to_three[2] == pytest.approx(d23 / 10, abs=0.002)  # whole milliseconds per edge
    # from 1: via 2 (two blocks) or via 0 and 0 -> 3; whichever is shorter
    assert to_three[1] == pytest.approx(min(2 * d01 + d23, d01 + d30) / 10, abs=0.002)
    # 3 -> 2 is against the one-way street: from 3 to 2 goes round by 0 and 1
    assert g.times_from(graph, 3)[2] == pytest.approx((d30 + 2 * d01) / 10, abs=0.002)
    assert g.path_to(pred, 2) == [2, 3]
    assert g.path_length_m(graph, [3, 0, 1, 2]) == pytest.approx(d30 + 2 * d01)


def test_parallel_edges_keep_the_fastest_pockets_stay_and_islands_are_reported() -> None:
    lon = np.array([130.0, 130.01, 130.02, 131.0, 131.01])
    lat = np.array([47.0, 47.0, 47.0, 47.0, 47.0])
    # 0 <-> 1 twice (slow and fast); 1 -> 2 only: 2 is a pocket; 3 <-> 4 an island far away
    src = np.array([0, 0, 1, 1, 3, 4])
    dst = np.array([1, 1, 0, 2, 4, 3])
    speed = np.array([10.0, 50.0, 50.0, 50.0, 50.0, 50.0])
    dropped = g.Dropped()
    graph = g.build(lon, lat, src, dst, np.full(6, 2), speed_kmh=speed, dropped=dropped)
    assert graph.n_nodes == 3 and graph.n_edges == 3  # the pocket is kept
    assert set(graph.speed_kmh.tolist()) == {50.0}
    report = dropped.as_dict()
    assert report["parallel_edge"]["edges"] == 1
    assert report["island"]["nodes"] == 2 and report["island"]["edges"] == 2
    assert report["island"]["length_m"] > 1000
    # the old rule on demand: only where every node reaches every other
    strong = g.build(lon, lat, src, dst, np.full(6, 2), speed_kmh=speed, keep="strong")
    assert strong.n_nodes == 2


def test_bad_arrays_are_refused() -> None:
    with pytest.raises(g.NetworkError, match="no edges"):
        g.build(LON, LAT, np.array([0]), np.array([0]), np.array([2]))
    with pytest.raises(g.NetworkError, match="positive speed"):
        g.build(
            LON,
            LAT,
            np.array([0, 1]),
            np.array([1, 0]),
            np.array([2, 2]),
            speed_kmh=np.array([0.0, 10.0]),
        )


def test_reach_adds_access_and_egress_and_sorts_fastest_first() -> None:
    graph = town()
    target = (float(LON[3]), float(LAT[3]))
    origins = [(float(LON[1]), float(LAT[1])), (float(LON[2]) + 0.001, float(LAT[2]))]
    got = g.reach_point(graph, *target, origins)
    assert [r.origin for r in got] == [1, 0]
    off = float(g.haversine_m(LON[2] + 0.001, LAT[2], LON[2], LAT[2]))
    d23 = float(g.haversine_m(LON[2], LAT[2], LON[3], LAT[3]))
    assert got[0].seconds == pytest.approx(g.access_seconds(off) + d23 / 10, abs=0.002)
    assert got[0].meters == pytest.approx(off + d23)
    assert got[0].path == (2, 3)


def test_snap_finds_the_nearest_node() -> None:
    graph = town()
    hit = g.snap(graph, 130.0199, 47.0001)
    assert hit.node == 2 and hit.distance_m < 20


def test_serialised_graph_reads_back_identical() -> None:
    graph = g.synthetic_city(rows=30, cols=40)
    again = g.loads(g.dumps(graph))
    assert again.digest() == graph.digest()
    assert np.array_equal(again.way_nodes, graph.way_nodes)


def test_the_synthetic_city_is_about_fifty_thousand_nodes_and_strongly_connected() -> None:
    graph = g.synthetic_city(seed=7)
    assert 45_000 <= graph.n_nodes <= 50_000
    count, _ = connected_components(graph.matrix(), directed=True, connection="strong")
    assert count == 1
    # roads of several classes, some one-way, and the river: fewer crossings than columns
    assert len(set(graph.road_class.tolist())) >= 4
    keys = set(zip(graph.src.tolist(), graph.dst.tolist(), strict=True))
    one_way = sum(1 for a, b in keys if (b, a) not in keys)
    assert one_way > 1000
    # deterministic for a seed
    assert g.synthetic_city(seed=7).digest() == graph.digest()
    assert g.synthetic_city(seed=8).digest() != graph.digest()


def test_geojson_draws_every_way_by_class() -> None:
    graph = g.synthetic_city(rows=30, cols=40)
    layer = g.geojson(graph)
    classes = {f["properties"]["class"] for f in layer["features"]}
    assert {"primary", "residential"} <= classes
    lines = sum(len(f["geometry"]["coordinates"]) for f in layer["features"])
    assert lines == len(graph.way_class)
    west, south, east, north = graph.bounds()
    for f in layer["features"]:
        for line in f["geometry"]["coordinates"]:
            for lon, lat in line:
                assert west - 1e-5 <= lon <= east + 1e-5 and south - 1e-5 <= lat <= north + 1e-5


# --- OpenStreetMap ----------------------------------------------------------------------------
def _write_pbf(path: str) -> None:
    import osmium

    w = osmium.SimpleWriter(path)
    points = {
        1: (130.0, 47.0),
        2: (130.001, 47.0),
        3: (130.002, 47.0),
        4: (130.002, 47.001),
        5: (130.0, 47.001),
        6: (130.003, 47.003),
    }
    for i, (x, y) in points.items():
        w.add_node(osmium.osm.mutable.Node(id=i, location=osmium.osm.Location(x, y)))
    w.add_way(
        osmium.osm.mutable.Way(
            id=10, nodes=[1, 2, 3], tags={"highway": "primary", "maxspeed": "60"}
        )
    )
    w.add_way(
        osmium.osm.mutable.Way(
            id=11, nodes=[3, 4], tags={"highway": "residential", "oneway": "yes"}
        )
    )
    w.add_way(
        osmium.osm.mutable.Way(
            id=12, nodes=[4, 5, 1], tags={"highway": "residential", "maxspeed": "10 mph"}
        )
    )
    w.add_way(osmium.osm.mutable.Way(id=13, nodes=[4, 2], tags={"highway": "footway"}))
    w.add_way(osmium.osm.mutable.Way(id=14, nodes=[4, 6], tags={"highway": "service"}))
    w.add_way(
        osmium.osm.mutable.Way(id=15, nodes=[6, 99], tags={"highway": "service"})
    )  # 99 absent
    w.close()


def test_an_osm_extract_loads_its_drivable_ways_with_direction_and_speed(tmp_path) -> None:
    path = str(tmp_path / "town.osm.pbf")
    _write_pbf(path)
    graph = osm.load(path)
    assert graph.n_nodes == 6  # the footway adds no edge; node 99 is not in the extract
    pairs = {
        (int(a), int(b)): (float(s), int(c))
        for a, b, s, c in zip(graph.src, graph.dst, graph.speed_kmh, graph.road_class, strict=True)
    }
    lonlat = {
        (round(float(x), 3), round(float(y), 3)): i
        for i, (x, y) in enumerate(zip(graph.lon, graph.lat, strict=True))
    }
    n3, n4, n5 = lonlat[(130.002, 47.0)], lonlat[(130.002, 47.001)], lonlat[(130.0, 47.001)]
    assert (n3, n4) in pairs and (n4, n3) not in pairs  # oneway=yes
    # mph; the legal limit caps the patrol speed (25 km/h on a residential street), never raises it
    assert pairs[(n4, n5)][0] == pytest.approx(10 * 1.609344)
    assert pairs[(n3, n4)][0] == g.DEFAULT_SPEED_KMH[g.RoadClass.RESIDENTIAL]
    assert len(graph.way_class) == 4


def test_a_node_missing_from_the_extract_breaks_its_way_instead_of_bridging_it(tmp_path) -> None:
    """Issue 19 item 2: a way whose middle node the extract lacks (clipped at its edge) was joined
    across the gap by a straight road that does not exist (1,507 m in the field test)."""
    import osmium

    path = str(tmp_path / "clipped.osm.pbf")
    w = osmium.SimpleWriter(path)
    for i, (x, y) in {1: (130.0, 47.0), 2: (130.001, 47.0), 4: (130.02, 47.0),
                      5: (130.021, 47.0)}.items():  # fmt: skip
        w.add_node(osmium.osm.mutable.Node(id=i, location=osmium.osm.Location(x, y)))
    # node 3 (between 2 and 4, outside the clip) is absent: 2 and 4 are 1.4 km apart
    w.add_way(osmium.osm.mutable.Way(id=20, nodes=[1, 2, 3, 4, 5], tags={"highway": "primary"}))
    w.close()
    dropped = g.Dropped()
    graph = osm.load(path, dropped=dropped)
    # and said: one node missing, the two road segments that would have reached it
    assert dropped.as_dict()["missing_node"] == {
        "ways": 0,
        "nodes": 1,
        "edges": 2,
        "length_m": 0.0,
    }
    lonlat = [
        (round(float(x), 3), round(float(y), 3)) for x, y in zip(graph.lon, graph.lat, strict=True)
    ]
    pairs = {(lonlat[int(a)], lonlat[int(b)]) for a, b in zip(graph.src, graph.dst, strict=True)}
    assert ((130.001, 47.0), (130.02, 47.0)) not in pairs  # no phantom road across the gap
    assert ((130.02, 47.0), (130.001, 47.0)) not in pairs


def test_an_unreadable_or_empty_extract_is_refused(tmp_path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(g.NetworkError, match=r"bad\.osm\.pbf"):
        osm.load(bad)
    with pytest.raises(g.NetworkError, match="no such file"):
        osm.load(tmp_path / "missing.osm.pbf")


@pytest.mark.parametrize(
    "tag,kmh",
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("none", None),
        ("signals", None),
        ("0", None),
        ("60 km/h", 60.0),
    ],
)
def test_speed_limits_read_from_tags(tag: str, kmh: float | None) -> None:
    got = osm.speed_limit(tag)
    assert (got is None and kmh is None) or math.isclose(got or 0, kmh or 0)
