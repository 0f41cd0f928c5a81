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

from . import posts, roadsim


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
    current_outcome: roadsim.Outcome | None = None  # the period replayed with today's posts
    optimised_outcome: roadsim.Outcome | None = None  # ... and with the optimised ones


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
    replay: bool = False,
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
    outcomes: tuple[roadsim.Outcome | None, roadsim.Outcome | None] = (None, None)
    if replay:
        outcomes = _replay(
            graph, bureau_id, now=now, days=days, nodes=nodes, times=times, index=index,
            current=[geo_rules.snap(graph, x, y).node for _s, x, y in current],
            optimised=[int(pool[i]) for i in chosen],
        )  # fmt: skip
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
        current_outcome=outcomes[0],
        optimised_outcome=outcomes[1],
    )


def _replay(
    graph: geo_rules.RoadGraph,
    bureau_id: uuid.UUID,
    *,
    now: dt.datetime,
    days: int,
    nodes: np.ndarray,
    times: np.ndarray,
    index: dict[int, int],
    current: list[int],
    optimised: list[int],
) -> tuple[roadsim.Outcome, roadsim.Outcome]:
    """The period's incidents replayed on the road network with each fleet: today's cars at their
    posts, and one car at each optimised post."""
    start = now - dt.timedelta(days=days)
    history = command.incident_history(bureau_id, start=start, end=now)
    lon = np.array([h[1] for h in history])
    lat = np.array([h[2] for h in history])
    snapped = [s.node for s in geo_rules.snap_many(graph, lon, lat)]
    column = {int(n): j for j, n in enumerate(nodes)}
    services = [h[4] for h in history if h[4] is not None]
    typical = float(np.median(services)) if services else 1500.0
    calls = [
        roadsim.Call(
            at=(h[0] - start).total_seconds(),
            target=column[node],
            priority=h[3],
            service=h[4] if h[4] is not None else typical,
        )
        for h, node in zip(history, snapped, strict=True)
        if node in column
    ]
    return (
        roadsim.run(calls, times[[index[n] for n in current]]),
        roadsim.run(calls, times[[index[n] for n in optimised]]),
    )
