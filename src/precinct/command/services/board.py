"""The live board: the units with their crews on shift, the board's snapshot and its version."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from precinct.core.scoping import Scope
from precinct.geo import services as geo

from .. import rules
from ..models import CrewShift, Dispatch, Incident, PatrolUnit
from .queries import scope_incidents, scope_patrol_units


# --- units and crews ----------------------------------------------------------------------
@dataclass(frozen=True)
class UnitView:
    id: uuid.UUID
    call_sign: str
    status: str
    lon: float | None
    lat: float | None
    position_at: dt.datetime | None
    incident_id: uuid.UUID | None
    zone: str
    crew: list[str]  # on the roster for the shift now


def unit_views(scope: Scope, *, at: dt.datetime | None = None, tz: Any = None) -> list[UnitView]:
    units = list(scope_patrol_units(scope).select_related("zone").order_by("call_sign"))
    crews = crew_on_shift([u.pk for u in units], at=at, tz=tz) if at is not None else {}
    return [
        UnitView(
            u.pk,
            u.call_sign,
            u.status,
            u.lon,
            u.lat,
            u.position_at,
            u.incident_id,
            u.zone.name if u.zone else "",
            crews.get(u.pk, []),
        )
        for u in units
    ]


def crew_on_shift(
    units: list[uuid.UUID], *, at: dt.datetime, tz: Any
) -> dict[uuid.UUID, list[str]]:
    """Who rides in each car on the shift running at ``at`` (names, by police number)."""
    day, shift = rules.shift_at(at.astimezone(tz))
    out: dict[uuid.UUID, list[str]] = {}
    for unit, name, number in (
        CrewShift.objects.filter(patrol_unit_id__in=units, day=day, shift=shift)
        .order_by("officer__police_number")
        .values_list("patrol_unit_id", "officer__name", "officer__police_number")
    ):
        out.setdefault(unit, []).append(f"{name} {number}")
    return out


# --- the live board -----------------------------------------------------------------------
def board_version() -> tuple[Any, ...]:
    """Changes whenever an incident or a unit does (what the SQLite watcher polls)."""
    from django.db.models import Count, Max

    inc = Incident.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    car = PatrolUnit.objects.aggregate(t=Max("updated_at"))
    return (inc["n"], inc["t"], car["t"])


def board(
    scope: Scope, *, now: dt.datetime, recent: dt.timedelta = dt.timedelta(hours=2)
) -> dict[str, Any]:
    """What every dispatch screen shows: open incidents (and those closed lately), every unit
    with its status and last position. No caller numbers: the board is on a wall."""
    incidents = (
        scope_incidents(scope)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=now - recent))
        .select_related("station")
        .order_by("priority", "received_at")[:300]
    )
    sent: dict[uuid.UUID, list[str]] = {}
    for incident_id, call_sign in Dispatch.objects.filter(
        incident__in=[i.pk for i in incidents], cleared_at__isnull=True
    ).values_list("incident_id", "patrol_unit__call_sign"):
        sent.setdefault(incident_id, []).append(call_sign)
    units = unit_views(scope, at=now, tz=ZoneInfo(settings.TIME_ZONE))
    bureau = scope.bureau_id
    far_incidents = (
        geo.network_distances(bureau, [(i.lon, i.lat) for i in incidents], role="end")
        if bureau
        else [None] * len(incidents)
    )
    far_units = _unit_distances(bureau, [(u.lon, u.lat) for u in units])
    return {
        "incidents": [
            {
                "id": str(i.pk),
                "number": i.number,
                "category": i.category,
                "priority": i.priority,
                "status": i.status,
                "lat": i.lat,
                "lon": i.lon,
                "address": i.address,
                "summary": i.summary[:200],
                "station": i.station.name if i.station else "",
                "received_at": i.received_at.isoformat(),
                "units": sent.get(i.pk, []),
                "off_network": geo.is_off_network(far),
            }
            for i, far in zip(incidents, far_incidents, strict=True)
        ],
        "units": [
            {
                "id": str(u.id),
                "call_sign": u.call_sign,
                "status": u.status,
                "lat": u.lat,
                "lon": u.lon,
                "zone": u.zone,
                "incident_id": str(u.incident_id) if u.incident_id else None,
                "crew": u.crew,
                "off_network": geo.is_off_network(far),
            }
            for u, far in zip(units, far_units, strict=True)
        ],
    }


def _unit_distances(
    bureau_id: uuid.UUID | None, places: list[tuple[float | None, float | None]]
) -> list[float | None]:
    """Each car's distance from the nearest road it can leave by (None: no place or no network)."""
    known = [(i, (x, y)) for i, (x, y) in enumerate(places) if x is not None and y is not None]
    out: list[float | None] = [None] * len(places)
    if bureau_id is None or not known:
        return out
    found = geo.network_distances(bureau_id, [p for _, p in known], role="start")
    for (i, _), d in zip(known, found, strict=True):
        out[i] = d
    return out


def network_distances(
    bureau_id: uuid.UUID, points: list[tuple[float, float]], *, role: str
) -> list[float | None]:
    """Metres from the nearest usable road (see :func:`precinct.geo.services.network_distances`)."""
    return geo.network_distances(bureau_id, points, role=role)


def is_off_network(distance_m: float | None) -> bool:
    return geo.is_off_network(distance_m)


def with_network(scope: Scope, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unit rows with their distance from the road and the off-network flag."""
    far = _unit_distances(scope.bureau_id, [(u["lon"], u["lat"]) for u in units])
    for u, d in zip(units, far, strict=True):
        u["network_m"] = None if d is None else round(d, 1)
        u["off_network"] = geo.is_off_network(d)
    return units
