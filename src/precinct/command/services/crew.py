"""The car crew's terminal (/crew/): the car the signed-in officer rides, its shift and crew on
the roster, and the incident it was sent to (the caller masked unless the role may see more)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from precinct.core.errors import NotFound
from precinct.core.scoping import Scope

from .. import rules
from ..models import PatrolUnit
from ..rules import crew as crew_rules
from .board import crew_on_shift
from .queries import cars_on, get_incident, scope_patrol_units, shows_full_phone
from .steps import timeline


def crew_car(scope: Scope) -> PatrolUnit | None:
    """The car whose crew includes the caller's officer (within the caller's scope), or None:
    a command-centre or office account rides no car."""
    if scope.officer_id is None:
        return None
    return (
        scope_patrol_units(scope)
        .filter(crew=scope.officer_id)
        .select_related("zone")
        .order_by("call_sign")
        .first()
    )


def rides_a_car(scope: Scope) -> bool:
    """Whether the caller rides a car (the navigation's "car terminal" item)."""
    if scope.officer_id is None:
        return False
    return scope_patrol_units(scope).filter(crew=scope.officer_id).exists()


def _when(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def crew_terminal(scope: Scope, *, now: dt.datetime, tz: Any) -> dict[str, Any] | None:
    """What the crew terminal shows, as JSON: the car (call sign, status, last position), the
    shift running now with who is on it, and the current assignment with its timeline and the
    other cars on it; None when the caller rides no car."""
    unit = crew_car(scope)
    if unit is None:
        return None
    local = now.astimezone(tz)
    name, start, end = crew_rules.shift_window(local)
    crew = crew_on_shift([unit.pk], at=now, tz=tz).get(unit.pk, [])
    return {
        "unit": {
            "id": str(unit.pk),
            "call_sign": unit.call_sign,
            "status": unit.status,
            "status_at": _when(unit.status_at),
            "lon": unit.lon,
            "lat": unit.lat,
            "position_at": _when(unit.position_at),
            "zone": unit.zone.name if unit.zone else "",
        },
        "shift": {
            "name": name,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "crew": crew,
        },
        "assignment": _assignment(scope, unit),
    }


def _assignment(scope: Scope, unit: PatrolUnit) -> dict[str, Any] | None:
    if unit.incident_id is None:
        return None
    try:
        incident = get_incident(scope, unit.incident_id)
    except NotFound:  # sent before the officer joined the crew: nothing to show
        return None
    full = shows_full_phone(scope)
    phone, caller = incident.caller_phone, incident.caller_name
    return {
        "id": str(incident.pk),
        "number": incident.number,
        "category": incident.category,
        "priority": incident.priority,
        "status": incident.status,
        "address": incident.address,
        "summary": incident.summary,
        "lon": incident.lon,
        "lat": incident.lat,
        "caller_phone": (phone if full else rules.mask_phone(phone)) if phone else "",
        "caller_name": (caller if full else rules.mask_name(caller)) if caller else "",
        "received_at": _when(incident.received_at),
        "steps": [
            {"kind": s.kind, "at": s.at.isoformat(), "unit": s.unit} for s in timeline(incident)
        ],
        "units": [
            {"call_sign": str(c["call_sign"]), "status": str(c["status"])}
            for c in cars_on(incident)
            if c["id"] != unit.pk
        ],
    }
