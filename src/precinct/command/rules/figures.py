"""The command centre's figures: street handling, response times, zero-call days, patrol coverage."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .incidents import NOT_POLICE_WORK, STREET

# --- figures ----------------------------------------------------------------------------------
# Street-handling rate (街面警情处置率): of the police incidents closed in the period — every
# incident except those transferred as non-police, false alarms and those cancelled (a duplicate
# call) — the share closed by the patrol on the street (disposition "street"), i.e. not handed to
# a station or to criminal investigation.
PLAN_CARS_PER_HOUR = (48,) * 24  # the 24-hour patrol: every car on the road every hour


@dataclass(frozen=True)
class IncidentFacts:
    received_at: dt.datetime  # local time (the bureau's zone)
    dispatched_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    closed_at: dt.datetime | None
    category: str
    priority: int
    disposition: str
    station: str


def street_handling(rows: Sequence[IncidentFacts]) -> tuple[int, int, float | None]:
    """(handled on the street, police incidents closed, rate); rate None when there are none."""
    police = [
        r
        for r in rows
        if r.closed_at is not None and r.disposition and r.disposition not in NOT_POLICE_WORK
    ]
    street = sum(1 for r in police if r.disposition == STREET)
    return street, len(police), (street / len(police) if police else None)


RESPONSE_BANDS = (3.0, 5.0, 8.0, 12.0, 20.0)  # minutes from the call to the first car on scene


def street_by_response(
    rows: Sequence[IncidentFacts], bands: Sequence[float] = RESPONSE_BANDS
) -> list[tuple[float | None, int, int]]:
    """Street handling by how soon a car was on scene (received → on scene): for each band, its
    upper bound in minutes (None: the open last band), the police incidents closed that were
    handled on the street and all of them. Incidents no car reached are left out."""
    street = [0] * (len(bands) + 1)
    police = [0] * (len(bands) + 1)
    for r in rows:
        if r.closed_at is None or not r.disposition or r.disposition in NOT_POLICE_WORK:
            continue
        seconds = seconds_between(r.received_at, r.on_scene_at)
        if seconds is None:
            continue
        band = bisect.bisect_left(bands, seconds / 60)
        police[band] += 1
        street[band] += r.disposition == STREET
    uppers: list[float | None] = [*bands, None]
    return list(zip(uppers, street, police, strict=True))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): a value that occurred, no interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _spans(
    rows: Sequence[IncidentFacts],
) -> tuple[list[tuple[IncidentFacts, float]], list[tuple[IncidentFacts, float]]]:
    to_dispatch = [
        (r, s) for r in rows if (s := seconds_between(r.received_at, r.dispatched_at)) is not None
    ]
    to_scene = [
        (r, s) for r in rows if (s := seconds_between(r.dispatched_at, r.on_scene_at)) is not None
    ]
    return to_dispatch, to_scene


def response_percentiles(
    rows: Sequence[IncidentFacts], key: Any
) -> dict[Any, dict[str, float | int | None]]:
    """By ``key(row)``: count and p50/p90/p95 seconds of received→dispatched and
    dispatched→on scene."""
    to_dispatch, to_scene = _spans(rows)
    groups: dict[Any, tuple[list[float], list[float]]] = {}
    for r, s in to_dispatch:
        groups.setdefault(key(r), ([], []))[0].append(s)
    for r, s in to_scene:
        groups.setdefault(key(r), ([], []))[1].append(s)
    out: dict[Any, dict[str, float | int | None]] = {}
    for k in sorted(groups, key=lambda x: (str(type(x)), x)):
        a, b = groups[k]
        out[k] = {
            "n": len(a),
            "dispatch_p50": percentile(a, 50),
            "dispatch_p90": percentile(a, 90),
            "dispatch_p95": percentile(a, 95),
            "n_scene": len(b),
            "scene_p50": percentile(b, 50),
            "scene_p90": percentile(b, 90),
            "scene_p95": percentile(b, 95),
        }
    return out


def on_scene_within(rows: Sequence[IncidentFacts], minutes: float) -> tuple[int, int, float | None]:
    """Of the incidents a unit reached, how many it reached within ``minutes`` of the call
    (received → on scene)."""
    reached = [s for r in rows if (s := seconds_between(r.received_at, r.on_scene_at)) is not None]
    ok = sum(1 for s in reached if s <= minutes * 60)
    return ok, len(reached), (ok / len(reached) if reached else None)


def zero_call_days(
    rows: Sequence[IncidentFacts], stations: Sequence[str], first: dt.date, last: dt.date
) -> dict[str, int]:
    """Days in [first, last] on which a station's area had no incident at all."""
    busy: dict[str, set[dt.date]] = {s: set() for s in stations}
    for r in rows:
        day = r.received_at.date()
        if r.station in busy and first <= day <= last:
            busy[r.station].add(day)
    days = (last - first).days + 1
    return {s: days - len(busy[s]) for s in stations}


def coverage_by_hour(
    cars: int,
    off_spells: Sequence[tuple[dt.datetime, dt.datetime]],
    first: dt.datetime,
    last: dt.datetime,
    plan: Sequence[int] = PLAN_CARS_PER_HOUR,
) -> list[dict[str, float]]:
    """Cars on the road per hour of the day (mean over the days of [first, last), local times),
    against the plan: every car counts except for the part of the hour it was off duty."""
    hours = int((last - first).total_seconds() // 3600)
    if hours <= 0:
        return [
            {"hour": h, "mean": float(cars), "min": float(cars), "plan": plan[h]} for h in range(24)
        ]
    off = [0.0] * hours  # car-seconds off duty in each hour slot
    for start, end in off_spells:
        s, e = max(start, first), min(end, last)
        while s < e:
            slot = int((s - first).total_seconds() // 3600)
            slot_end = first + dt.timedelta(hours=slot + 1)
            step = min(e, slot_end)
            off[slot] += (step - s).total_seconds()
            s = step
    by_hour: dict[int, list[float]] = {h: [] for h in range(24)}
    for slot in range(hours):
        h = (first + dt.timedelta(hours=slot)).hour
        by_hour[h].append(cars - off[slot] / 3600)
    return [
        {
            "hour": h,
            "mean": (sum(v) / len(v)) if v else float(cars),
            "min": min(v) if v else float(cars),
            "plan": plan[h],
        }
        for h, v in by_hour.items()
    ]


def seconds_between(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds()
