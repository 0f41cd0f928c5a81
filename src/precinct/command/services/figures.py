"""The command figures over some days: street handling, response times, coverage."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from precinct.core.scoping import Scope

from .. import rules
from ..models import PatrolZone, UnitStatusChange
from .queries import scope_incidents, scope_patrol_units


# --- figures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figures:
    first: dt.date
    last: dt.date
    incidents: int
    street: tuple[int, int, float | None]
    street_by_month: list[tuple[str, int, int, float | None]]
    by_priority: dict[Any, dict[str, float | int | None]]
    by_station: dict[Any, dict[str, float | int | None]]
    by_hour: dict[Any, dict[str, float | int | None]]
    within_5: tuple[int, int, float | None]
    within_10: tuple[int, int, float | None]
    zero_days: dict[str, int]
    coverage: list[dict[str, float]]
    cars: int


def figures(scope: Scope, *, first: dt.date, last: dt.date, tz: dt.tzinfo) -> Figures:
    """The command figures for the days [first, last] in the bureau's zone, over the caller's
    incidents (a unit chief: their stations'). Definitions in docs/command.md."""
    start, end = _bounds(first, last, tz)
    rows = _facts(scope, start, end, tz)
    months: dict[str, list[rules.IncidentFacts]] = {}
    for r in rows:
        months.setdefault(f"{r.received_at:%Y-%m}", []).append(r)
    stations = list(
        PatrolZone.objects.filter(bureau_id=scope.bureau_id or uuid.UUID(int=0))
        .values_list("station__name", flat=True)
        .order_by("station__name")
    )
    if not scope.whole_bureau:
        stations = sorted({r.station for r in rows if r.station})
    cars = list(scope_patrol_units(scope).values_list("pk", flat=True))
    spells = _off_duty_spells(cars, start, end, tz)
    return Figures(
        first=first,
        last=last,
        incidents=len(rows),
        street=rules.street_handling(rows),
        street_by_month=[(m, *rules.street_handling(months[m])) for m in sorted(months)],
        by_priority=rules.response_percentiles(rows, lambda r: r.priority),
        by_station=rules.response_percentiles(rows, lambda r: r.station or "—"),
        by_hour=rules.response_percentiles(rows, lambda r: r.received_at.hour),
        within_5=rules.on_scene_within(rows, 5),
        within_10=rules.on_scene_within(rows, 10),
        zero_days=rules.zero_call_days(rows, stations, first, last),
        coverage=rules.coverage_by_hour(len(cars), spells, start, end),
        cars=len(cars),
    )


def _bounds(first: dt.date, last: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def _facts(
    scope: Scope, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[rules.IncidentFacts]:
    return [
        rules.IncidentFacts(
            received.astimezone(tz),
            dispatched.astimezone(tz) if dispatched else None,
            scene.astimezone(tz) if scene else None,
            closed.astimezone(tz) if closed else None,
            category,
            priority,
            disposition,
            station or "",
        )
        for received, dispatched, scene, closed, category, priority, disposition, station in (
            scope_incidents(scope)
            .filter(received_at__gte=start, received_at__lt=end)
            .values_list(
                "received_at", "dispatched_at", "on_scene_at", "closed_at", "category",
                "priority", "disposition", "station__name",
            )
        )
    ]  # fmt: skip


def headline(scope: Scope, *, first: dt.date, last: dt.date, tz: dt.tzinfo) -> dict[str, Any]:
    """The few figures a province compares its cities by (docs/command.md): incidents, the
    street-handling rate, received→dispatched and dispatched→on-scene medians, on scene within
    10 minutes. Read from the incidents alone (no cars, no status history)."""
    rows = _facts(scope, *_bounds(first, last, tz), tz)
    spans = rules.response_percentiles(rows, lambda r: "all").get("all", {})
    return {
        "incidents": len(rows),
        "street": rules.street_handling(rows),
        "dispatch_p50": spans.get("dispatch_p50"),
        "scene_p50": spans.get("scene_p50"),
        "within_10": rules.on_scene_within(rows, 10),
    }


def _off_duty_spells(
    cars: list[uuid.UUID], start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Each car's spells off duty overlapping [start, end), from its status history (a car off
    duty before the period and still off at its start counts from the start)."""
    spells: list[tuple[dt.datetime, dt.datetime]] = []
    changes: dict[uuid.UUID, list[tuple[dt.datetime, str]]] = {}
    for car, at, status in (
        UnitStatusChange.objects.filter(patrol_unit_id__in=cars, at__lt=end)
        .order_by("patrol_unit_id", "at")
        .values_list("patrol_unit_id", "at", "status")
    ):
        changes.setdefault(car, []).append((at.astimezone(tz), status))
    for history in changes.values():
        off_since: dt.datetime | None = None
        for at, status in history:
            if status == rules.OFF_DUTY and off_since is None:
                off_since = at
            elif status != rules.OFF_DUTY and off_since is not None:
                if at > start:
                    spells.append((max(off_since, start), at))
                off_since = None
        if off_since is not None:
            spells.append((max(off_since, start), end))
    return spells
