"""The post optimiser: a case solvable by hand, and the greedy curve."""

import itertools

import numpy as np
import pytest

from precinct.geo import rules as g
from precinct.planning import posts


def line_town(n: int = 21) -> g.RoadGraph:
    """A straight road of n nodes 100 m apart, both ways, at 36 km/h: 10 s a step."""
    lon = 130.0 + np.arange(n) * (100 / (111_320 * np.cos(np.radians(47.0))))
    lat = np.full(n, 47.0)
    src = np.concatenate([np.arange(n - 1), np.arange(1, n)])
    dst = np.concatenate([np.arange(1, n), np.arange(n - 1)])
    return g.build(lon, lat, src, dst, np.full(len(src), 2), speed_kmh=np.full(len(src), 36.0))


def test_two_posts_go_to_the_two_clusters() -> None:
    graph = line_town()
    incidents = np.array([2] * 30 + [3] * 10 + [17] * 30 + [18] * 10)
    nodes, weights = posts.demand(incidents)
    times = posts.times_from_posts(graph, np.arange(graph.n_nodes), nodes)
    chosen, curve = posts.optimise(times, weights, 2, limit_s=15)
    assert sorted(chosen) in ([2, 17], [2, 18], [3, 17], [3, 18])
    assert curve == [0.5, 1.0]
    covered, mean = posts.evaluate(times, weights, chosen, 15)
    assert covered == 1.0 and mean == pytest.approx((20 * 10 / 60) / 80, rel=0.1)


def test_one_post_in_the_middle_covers_what_it_reaches() -> None:
    graph = line_town()
    nodes, weights = posts.demand(np.arange(21))
    times = posts.times_from_posts(graph, np.array([10]), nodes)
    covered, mean = posts.evaluate(times, weights, [0], limit_s=50)  # 5 steps each way
    assert covered == pytest.approx(11 / 21)
    assert mean == pytest.approx(sum(abs(i - 10) * 10 for i in range(21)) / 21 / 60, rel=0.02)


def test_the_curve_never_falls_and_swaps_never_lose() -> None:
    rng = np.random.default_rng(2)
    graph = g.synthetic_city(rows=30, cols=30)
    incidents = rng.choice(graph.n_nodes, size=400)
    nodes, weights = posts.demand(incidents)
    pool = rng.choice(graph.n_nodes, size=80, replace=False)
    times = posts.times_from_posts(graph, pool, nodes)
    greedy, curve = posts.optimise(times, weights, 6, limit_s=90, swaps=0)
    swapped, _ = posts.optimise(times, weights, 6, limit_s=90, swaps=3)
    assert all(a <= b for a, b in itertools.pairwise(curve))
    assert (
        posts.evaluate(times, weights, swapped, 90)[0]
        >= posts.evaluate(times, weights, greedy, 90)[0]
    )


# --- street handling as a goal ---------------------------------------------------------------
def test_street_rates_fall_with_the_minutes_pooling_a_thin_band_that_rises() -> None:
    bands = [(3.0, 8, 10), (5.0, 6, 10), (8.0, 9, 10), (12.0, 0, 0), (None, 2, 10)]
    uppers, rates = posts.street_rates(bands)
    assert uppers.tolist() == [180.0, 300.0, 480.0, 720.0, np.inf]
    # 5-8 minutes (0.9) rose above 3-5 (0.6): the two are pooled to 15/20; the empty band takes
    # the rate before it
    assert rates.tolist() == pytest.approx([0.8, 0.75, 0.75, 0.75, 0.2])
    assert all(a >= b for a, b in itertools.pairwise(rates))


def test_street_rates_need_an_incident_and_fill_empty_bands_from_after_at_the_start() -> None:
    assert posts.street_rates([(3.0, 0, 0), (None, 0, 0)]) is None
    _u, rates = posts.street_rates([(3.0, 0, 0), (5.0, 3, 4), (None, 1, 4)])
    assert rates.tolist() == [0.75, 0.75, 0.25]


def test_street_worth_adds_the_desk_and_reads_the_band() -> None:
    rates = (np.array([180.0, 300.0, np.inf]), np.array([0.9, 0.7, 0.4]))
    worth = posts.street_worth(np.array([[0.0, 119.0, 121.0, 240.0, 241.0, np.inf]]), rates, 60)
    assert worth.tolist() == [[0.9, 0.9, 0.7, 0.7, 0.4, 0.4]]


def test_the_street_goal_moves_a_post_to_where_it_is_worth_more() -> None:
    """Two clusters, one car. Coverage within 25 s ties them (each post covers its own cluster
    whole) and the heavier cluster wins; weighing street handling, which falls steeply after 10 s,
    the car goes where it arrives at once to most incidents."""
    graph = line_town()
    # cluster A: 12 incidents spread over nodes 1..3; cluster B: 10 all on node 15
    incidents = np.array([1] * 4 + [2] * 4 + [3] * 4 + [15] * 10)
    nodes, weights = posts.demand(incidents)
    times = posts.times_from_posts(graph, np.arange(graph.n_nodes), nodes)
    chosen, _ = posts.optimise(times, weights, 1, limit_s=25)
    assert chosen[0] in (1, 2, 3)  # 12 covered against 10
    rates = (np.array([0.0, 10.0, np.inf]), np.array([1.0, 0.1, 0.0]))
    worth = posts.street_worth(times, rates, 0.0)
    best, _ = posts.optimise(times, weights, 1, limit_s=25, worth=worth)
    assert best == [15]  # 10 at once against 4 at once and 8 at 10 s
    assert posts.evaluate_worth(times, weights, best, worth) == pytest.approx(10 / 22)
    assert posts.evaluate_worth(times, weights, [2], worth) == pytest.approx((4 + 0.8) / 22)
