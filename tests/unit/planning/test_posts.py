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
