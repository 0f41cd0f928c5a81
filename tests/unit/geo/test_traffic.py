"""Traffic by hour of day: the factors learned from pings recover the pattern the cars drove, hours
and classes with too few pairs fall back as documented, pings that say nothing about the roads
(standing, off the network, after a long silence) are left out, and the demo's generator drives
the real fastest paths."""

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from precinct.demo import pings as demo_pings
from precinct.geo import rules as g
from precinct.geo.rules import traffic

C = g.RoadClass
TZ = ZoneInfo("Asia/Shanghai")
END = dt.datetime(2026, 3, 10, 8, tzinfo=TZ)
K = math.radians(1.0) * g.EARTH_RADIUS_M  # metres a degree of latitude


def two_streets() -> g.RoadGraph:
    """Two parallel east-west streets 5 km long, nodes every 100 m, 500 m apart: a primary road
    (y = 0) and a residential street (y = 500 m), both two-way at 36 km/h (10 m/s)."""
    n = 51
    lat0 = 47.0
    lon = np.concatenate([130.0 + np.arange(n) * 100 / (K * math.cos(math.radians(lat0)))] * 2)
    lat = np.concatenate([np.full(n, lat0), np.full(n, lat0 + 500 / K)])
    a = np.concatenate([np.arange(n - 1), n + np.arange(n - 1)])
    b = a + 1
    cls = np.concatenate([np.full(n - 1, C.PRIMARY), np.full(n - 1, C.RESIDENTIAL)])
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    return g.build(lon, lat, src, dst, np.concatenate([cls, cls]), speed_kmh=np.full(len(src), 36.0), keep="all")  # fmt: skip


def drive(
    graph: g.RoadGraph,
    *,
    street: int,
    factor: float,
    start: dt.datetime,
    count: int,
    every: float = 30.0,
    vehicle: int = 0,
    noise_m: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, ...]:
    """``count`` pings of a car driving east along street 0 (primary) or 1 (residential) at
    10 m/s divided by ``factor``, back and forth: (vehicle, t, lon, lat)."""
    rng = np.random.default_rng(seed)
    n = graph.n_nodes // 2
    first = street * n
    t = start.timestamp() + np.arange(count) * every
    along = (np.arange(count) * every * 10.0 / factor) % (2 * (n - 1) * 100.0)
    along = np.where(along > (n - 1) * 100.0, 2 * (n - 1) * 100.0 - along, along)
    lon0, lon1 = graph.lon[first], graph.lon[first + n - 1]
    lon = lon0 + (lon1 - lon0) * along / ((n - 1) * 100.0)
    lat = np.full(count, graph.lat[first])
    lat = lat + rng.normal(0, noise_m, count) / K
    return np.full(count, vehicle), t, lon, lat


def pings_of(*parts: tuple[np.ndarray, ...]) -> traffic.Pings:
    vehicle, t, lon, lat = (np.concatenate(x) for x in zip(*parts, strict=True))
    return traffic.Pings.of(vehicle, t, lon, lat, traffic.local_hours(t, TZ))


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 9, hour, minute, tzinfo=TZ)


def test_a_car_twice_as_slow_in_the_rush_gives_two_and_free_flow_at_night() -> None:
    graph = two_streets()
    factors, samples = traffic.learn(
        graph,
        pings_of(
            drive(graph, street=0, factor=2.0, start=at(8), count=100, noise_m=8),
            drive(graph, street=0, factor=1.0, start=at(3), count=100, vehicle=1, noise_m=8),
        ),
    )
    assert factors[8, C.PRIMARY] == pytest.approx(2.0, abs=0.05)
    assert factors[3, C.PRIMARY] == pytest.approx(1.0, abs=0.05)
    assert samples[8, C.PRIMARY] >= 90 and samples[3, C.PRIMARY] >= 90
    assert samples[:, C.RESIDENTIAL].sum() == 0


def test_too_few_pairs_fall_back_to_the_hours_figure_then_to_free_flow() -> None:
    graph = two_streets()
    factors, samples = traffic.learn(
        graph,
        pings_of(
            drive(graph, street=0, factor=1.5, start=at(8), count=60),
            # ten pairs on the residential street at 08: too few for its own figure
            drive(graph, street=1, factor=1.2, start=at(8, 10), count=11, vehicle=1),
            # ten at 14 on the primary road: too few for the hour at all
            drive(graph, street=0, factor=3.0, start=at(14), count=11, vehicle=2),
        ),
    )
    assert samples[8, C.PRIMARY] >= traffic.MIN_SAMPLES
    assert 0 < samples[8, C.RESIDENTIAL] < traffic.MIN_SAMPLES
    assert factors[8, C.PRIMARY] == pytest.approx(1.5, abs=0.05)
    # the residential street at 08 takes the hour's figure over all roads (mostly the primary)
    assert factors[8, C.RESIDENTIAL] == pytest.approx(1.5, abs=0.05)
    assert factors[8, C.MOTORWAY] == factors[8, C.RESIDENTIAL]  # no pair at all: the same
    # 14:00 has ten pairs in all: free flow; an hour without any pair is free flow too
    assert 0 < samples[14].sum() < traffic.MIN_SAMPLES
    assert factors[14].tolist() == [1.0] * traffic.CLASSES
    assert factors[20].tolist() == [1.0] * traffic.CLASSES
    # with a higher bar, even 08 has too few
    strict, _ = traffic.learn(
        graph, pings_of(drive(graph, street=0, factor=1.5, start=at(8), count=60)), min_samples=100
    )
    assert strict.tolist() == np.ones((24, traffic.CLASSES)).tolist()


def test_figures_are_clamped() -> None:
    graph = two_streets()
    crawl, _ = traffic.learn(
        graph, pings_of(drive(graph, street=0, factor=6.0, start=at(8), count=200, every=60.0))
    )
    assert crawl[8, C.PRIMARY] == traffic.FACTOR_MAX
    fast, _ = traffic.learn(
        graph, pings_of(drive(graph, street=0, factor=0.6, start=at(8), count=60))
    )
    assert fast[8, C.PRIMARY] == traffic.FACTOR_MIN


def test_standing_cars_off_network_pings_and_long_silences_are_left_out() -> None:
    graph = two_streets()
    n = 200
    start = at(8).timestamp()
    t = start + np.arange(n) * 30.0
    # a car standing at an incident for 100 minutes, its GPS off by up to 15 m either way
    rng = np.random.default_rng(1)
    error, bearing = rng.uniform(0, 15, n), rng.uniform(0, 2 * math.pi, n)
    standing = (
        np.zeros(n),
        t,
        graph.lon[10] + error * np.sin(bearing) / (K * math.cos(math.radians(47))),
        graph.lat[10] + error * np.cos(bearing) / K,
    )
    # a car driving 250 m north of the primary road and south of the residential one
    yard = drive(graph, street=0, factor=1.0, start=at(8), count=n, vehicle=1)
    yard = (yard[0], yard[1], yard[2], yard[3] + 250 / K)
    # a terminal reporting every 6 minutes: silences too long to say anything
    silent = drive(graph, street=0, factor=1.0, start=at(8), count=n, vehicle=2, every=360.0)
    factors, samples = traffic.learn(graph, pings_of(standing, yard, silent))
    assert samples.sum() == 0
    assert factors.tolist() == np.ones((24, traffic.CLASSES)).tolist()


def test_a_terminal_that_reports_every_five_seconds_gives_the_same_figure() -> None:
    graph = two_streets()
    dense, samples = traffic.learn(
        graph, pings_of(drive(graph, street=0, factor=1.6, start=at(17), count=600, every=5.0))
    )
    assert dense[17, C.PRIMARY] == pytest.approx(1.6, abs=0.05)
    assert samples[17, C.PRIMARY] >= traffic.MIN_SAMPLES


def test_learning_recovers_the_demo_pattern_on_a_small_city() -> None:
    graph = g.synthetic_city(seed=3, rows=60, cols=60)
    rng = np.random.default_rng(5)
    posts = [int(x) for x in rng.integers(0, graph.n_nodes, 16)]
    made = demo_pings.generate(graph, posts=posts, end=END, days=3, seed=11)
    pings = traffic.Pings(made.car, made.t, made.lon, made.lat, traffic.local_hours(made.t, TZ))
    factors, samples = traffic.learn(graph, pings)
    truth = demo_pings.RUSH
    for cls in (C.PRIMARY, C.SECONDARY, C.RESIDENTIAL):
        assert samples[17, cls] >= traffic.MIN_SAMPLES, cls
        assert factors[17, cls] == pytest.approx(truth[17, cls], abs=0.1), cls
        assert factors[8, cls] == pytest.approx(truth[8, cls], abs=0.1), cls
        assert factors[3, cls] == pytest.approx(1.0, abs=0.05), cls
    assert factors[17, C.PRIMARY] == pytest.approx(1.6, abs=0.1)


def test_the_demo_generator_is_seeded_and_reports_while_driving_and_standing() -> None:
    graph = g.synthetic_city(seed=3, rows=30, cols=30)
    one = demo_pings.generate(graph, posts=[0, 100], end=END, days=0.5, seed=1)
    two = demo_pings.generate(graph, posts=[0, 100], end=END, days=0.5, seed=1)
    assert len(one) > 100 and np.array_equal(one.t, two.t) and np.array_equal(one.lon, two.lon)
    assert one.t.max() < END.timestamp() and one.t.min() >= END.timestamp() - 0.5 * 86400
    gaps = np.diff(one.t)[np.diff(one.car) == 0]
    assert np.median(gaps) == pytest.approx(30, abs=3)  # driving: every ~30 s
    assert gaps.max() <= demo_pings.STOP_S * 20  # standing: every 5 minutes at most
    assert np.any(np.isclose(gaps, demo_pings.PARKED_S))


def test_fastest_paths_are_exact() -> None:
    graph = g.synthetic_city(seed=4, rows=50, cols=50)
    rng = np.random.default_rng(2)
    src = rng.integers(0, graph.n_nodes, 60)
    dst = rng.integers(0, graph.n_nodes, 60)
    seconds, offsets, edges = traffic.fastest_paths(graph, src, dst)
    truth = dijkstra(graph.matrix(), indices=src)[np.arange(60), dst]
    assert np.allclose(seconds, truth)
    for i in range(60):
        path = edges[offsets[i] : offsets[i + 1]]
        assert graph.seconds[path].sum() == pytest.approx(seconds[i])
        if len(path):
            assert graph.src[path[0]] == src[i] and graph.dst[path[-1]] == dst[i]
            assert np.array_equal(graph.src[path[1:]], graph.dst[path[:-1]])
    cut, _, _ = traffic.fastest_paths(graph, src, dst, limit=60.0)
    assert np.array_equal(np.isfinite(cut), truth <= 60.0)


def test_local_hours_follow_the_zone_and_its_summer_time() -> None:
    instants = [dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC), dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)]  # fmt: skip
    t = np.array([x.timestamp() for x in instants])
    assert traffic.local_hours(t, TZ).tolist() == [8, 9]
    # Helsinki moves from +2 to +3 at 01:00 UTC that night: 02:30 then 04:30
    assert traffic.local_hours(t, ZoneInfo("Europe/Helsinki")).tolist() == [2, 4]
    assert traffic.local_hours(np.array([1800.0]), ZoneInfo("Asia/Kolkata")).tolist() == [6]


def test_the_eta_at_half_past_five_is_not_the_eta_at_three() -> None:
    """Needs the routing engine's time of day (hour and factors): the same trip across the
    demo-like city takes the learned rush-hour factor longer at 17:30 than at 03:00."""
    graph = g.synthetic_city(seed=3, rows=60, cols=60)
    factors = np.ones((24, traffic.CLASSES))
    factors[17] = demo_pings.RUSH[17]
    west, south, east, north = graph.bounds()
    target = ((west + east) / 2, (south + north) / 2)
    origins = [(west + 0.1 * (east - west), south + 0.1 * (north - south))]
    rush = g.reach_point(graph, *target, origins, hour=17, factors=factors)
    night = g.reach_point(graph, *target, origins, hour=3, factors=factors)
    assert night[0].seconds == pytest.approx(g.reach_point(graph, *target, origins)[0].seconds)
    assert 1.3 * night[0].seconds < rush[0].seconds < 1.65 * night[0].seconds
