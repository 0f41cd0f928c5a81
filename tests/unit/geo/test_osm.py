"""The OSM loader under the car profile (issue 19 items 1 and 2) on a little town written by
libosmium: access tags, tidal and timed one-ways, speeds, turn restrictions by via node and by
via way (``no_*`` and ``only_*``), barriers, and a report that accounts for every way, node and
restriction it did not keep.

The town (node ids; lon 130 + 0.001 x column, lat 47 + 0.001 x row)::

    120 -- 121 ==== 122 ~~~~ 123        == w9 (one-way in the evening)   ~~ reversible
     |      |        |       :          :  a bus street (motor_vehicle=no)
    110 -- 111 ---- 112 ---- 113        w1 w2 w3: the main street (primary)
     |      |        |       |
    100    101 -o-- 102 .... 103 - 999  -o- a bollard (node 150)  .... private   999: absent
"""

import numpy as np
import pytest

from precinct.geo import osm
from precinct.geo import rules as g
from precinct.geo.rules.graph import ALL_HOURS, DESTINATION
from precinct.geo.rules.profile import CarProfile


def at(node: int) -> tuple[float, float]:
    if node == 150:
        return (130.0015, 47.0)
    if node >= 500:  # the island, far away
        return (130.01 + 0.001 * (node - 500), 47.01)
    row, col = divmod(node - 100, 10)
    return (130.0 + 0.001 * col, 47.0 + 0.001 * row)


WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    1: ([110, 111], {"highway": "primary"}),
    2: ([111, 112], {"highway": "primary", "maxspeed": "30"}),
    3: ([112, 113], {"highway": "primary", "maxspeed:forward": "40", "maxspeed:backward": "20"}),
    4: ([101, 111], {"highway": "residential", "maxspeed": "80"}),
    5: ([111, 121], {"highway": "residential"}),
    6: ([102, 112], {"highway": "residential"}),
    7: ([112, 122], {"highway": "residential"}),
    8: ([101, 150, 102], {"highway": "residential"}),
    9: ([121, 122], {"highway": "residential", "oneway:conditional": "yes @ (16:00-19:00)"}),
    10: ([113, 123], {"highway": "residential", "motor_vehicle": "no", "psv": "yes"}),
    11: ([113, 103], {"highway": "service", "access": "private"}),
    12: ([122, 123], {"highway": "residential", "oneway": "reversible"}),
    13: ([110, 100], {"highway": "footway"}),
    14: ([103, 999], {"highway": "service"}),
    15: ([110, 120, 121], {"highway": "residential"}),
    16: ([500, 501], {"highway": "residential"}),  # an island
    17: ([100, 101], {"highway": "residential", "area": "yes"}),
}
RESTRICTIONS: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]] = {
    # north on w4, no left turn into w1 at 111
    31: ([("w", 4, "from"), ("n", 111, "via"), ("w", 1, "to")], {"restriction": "no_left_turn"}),
    # east on w1: only straight on along w2 at 111
    32: (
        [("w", 1, "from"), ("n", 111, "via"), ("w", 2, "to")],
        {"restriction": "only_straight_on"},
    ),
    # north on w4, along w2, south on w6: no U-turn through the via way
    33: ([("w", 4, "from"), ("w", 2, "via"), ("w", 6, "to")], {"restriction": "no_u_turn"}),
    # south on w5, along w2, only left into w7
    34: (
        [("w", 5, "from"), ("w", 2, "via"), ("w", 7, "to")],
        {"restriction": "only_left_turn"},
    ),
    35: ([("w", 77, "from"), ("n", 111, "via"), ("w", 1, "to")], {"restriction": "no_left_turn"}),
    36: ([("w", 13, "from"), ("n", 110, "via"), ("w", 1, "to")], {"restriction": "no_left_turn"}),
    37: ([("w", 1, "from"), ("n", 112, "via"), ("w", 6, "to")], {"restriction": "no_left_turn"}),
    38: (
        [("w", 6, "from"), ("n", 112, "via"), ("w", 3, "to")],
        {"restriction": "no_right_turn", "except": "emergency;bus"},
    ),
    39: (
        [("w", 6, "from"), ("n", 112, "via"), ("w", 2, "to")],
        {"restriction:hgv": "no_left_turn"},
    ),
    40: ([("w", 6, "from"), ("w", 3, "to")], {"restriction": "no_right_turn"}),
}


def write_town(path: str) -> None:
    import osmium

    w = osmium.SimpleWriter(path)
    nodes = sorted({n for refs, _ in WAYS.values() for n in refs if n != 999})
    for n in nodes:
        tags = {"barrier": "bollard"} if n == 150 else {}
        w.add_node(osmium.osm.mutable.Node(id=n, location=osmium.osm.Location(*at(n)), tags=tags))
    for wid, (refs, tags) in WAYS.items():
        w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    for rid, (members, tags) in RESTRICTIONS.items():
        w.add_relation(
            osmium.osm.mutable.Relation(
                id=rid, members=members, tags={"type": "restriction", **tags}
            )
        )
    w.close()


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("osm") / "town.osm.pbf")
    write_town(path)
    return path


def loaded(path: str, profile: CarProfile | None = None) -> tuple[g.RoadGraph, osm.Report, dict]:
    report = osm.Report()
    graph = osm.load(path, dropped=report, **({"profile": profile} if profile else {}))
    index = {
        (round(float(x), 6), round(float(y), 6)): i
        for i, (x, y) in enumerate(zip(graph.lon, graph.lat, strict=True))
    }
    ids = {n: index[at(n)] for n in {*range(100, 124), 150, 500, 501} if at(n) in index}
    return graph, report, ids


def edges(graph: g.RoadGraph) -> dict[tuple[int, int], int]:
    return {(int(a), int(b)): k for k, (a, b) in enumerate(zip(graph.src, graph.dst, strict=True))}


def test_access_tags_close_a_bus_street_and_mark_a_private_road(town: str) -> None:
    graph, report, n = loaded(town)
    e = edges(graph)
    assert 123 not in n  # only on the bus street and the tidal lane: not a node of the graph
    assert (n[113], n[103]) in e and (n[103], n[113]) in e
    assert graph.edge_flags[e[(n[113], n[103])]] == DESTINATION
    assert graph.edge_flags[e[(n[111], n[112])]] == 0
    rows = report.as_dict()
    assert rows["access_closed"]["ways"] == 1 and rows["access_closed"]["length_m"] > 100
    assert rows["reversible"]["ways"] == 1
    assert rows["not_for_cars"]["ways"] == 1 and rows["area"]["ways"] == 1
    assert rows["island"]["nodes"] == 2


def test_an_exempt_profile_opens_the_bus_street(town: str) -> None:
    """A bureau whose cars count as ``psv`` (say, a police bus unit) drives it."""
    graph, report, n = loaded(town, CarProfile.from_dict({"exempt": ["psv"]}))
    e = edges(graph)
    assert (n[113], n[123]) in e and "access_closed" not in report.as_dict()


def test_speeds_are_patrol_speeds_capped_by_the_legal_limit(town: str) -> None:
    graph, _, n = loaded(town)
    e = edges(graph)

    def speed(a: int, b: int) -> float:
        return float(graph.speed_kmh[e[(n[a], n[b])]])

    assert speed(110, 111) == 50.0  # primary, untagged: the patrol speed
    assert speed(111, 112) == 30.0  # a 30 zone: slower than the patrol default
    assert speed(101, 111) == 25.0  # a tagged 80 does not speed up a residential street
    assert speed(112, 113) == 40.0 and speed(113, 112) == 20.0  # maxspeed:forward/backward


def test_a_one_way_by_the_hour_keeps_its_hours_per_direction(town: str) -> None:
    graph, report, n = loaded(town)
    e = edges(graph)
    evening = sum(1 << h for h in (16, 17, 18))
    assert graph.edge_hours[e[(n[121], n[122])]] == ALL_HOURS
    assert graph.edge_hours[e[(n[122], n[121])]] == ALL_HOURS & ~evening
    assert report.kept["timed_edges"] == 1


def test_turn_restrictions_become_forbidden_node_sequences(town: str) -> None:
    graph, report, n = loaded(town)
    got = set(graph.restrictions)

    def seq(*nodes: int) -> tuple[int, ...]:
        return tuple(n[v] for v in nodes)

    assert seq(101, 111, 110) in got  # 31: no left turn, via a node
    # 32: only straight on: every other way on at 111 (the U-turn too)
    assert {seq(110, 111, 101), seq(110, 111, 121), seq(110, 111, 110)} <= got
    assert seq(110, 111, 112) not in got
    assert seq(101, 111, 112, 102) in got  # 33: no U-turn through a via way
    # 34: only left, via a way: leaving anywhere but onto the via way at its start, and anywhere
    # but onto the to-way at its end
    assert {seq(121, 111, 110), seq(121, 111, 101), seq(121, 111, 121)} <= got
    assert {seq(121, 111, 112, 113), seq(121, 111, 112, 102), seq(121, 111, 112, 111)} <= got
    assert seq(121, 111, 112, 122) not in got
    assert seq(102, 112, 113) in got  # 38: except=emergency does not exempt the default profile
    assert seq(101, 150, 102) in got and seq(102, 150, 101) in got  # the bollard
    assert report.restrictions == {
        "kept": 5,
        "missing_member": 1,  # 35: its from-way is not in the extract
        "not_drivable": 1,  # 36: from a footway
        "not_adjacent": 1,  # 37: the via node is not on the to-way
        "other_vehicle": 1,  # 39: lorries only
        "invalid": 1,  # 40: no via
    }
    rows = report.as_dict()
    assert rows["restriction_missing_member"]["restrictions"] == 1
    assert report.kept["restrictions"] == 5 and report.read["restrictions"] == 10


def test_an_exemption_lifts_a_turn_restriction(town: str) -> None:
    graph, report, n = loaded(town, CarProfile.from_dict({"exempt": ["emergency"]}))
    assert (n[102], n[112], n[113]) not in set(graph.restrictions)
    assert report.restrictions["exempt"] == 1 and report.restrictions["kept"] == 4


def test_every_node_read_is_kept_or_dropped_for_a_reason(town: str) -> None:
    graph, report, _ = loaded(town)
    rows = report.as_dict()
    assert rows["missing_node"]["nodes"] == 1  # 999
    assert report.read["nodes"] == graph.n_nodes + sum(r["nodes"] for r in rows.values())
    assert report.read["ways"] == report.kept["ways"] + sum(r["ways"] for r in rows.values())
    assert report.read["restrictions"] == report.kept["restrictions"] + sum(
        r.get("restrictions", 0) for r in rows.values()
    )
    assert report.notes["barriers_closed"] == 1
    # a plain Dropped gets the same rows
    plain = g.Dropped()
    osm.load(town, dropped=plain)
    assert plain.as_dict() == rows


def test_the_summary_is_json(town: str) -> None:
    import json

    _, report, _ = loaded(town)
    data = json.loads(json.dumps(report.summary()))
    assert set(data) == {"read", "kept", "dropped", "restrictions", "notes"}
    assert data["kept"]["forbidden_sequences"] == len(
        loaded(town)[0].restriction_offsets
    ) - 1 and np.isfinite(data["kept"]["length_km"])
