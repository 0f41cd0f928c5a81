"""Planning use cases on the bureau's own data: where to post the cars."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from precinct.command import services as command
from precinct.geo import rules as geo_rules
from precinct.geo import services as geo

from . import posts


@dataclass(frozen=True)
class PostReport:
    cars: int
    minutes: float
    incidents: int
    days: int
    current_covered: float
    current_mean_minutes: float
    current_posts: int  # distinct posts the cars stand at now
    optimised_covered: float
    optimised_mean_minutes: float
    optimised_posts: list[tuple[float, float]]  # lon, lat
    curve: list[float]  # coverage with the first 1..K optimised posts


def post_plan(
    *,
    bureau_id: uuid.UUID,
    cars: int,
    minutes: float,
    days: int,
    candidates: int,
    now: dt.datetime,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> PostReport:
    """Compare the cars' current posts with ``cars`` posts chosen to cover the most incidents of
    the last ``days`` days within ``minutes`` on the road."""
    graph = geo.graph_for(bureau_id)
    points = command.incident_points(bureau_id, since=now - dt.timedelta(days=days))
    if not points:
        raise ValueError("no incidents in the period: nothing to plan for")
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    snapped = np.array([s.node for s in geo_rules.snap_many(graph, lon, lat)])
    nodes, weights = posts.demand(snapped)
    current = command.car_posts(bureau_id)
    current_nodes = sorted({geo_rules.snap(graph, x, y).node for _sign, x, y in current})
    rng = np.random.default_rng(seed)
    # candidates: busy demand nodes and a spread of the whole network, plus today's posts
    by_weight = nodes[np.argsort(-weights)][: candidates // 2]
    spread = rng.choice(graph.n_nodes, size=candidates - len(by_weight), replace=False)
    pool = np.unique(np.concatenate([by_weight, spread, np.array(current_nodes, dtype=np.int64)]))
    limit = minutes * 60
    times = posts.times_from_posts(graph, pool, nodes, progress=progress)
    index = {int(n): i for i, n in enumerate(pool)}
    now_rows = [index[n] for n in current_nodes]
    current_covered, current_mean = posts.evaluate(times, weights, now_rows, limit)
    chosen, curve = posts.optimise(times, weights, cars, limit)
    best_covered, best_mean = posts.evaluate(times, weights, chosen, limit)
    return PostReport(
        cars=cars,
        minutes=minutes,
        incidents=len(points),
        days=days,
        current_covered=current_covered,
        current_mean_minutes=current_mean,
        current_posts=len(current_nodes),
        optimised_covered=best_covered,
        optimised_mean_minutes=best_mean,
        optimised_posts=[(float(graph.lon[pool[i]]), float(graph.lat[pool[i]])) for i in chosen],
        curve=curve,
    )
