"""Recording an incident once per Idempotency-Key, with its number and its patrol zone."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError

from precinct.common import live, transactions
from precinct.core.errors import Conflict, FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from .. import rules
from ..models import Incident, IncidentCounter, IntakeKey, PatrolZone
from ._common import MAX_KEY, TOPIC, _require_command, keying
from .steps import record_received


# --- intake -------------------------------------------------------------------------------
def body_digests(body: dict[str, Any]) -> list[str]:
    """What an Idempotency-Key is bound to: the body's digest (:func:`rules.body_digest`) under
    each field key, newest first. Keyed, because the body holds the caller's number and the rest
    of it is in clear in the incident row: a plain hash of it would give the number away."""
    return keying(rules.body_digest(body))


def _replay(bureau_id: uuid.UUID, key: str, digests: list[str]) -> Incident | None:
    seen = IntakeKey.objects.filter(bureau_id=bureau_id, key=key).select_related("incident").first()
    if seen is None:
        return None
    if seen.body_digest not in digests:
        raise Conflict(
            _("this Idempotency-Key was used with a different body"),
            {"field": "Idempotency-Key", "incident": seen.incident.number},
        )
    return seen.incident


def _next_number(bureau_id: uuid.UUID, day: dt.date) -> str:
    """JQ + date + a five-digit serial: the day's counter row is locked until the intake commits,
    so two intakes never take one number (the first of the day seeds it from numbers already
    there, e.g. a bulk-loaded history)."""
    prefix = f"JQ{day:%Y%m%d}"

    def counter() -> IncidentCounter:
        row = (
            IncidentCounter.objects.select_for_update().filter(bureau_id=bureau_id, day=day).first()
        )
        if row is not None:
            return row
        last = (
            Incident.objects.filter(bureau_id=bureau_id, number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        # another intake making the day's row at the same time: this try is undone, the next
        # one locks that row
        return IncidentCounter.objects.create(
            bureau_id=bureau_id, day=day, last=int(last[len(prefix) :]) if last else 0
        )

    try:
        row = transactions.savepoint(counter, tries=3)
    except IntegrityError:
        raise Conflict(_("could not number the incident; try again")) from None
    row.last += 1
    row.save(update_fields=["last", "updated_at"])
    return f"{prefix}{row.last:05d}"


def zone_at(bureau_id: uuid.UUID, lon: float, lat: float) -> PatrolZone | None:
    """The patrol zone whose polygon holds the point (else the one with the nearest post)."""
    zones = list(PatrolZone.objects.filter(bureau_id=bureau_id))
    for z in zones:
        if z.polygon and rules.point_in_polygon(lon, lat, z.polygon):
            return z
    if not zones:
        return None
    return min(zones, key=lambda z: (z.post_lon - lon) ** 2 + (z.post_lat - lat) ** 2)


def intake(
    scope: Scope,
    *,
    body: dict[str, Any],
    key: str,
    now: dt.datetime,
    today: dt.date,
    actor: str = "",
) -> tuple[Incident, bool]:
    """Record an incident once per Idempotency-Key: a retry with the same key and body returns the
    incident already recorded (``False``), the same key with another body is a :class:`Conflict`.
    The caller commits before answering: an acknowledged incident is a committed one."""
    _require_command(scope)
    assert scope.bureau_id is not None
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed(
            [FieldError("Idempotency-Key", _("is required, 1 to 200 characters"))]
        )
    data = rules.check_intake(body)
    digests = body_digests(body)
    seen = _replay(scope.bureau_id, key, digests)
    if seen is not None:
        return seen, False
    zone = zone_at(scope.bureau_id, data.lon, data.lat)

    bureau_id = scope.bureau_id

    def attempt() -> tuple[Incident, bool]:
        seen = _replay(bureau_id, key, digests)  # another request with the key won
        if seen is not None:
            return seen, False
        incident = Incident.objects.create(
            bureau_id=bureau_id,
            number=_next_number(bureau_id, today),
            source=data.source,
            category=data.category,
            priority=data.priority,
            lon=data.lon,
            lat=data.lat,
            address=data.address,
            summary=data.summary,
            caller_phone=data.caller_phone,
            caller_name=data.caller_name,
            zone=zone,
            station_id=zone.station_id if zone else None,
            received_at=now,
            received_by=str(scope.user_id or ""),
        )
        IntakeKey.objects.create(
            bureau_id=bureau_id, key=key, body_digest=digests[0], incident=incident
        )
        record_received(incident, by=actor)
        return incident, True

    try:  # a lost race (the key, or the number taken meanwhile) is undone and tried again
        incident, new = transactions.savepoint(attempt, tries=5)
    except IntegrityError:
        raise Conflict(_("could not number the incident; try again")) from None
    if new:
        live.changed(TOPIC)
    return incident, new
