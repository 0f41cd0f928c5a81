"""`precinct demo replay`: the demo city's evening, live. Calls arrive at the demo's hourly rate
(times ``speed``); each is taken through intake, the first recommended car is sent, it drives
there (position pings along the way), arrives, handles it and comes back — all through the same
services as the dispatchers' screens, so the live board moves.

Times on the records are real (the clock); ``speed`` shortens the waits between steps, so a
replay's response times are the compressed ones, not the demo history's."""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings

from precinct.command import rules as command_rules
from precinct.command import services as command
from precinct.common import transactions
from precinct.core import clock
from precinct.core.errors import Conflict, DomainError
from precinct.core.scoping import Scope
from precinct.geo import services as geo

from . import incidentgen

PING_S = 10.0  # a moving car reports every 10 s (real time, divided by speed)


@dataclass
class ReplayStats:
    calls: int = 0
    dispatched: int = 0
    on_scene: int = 0
    closed: int = 0
    waiting: int = 0  # no car free: tried again later
    errors: list[str] = field(default_factory=list)


@dataclass(order=True)
class _Step:
    at: float
    seq: int
    kind: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


def replay(
    *,
    scope: Scope,
    speed: float = 1.0,
    seconds: float | None = None,
    seed: int = 2021,
    per_day: float = incidentgen.PER_DAY,
    on_step: Callable[[ReplayStats], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    wall: Callable[[], float] = time.monotonic,
) -> ReplayStats:
    """Run until ``seconds`` of wall time have passed (None: until interrupted)."""
    assert scope.bureau_id is not None
    rng = random.Random(seed)
    graph = geo.graph_for(scope.bureau_id)
    weights = incidentgen.node_weights(graph, np.random.default_rng(seed))
    cumulative = list(itertools.accumulate(weights.tolist()))
    stats = ReplayStats()
    steps: list[_Step] = []
    counter = itertools.count()
    start = wall()

    def later(delay_s: float, kind: str, **data: Any) -> None:
        heapq.heappush(steps, _Step(wall() + max(delay_s, 0.0) / speed, next(counter), kind, data))

    def next_call_delay() -> float:
        hour = clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)).hour
        per_second = per_day * float(incidentgen.HOUR_WEIGHT[hour]) / 3600
        return rng.expovariate(per_second)

    later(next_call_delay(), "call")
    while seconds is None or wall() - start < seconds:
        if not steps:
            break
        step = steps[0]
        wait = step.at - wall()
        if wait > 0:
            sleep(min(wait, 0.5))
            continue
        heapq.heappop(steps)
        try:
            _run(step, scope, graph, cumulative, rng, stats, later, next_call_delay, wall, speed)
        except DomainError as exc:  # the data moved on (a dispatcher closed it, say): go on
            stats.errors.append(f"{step.kind}: {exc}")
        if on_step is not None:
            on_step(stats)
    return stats


def _run(
    step: _Step,
    scope: Scope,
    graph: Any,
    cumulative: list[float],
    rng: random.Random,
    stats: ReplayStats,
    later: Callable[..., None],
    next_call_delay: Callable[[], float],
    wall: Callable[[], float],
    speed: float,
) -> None:
    now = clock.now()
    d = step.data
    if step.kind == "call":
        later(next_call_delay(), "call")
        node = _pick(cumulative, rng.random() * cumulative[-1])
        category = rng.choices(
            [c[0] for c in incidentgen.CATEGORIES], [c[1] for c in incidentgen.CATEGORIES]
        )[0]
        priorities = next(c[2] for c in incidentgen.CATEGORIES if c[0] == category)
        body = {
            "category": category,
            "priority": rng.choices([1, 2, 3], priorities)[0],
            "lat": round(float(graph.lat[node]), 6),
            "lon": round(float(graph.lon[node]), 6),
            "address": "{}{}号附近".format(*incidentgen.address_of(node)),
            "summary": rng.choice(incidentgen.SUMMARIES[category]),
            "caller_phone": f"13{rng.randrange(10**9):09d}",
        }
        with transactions.entry():
            incident, _created = command.intake(
                scope,
                body=body,
                key=str(uuid.uuid4()),
                now=now,
                today=now.astimezone(ZoneInfo(settings.TIME_ZONE)).date(),
            )
        stats.calls += 1
        if category == "non_police":
            later(rng.uniform(60, 300), "close", incident=incident.pk, disposition="non_police")
        else:
            later(rng.lognormvariate(math.log(60), 0.4), "dispatch", incident=incident.pk)
    elif step.kind == "dispatch":
        ranked = command.recommendations(scope, d["incident"], now=now, limit=1)
        if not ranked:
            stats.waiting += 1
            later(30, "dispatch", **d)
            return
        best = ranked[0]
        try:
            with transactions.entry():
                command.dispatch(
                    scope, d["incident"], unit_id=best.unit_id, reason="", now=now,
                    dispatcher="replay",
                )  # fmt: skip
        except Conflict:  # a dispatcher took that car a moment ago: ask again
            later(5, "dispatch", **d)
            return
        stats.dispatched += 1
        unit = next(u for u in command.unit_views(scope) if u.id == best.unit_id)
        incident = command.get_incident(scope, d["incident"])
        origin = (unit.lon or incident.lon, unit.lat or incident.lat)
        later(rng.uniform(15, 45), "en_route", unit=best.unit_id, incident=incident.pk,
              origin=origin, target=(incident.lon, incident.lat), eta=best.eta_seconds)  # fmt: skip
    elif step.kind == "en_route":
        with transactions.entry():
            command.set_unit_status(scope, d["unit"], status=command_rules.EN_ROUTE, now=now)
        d["left"] = wall()
        later(min(PING_S, d["eta"]), "ping", **d)
    elif step.kind == "ping":
        done = min((wall() - d["left"]) * speed / max(d["eta"], 1.0), 1.0)
        (x0, y0), (x1, y1) = d["origin"], d["target"]
        with transactions.entry():
            command.record_position(
                scope, d["unit"], lon=x0 + (x1 - x0) * done, lat=y0 + (y1 - y0) * done,
                at=now, now=now,
            )  # fmt: skip
        if done >= 1.0:
            later(0, "arrive", **d)
        else:
            later(PING_S, "ping", **d)
    elif step.kind == "arrive":
        with transactions.entry():
            command.set_unit_status(scope, d["unit"], status=command_rules.U_ON_SCENE, now=now)
        stats.on_scene += 1
        disposition = "street" if rng.random() < 0.72 else "station"
        later(rng.lognormvariate(math.log(20 * 60), 0.4), "close", incident=d["incident"],
              disposition=disposition)  # fmt: skip
    elif step.kind == "close":
        with transactions.entry():
            command.close_incident(scope, d["incident"], disposition=d["disposition"], now=now)
        stats.closed += 1


def _pick(cumulative: list[float], x: float) -> int:
    return min(bisect.bisect_left(cumulative, x), len(cumulative) - 1)
