"""The car's rules on the routing graph: turn restrictions (via a node, via a way, only_*),
destination-only roads, roads closed by the hour, traffic factors; and the contraction hierarchy
equal to a plain Dijkstra on the same routing graph, to the millisecond."""

import numpy as np
import pytest

from precinct.geo import rules as g
from precinct.geo.rules import engine as engines
from precinct.geo.rules import expand

# A 3 x 3 grid, 0.01° apart (about 760 m east-west, 1,110 m north-south at 47°N):
#   6 - 7 - 8
#   |   |   |
#   3 - 4 - 5
#   |   |   |
#   0 - 1 - 2
LON = np.array([130.0, 130.01, 130.02] * 3)
LAT = np.repeat([47.0, 47.01, 47.02], 3)
STREETS = [
    (0, 1),
    (1, 2),
    (3, 4),
    (4, 5),
    (6, 7),
    (7, 8),
    (0, 3),
    (3, 6),
    (1, 4),
    (4, 7),
    (2, 5),
    (5, 8),
]


def grid(**kw: object) -> g.RoadGraph:
    src = [a for a, b in STREETS] + [b for a, b in STREETS]
    dst = [b for a, b in STREETS] + [a for a, b in STREETS]
    m = len(src)
    return g.build(
        LON,
        LAT,
        np.array(src),
        np.array(dst),
        np.full(m, g.RoadClass.PRIMARY),
        speed_kmh=np.full(m, 36.0),
        **kw,  # type: ignore[arg-type]
    )


def seconds(graph: g.RoadGraph, path: list[int]) -> float:
    return g.path_length_m(graph, path) / 10


def route(graph: g.RoadGraph, a: int, b: int, **kw: object) -> tuple[float, list[int]]:
    dist, tree = g.times_to(graph, b, **kw)  # type: ignore[arg-type]
    return float(dist[a]), g.path_to(tree, a)


def contains(path: list[int], seq: tuple[int, ...]) -> bool:
    k = len(seq)
    return any(tuple(path[i : i + k]) == seq for i in range(len(path) - k + 1))


def test_a_turn_forbidden_at_a_node_is_not_made_and_the_detour_is_exact() -> None:
    free = grid()
    t, path = route(free, 3, 1)
    assert path in ([3, 4, 1], [3, 0, 1])
    # no turn from 3 -> 4 into 4 -> 1, and none from 3 -> 0 into 0 -> 1 either
    ruled = grid(restrictions=[(3, 4, 1), (3, 0, 1)])
    t2, path2 = route(ruled, 3, 1)
    assert not contains(path2, (3, 4, 1)) and not contains(path2, (3, 0, 1))
    # the fastest legal ways, by hand: round the block 3 -> 4 -> 5 -> 2 -> 1, or on to 5 and
    # back (a U-turn at a junction is allowed unless a restriction says no_u_turn): both are
    # two blocks east-west more than the forbidden route
    assert path2 in ([3, 4, 5, 2, 1], [3, 4, 5, 4, 1])
    assert t2 == pytest.approx(seconds(ruled, path2), abs=0.005)
    assert t2 > t
    # the restriction binds only that sequence: from 4 to 1 is still straight down
    assert route(ruled, 4, 1)[1] == [4, 1]


def test_a_restriction_via_a_way_forbids_the_whole_sequence_only() -> None:
    # from 0 -> 3, along the via way 3 -> 4, not into 4 -> 7 (a U-shaped manoeuvre)
    ruled = grid(restrictions=[(0, 3, 4, 7)])
    _, path = route(ruled, 0, 7)
    assert not contains(path, (0, 3, 4, 7))
    assert path in ([0, 3, 6, 7], [0, 1, 4, 7])
    # entering the via way from elsewhere keeps the turn: 6 -> 3 -> 4 -> 7 is allowed
    assert route(ruled, 6, 7)[1] == [6, 7]
    free, _ = route(ruled, 3, 7)
    assert free == pytest.approx(route(grid(), 3, 7)[0], abs=0.005)


def test_only_straight_on_becomes_forbidden_alternatives_sharing_one_node_copy() -> None:
    # only straight on from 3 -> 4: 4 -> 1, 4 -> 7 and the U-turn 4 -> 3 are forbidden
    ruled = grid(restrictions=[(3, 4, 1), (3, 4, 7), (3, 4, 3)])
    routing = g.routing_graph(ruled)
    copies = routing.road[ruled.n_nodes :]
    assert int((copies == 4).sum()) == 1  # one copy of node 4 for the three
    _, path = route(ruled, 3, 7)
    assert not contains(path, (3, 4, 7))
    assert route(ruled, 3, 5)[1] == [3, 4, 5]


def test_a_private_road_ends_or_starts_a_trip_but_is_never_a_short_cut() -> None:
    # a fast private road 0 -> 2 straight (a yard's drive), both ways
    src = [a for a, b in STREETS] + [b for a, b in STREETS] + [0, 2]
    dst = [b for a, b in STREETS] + [a for a, b in STREETS] + [2, 0]
    m = len(src)
    speed = np.full(m, 36.0)
    speed[-2:] = 200.0
    flags = np.zeros(m, np.uint8)
    flags[-2:] = g.DESTINATION
    graph = g.build(
        LON, LAT, np.array(src), np.array(dst), np.full(m, 2), speed_kmh=speed, flags=flags
    )
    # from 3 to 5: public all the way (3 -> 0 -> 2 -> 5 would use the yard as a short cut)
    _, path = route(graph, 3, 5)
    assert not contains(path, (0, 2))
    # to the yard's far end from 0: the private road ends the trip
    _, path = route(graph, 0, 2)
    assert path == [0, 2]
    # and a car in the yard leaves by it
    _, path = route(graph, 2, 0)
    assert path == [2, 0]


def test_a_road_closed_at_an_hour_is_not_used_then_and_part_time_roads_count_closed_without_hour() -> (
    None
):
    dst = [b for a, b in STREETS] + [a for a, b in STREETS]
    hours = np.full(len(dst), g.ALL_HOURS, np.uint32)
    one_four = STREETS.index((1, 4))  # the edge 1 -> 4
    assert dst[one_four] == 4
    hours[one_four] = g.ALL_HOURS & ~np.uint32(1 << 8)  # closed 8:00–8:59 (a tidal lane)
    graph = grid(hours=hours)
    assert route(graph, 1, 4, hour=7)[1] == [1, 4]
    assert route(graph, 1, 4, hour=8)[1] != [1, 4]
    assert route(graph, 1, 4)[1] != [1, 4]  # with no hour, a part-time road is not relied on


def test_traffic_factors_slow_the_hour_they_belong_to() -> None:
    graph = grid()
    factors = np.ones((24, len(g.RoadClass)))
    factors[17, g.RoadClass.PRIMARY] = 1.6
    night, _ = route(graph, 0, 8, hour=3, factors=factors)
    rush, _ = route(graph, 0, 8, hour=17, factors=factors)
    assert rush == pytest.approx(night * 1.6, rel=1e-4)
    with pytest.raises(ValueError, match="24 x"):
        g.weights_ms(graph, g.routing_graph(graph), hour=1, factors=np.ones((3, 3)))


def random_city(seed: int) -> g.RoadGraph:
    """A 12 x 12 grid with random one-ways, private roads, part-time roads and restrictions."""
    rng = np.random.default_rng(seed)
    n = 12
    lon = np.tile(130.0 + 0.005 * np.arange(n), n) + rng.normal(0, 0.0004, n * n)
    lat = np.repeat(47.0 + 0.004 * np.arange(n), n) + rng.normal(0, 0.0004, n * n)
    pairs = [(r * n + c, r * n + c + 1) for r in range(n) for c in range(n - 1)]
    pairs += [(r * n + c, (r + 1) * n + c) for r in range(n - 1) for c in range(n)]
    src, dst = [], []
    for a, b in pairs:
        way = rng.random()
        if way > 0.15:
            src.append(a)
            dst.append(b)
        if way < 0.85:
            src.append(b)
            dst.append(a)
    m = len(src)
    flags = np.where(rng.random(m) < 0.05, g.DESTINATION, 0).astype(np.uint8)
    hours = np.where(rng.random(m) < 0.05, g.ALL_HOURS & ~np.uint32(0xFF00), g.ALL_HOURS)
    out: dict[int, list[int]] = {}
    for a, b in zip(src, dst, strict=True):
        out.setdefault(a, []).append(b)
    restrictions = []
    for a, b in zip(src, dst, strict=True):
        if rng.random() < 0.12 and out.get(b):
            c = int(rng.choice(out[b]))
            if rng.random() < 0.3 and out.get(c):  # via a way
                restrictions.append((a, b, c, int(rng.choice(out[c]))))
            else:
                restrictions.append((a, b, c))
    return g.build(
        lon,
        lat,
        np.array(src),
        np.array(dst),
        rng.integers(0, 7, m),
        flags=flags,
        hours=hours.astype(np.uint32),
        restrictions=restrictions,
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_contraction_hierarchy_equals_dijkstra_on_the_routing_graph(seed: int) -> None:
    graph = random_city(seed)
    routing = g.routing_graph(graph)
    assert routing.n_nodes > graph.n_nodes  # the rules did expand it
    engine = engines.engine_for(graph)
    rng = np.random.default_rng(seed)
    factors = rng.uniform(0.8, 2.0, (24, len(g.RoadClass)))
    cars = rng.integers(0, graph.n_nodes, 30)
    for hour, f in ((None, None), (9, factors), (12, factors)):
        for target in rng.integers(0, graph.n_nodes, 25):
            dist, tree = g.times_to(graph, int(target), hour=hour, factors=f)
            want = [None if not np.isfinite(d) else round(d * 1000) for d in dist[cars]]
            assert engine.times_to(cars, int(target), hour=hour, factors=f) == want
            car = int(cars[0])
            ms, nodes, meters = engine.path(car, int(target), hour=hour, factors=f)
            assert ms == want[0]
            if ms is not None and nodes:
                # the hierarchy's path is a legal one of that length
                assert nodes[0] == car and nodes[-1] == int(target)
                assert meters == pytest.approx(g.path_length_m(graph, nodes))
                for seq in graph.restrictions:
                    assert not contains(nodes, seq)
            path = g.path_to(tree, car)
            for seq in graph.restrictions:
                assert not contains(path, seq)


def test_snapping_puts_an_incident_where_a_car_can_get_and_a_car_where_it_can_leave() -> None:
    # the triangle 0, 1, 2 is the core; 3 a dead end one may only leave (3 -> 2), 4 one may
    # only enter (0 -> 4)
    lon = np.array([130.0, 130.01, 130.02, 130.03, 129.99])
    lat = np.array([47.0, 47.005, 47.0, 47.0, 47.0])
    src = np.array([0, 1, 1, 2, 2, 0, 3, 0])
    dst = np.array([1, 0, 2, 1, 0, 2, 2, 4])
    graph = g.build(lon, lat, src, dst, np.full(8, 2))
    assert graph.n_nodes == 5
    # an incident at 3 is put on 2 (no car could reach 3), a car there starts from 3
    assert g.snap(graph, 130.03, 47.0).node == 2
    assert g.snap_many(graph, np.array([130.03]), np.array([47.0]))[0].node == 3
    # an incident in the pocket 4 stays there; a car there is put where it can leave
    assert g.snap(graph, 129.99, 47.0).node == 4
    assert g.snap_many(graph, np.array([129.99]), np.array([47.0]))[0].node == 0
    assert g.snap(graph, 129.99, 47.0, role="any").node == 4


def test_no_u_turn_in_the_middle_of_a_street_but_at_a_junction_or_a_dead_end() -> None:
    # 0 - 1 - 2 - 3 a street (1 and 2 only join two pieces), 3 a junction with 4 and 5, and
    # 4 a dead end. From 1 heading to 0 after arriving from 0: no turning round at 1 or 2.
    lon = np.array([130.0, 130.01, 130.02, 130.03, 130.04, 130.03])
    lat = np.array([47.0, 47.0, 47.0, 47.0, 47.0, 47.01])
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (3, 5)]
    src = np.array([a for a, b in pairs] + [b for a, b in pairs])
    dst = np.array([b for a, b in pairs] + [a for a, b in pairs])
    graph = g.build(lon, lat, src, dst, np.full(len(src), 2))
    assert set(expand.mid_street_u_turns(graph)) == {(0, 1, 0), (2, 1, 2), (1, 2, 1), (3, 2, 3)}
    # the only U-turns of a route from 0 round to 0 are at the junction 3 or the dead end 4
    _dist, tree = g.times_to(graph, 0)
    assert g.path_to(tree, 1) == [1, 0]
    # forbid 2 -> 3 -> 5 ... the car must turn at 3 or at 4, never at 2 or 1
    ruled = g.build(lon, lat, src, dst, np.full(len(src), 2), restrictions=[(0, 1, 0)])
    path = g.path_to(g.times_to(ruled, 0)[1], 1)
    assert path == [1, 0]
    routing = g.routing_graph(ruled)
    engine = engines.engine_for(ruled)
    # a car that has just driven 0 -> 1 cannot turn round at 1 or 2: it turns at 3
    state = [x for x in range(routing.n_nodes) if routing.road[x] == 1 and x >= ruled.n_nodes]
    assert state  # the copy of 1 "arrived from 0"
    m = g.routing_graph(ruled)
    w = g.weights_ms(ruled, m)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    mat = csr_matrix((w.astype(float), (m.src, m.dst)), shape=(m.n_nodes, m.n_nodes))
    ends = m.ends_of(0)
    d = dijkstra(mat, indices=state[0])
    via_junction = (
        g.path_length_m(ruled, [1, 2, 3, 2, 1, 0]) / (g.DEFAULT_SPEED_KMH[2] / 3.6) * 1000
    )
    assert min(d[ends]) == pytest.approx(via_junction, abs=10)
    assert engine.times_to([0], 0) == [0]
