"""An incident's life after dispatch, step by step: a car on its way, on scene, clearing with the
disposition; the dispatcher closing, cancelling, recalling a car. Every step is an
:class:`IncidentEvent` (the timeline; audited like every write) and may carry an Idempotency-Key,
so a step retried by a terminal that lost its answer is answered with the recorded one."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError

from precinct.common import live, transactions
from precinct.core import capabilities as can
from precinct.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from .. import rules
from ..models import Dispatch, Incident, IncidentEvent, PatrolUnit, StepKey
from ._common import MAX_KEY, TOPIC, _log, _require_command, keying
from .queries import get_incident, scope_patrol_units


# --- idempotency ----------------------------------------------------------------------------
def once(
    scope: Scope, key: str | None, body: dict[str, Any], do: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Do a step once per Idempotency-Key: the first time, ``do`` runs and its answer is kept
    with the key; a retry with the key and the same body gets the kept answer (``False``); the
    key with another body is a :class:`Conflict`. Without a key the step simply runs."""
    transactions.require("a status step")
    if key is None:
        return _plain(do()), True
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed(
            [FieldError("Idempotency-Key", _("is required, 1 to 200 characters"))]
        )
    assert scope.bureau_id is not None
    bureau_id = scope.bureau_id
    digests = keying(rules.body_digest(body))

    def attempt() -> tuple[dict[str, Any], bool]:
        seen = StepKey.objects.filter(bureau_id=bureau_id, key=key).first()
        if seen is not None:
            if seen.body_digest not in digests:
                raise Conflict(
                    _("this Idempotency-Key was used with a different body"),
                    {"field": "Idempotency-Key"},
                )
            return seen.answer, False
        answer = _plain(do())
        StepKey.objects.create(bureau_id=bureau_id, key=key, body_digest=digests[0], answer=answer)
        return answer, True

    try:  # the same key sent twice at once: the loser's step is undone, it reads the winner's
        return transactions.savepoint(attempt, tries=3)
    except IntegrityError:
        raise Conflict(_("this step is being recorded; try again")) from None


def _plain(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as it is kept (JSON): what a replay returns is what the first call did."""
    out: dict[str, Any] = json.loads(json.dumps(answer, cls=DjangoJSONEncoder))
    return out


# --- the timeline -----------------------------------------------------------------------------
def _event(
    incident: Incident,
    kind: str,
    at: dt.datetime,
    *,
    unit: PatrolUnit | None = None,
    by: str = "",
    disposition: str = "",
    note: str = "",
) -> None:
    IncidentEvent.objects.create(
        bureau_id=incident.bureau_id,
        incident=incident,
        kind=kind,
        at=at,
        patrol_unit=unit,
        by=by,
        disposition=disposition,
        note=note,
    )


def record_received(incident: Incident, *, by: str) -> None:
    _event(incident, rules.EV_RECEIVED, incident.received_at, by=by)


def record_dispatched(incident: Incident, unit: PatrolUnit, at: dt.datetime, *, by: str) -> None:
    _event(incident, rules.EV_DISPATCHED, at, unit=unit, by=by)


def timeline(incident: Incident) -> list[rules.Step]:
    """The incident's steps, oldest first: as recorded, or for a history loaded in bulk (no
    steps kept one by one) as its dispatches and its cars' statuses tell."""
    events = list(
        IncidentEvent.objects.filter(incident=incident).values_list(
            "kind", "at", "patrol_unit__call_sign", "by", "disposition", "note"
        )
    )
    if events:
        steps = [
            rules.Step(k, at, sign or "", by, disp, note) for k, at, sign, by, disp, note in events
        ]
        return sorted(steps, key=lambda s: (s.at, rules.EVENT_KINDS.index(s.kind)))
    from ..models import UnitStatusChange

    return rules.steps_from_record(
        incident.received_at,
        incident.closed_at,
        incident.disposition,
        list(
            Dispatch.objects.filter(incident=incident).values_list(
                "at", "patrol_unit__call_sign", "dispatcher"
            )
        ),
        list(
            UnitStatusChange.objects.filter(incident=incident).values_list(
                "at", "patrol_unit__call_sign", "status"
            )
        ),
    )


# --- a car's steps ----------------------------------------------------------------------------
def set_unit_status(
    scope: Scope,
    unit_id: uuid.UUID,
    *,
    status: str,
    now: dt.datetime,
    at: dt.datetime | None = None,
    disposition: str = "",
    note: str = "",
    actor: str = "",
) -> PatrolUnit:
    """Move a car (its crew's terminal or the command centre): on its way and on scene move the
    incident it works on; available or returning clears it. A crew clearing with a disposition
    (处置完毕) closes the incident when no other car is still on it. ``at`` is when the crew
    pressed the button (a step queued offline arrives late)."""
    if scope.role not in can.UNIT_TERMINALS:
        raise PermissionDenied("only the command centre or the unit's crew may do this")
    unit = scope_patrol_units(scope).select_for_update().filter(pk=unit_id).first()
    if unit is None:
        raise NotFound("patrol unit")
    if status not in rules.UNIT_STATES:
        raise ValidationFailed([FieldError("status", _("is not a unit status"))])
    note = rules.check_note(note, "note", required=False)
    if disposition:
        if disposition not in rules.DISPOSITIONS:
            raise ValidationFailed([FieldError("disposition", _("is not a disposition"))])
        if status not in (rules.AVAILABLE, rules.RETURNING) or unit.status != rules.U_ON_SCENE:
            raise ValidationFailed(
                [FieldError("disposition", _("is given by a car on scene as it clears"))]
            )
    when = rules.check_step_time(at, now, unit.status_at)
    if status == unit.status:
        return unit
    if not rules.can_move(rules.UNIT_MOVES, unit.status, status):
        raise Conflict(
            _("the car cannot take this step from its status"),
            {"unit": unit.call_sign, "status": unit.status, "step": status},
        )
    incident = (
        Incident.objects.select_for_update().filter(pk=unit.incident_id).first()
        if unit.incident_id
        else None
    )
    if incident is not None and status in rules.INCIDENT_FOR_UNIT:
        _advance(incident, unit, status, when, actor)
    unit.status, unit.status_at = status, when
    if status in (rules.AVAILABLE, rules.RETURNING, rules.OFF_DUTY):
        if incident is not None:
            _leave(incident, unit, when, actor, disposition=disposition, note=note)
        unit.incident = None
    unit.save()
    _log(unit, status, when, incident.pk if incident else None)
    live.changed(TOPIC)
    return unit


def _advance(
    incident: Incident, unit: PatrolUnit, status: str, at: dt.datetime, actor: str
) -> None:
    target = rules.INCIDENT_FOR_UNIT[status]
    if target == rules.ACKNOWLEDGED and incident.acknowledged_at is None:
        incident.acknowledged_at = at
        if incident.status == rules.DISPATCHED:
            incident.status = rules.ACKNOWLEDGED
    if target == rules.ON_SCENE and incident.on_scene_at is None:
        incident.on_scene_at = at
        if incident.acknowledged_at is None:
            incident.acknowledged_at = at
        if incident.status in (rules.DISPATCHED, rules.ACKNOWLEDGED):
            incident.status = rules.ON_SCENE
    incident.save()
    _event(incident, status, at, unit=unit, by=actor)


def _leave(
    incident: Incident,
    unit: PatrolUnit,
    at: dt.datetime,
    actor: str,
    *,
    disposition: str = "",
    note: str = "",
) -> None:
    """The car leaves its incident: clearing with a disposition (the incident closes with it when
    no other car is on it), or taken off it (the incident waits for another car if it had
    none on scene)."""
    Dispatch.objects.filter(patrol_unit=unit, cleared_at__isnull=True).update(cleared_at=at)
    others = PatrolUnit.objects.filter(incident=incident).exclude(pk=unit.pk).exists()
    if disposition:
        _event(
            incident, rules.EV_CLEARED, at, unit=unit, by=actor, disposition=disposition, note=note
        )
        if not others and incident.status != rules.CLOSED:
            _close(incident, at, actor, disposition=disposition, note=note)
        return
    if incident.status == rules.CLOSED:
        return
    _event(incident, rules.EV_RECALLED, at, unit=unit, by=actor, note=note)
    if not others and incident.status in (rules.DISPATCHED, rules.ACKNOWLEDGED):
        incident.status = rules.RECEIVED  # waiting for another car
        incident.save()


def _close(incident: Incident, at: dt.datetime, actor: str, *, disposition: str, note: str) -> None:
    incident.status, incident.closed_at = rules.CLOSED, at
    incident.disposition, incident.note = disposition, note
    incident.save()
    kind = rules.EV_CANCELLED if disposition == rules.CANCELLED else rules.EV_CLOSED
    _event(incident, kind, at, by=actor, disposition=disposition, note=note)


# --- the dispatcher's steps -------------------------------------------------------------------
def close_incident(
    scope: Scope,
    incident_id: uuid.UUID,
    *,
    disposition: str,
    now: dt.datetime,
    note: str = "",
    actor: str = "",
) -> Incident:
    """处置完毕 from the board: close with the disposition; cars still on it become available."""
    _require_command(scope)
    incident = get_incident(scope, incident_id, lock=True)
    if incident.status == rules.CLOSED:
        raise Conflict(_("the incident is closed"), {"incident": incident.number})
    if disposition not in rules.DISPOSITIONS:
        raise ValidationFailed([FieldError("disposition", _("is not a disposition"))])
    if disposition == rules.STREET and incident.on_scene_at is None:
        raise ValidationFailed(
            [FieldError("disposition", _("handled on the street needs a unit on scene"))]
        )
    note = rules.check_note(note, "note", required=False)
    _free_cars(incident, now)
    _close(incident, now, actor, disposition=disposition, note=note)
    live.changed(TOPIC)
    return incident


def cancel_incident(
    scope: Scope, incident_id: uuid.UUID, *, reason: str, now: dt.datetime, actor: str = ""
) -> Incident:
    """Cancel an open incident (a duplicate call, the caller withdrew) with its reason; cars on
    it become available. A cancelled incident does not count in the street-handling rate."""
    _require_command(scope)
    reason = rules.check_note(reason, "reason", required=True)
    incident = get_incident(scope, incident_id, lock=True)
    if incident.status == rules.CLOSED:
        raise Conflict(_("the incident is closed"), {"incident": incident.number})
    _free_cars(incident, now)
    _close(incident, now, actor, disposition=rules.CANCELLED, note=reason)
    live.changed(TOPIC)
    return incident


def recall_unit(
    scope: Scope,
    incident_id: uuid.UUID,
    *,
    unit_id: uuid.UUID,
    reason: str,
    now: dt.datetime,
    actor: str = "",
) -> PatrolUnit:
    """Take a car off an incident (to reassign: send another, or the same elsewhere); the
    incident waits for another car if it had no other."""
    _require_command(scope)
    reason = rules.check_note(reason, "reason", required=False)
    incident = get_incident(scope, incident_id, lock=True)
    unit = PatrolUnit.objects.select_for_update().filter(pk=unit_id, incident=incident).first()
    if unit is None:
        raise ValidationFailed([FieldError("unit_id", _("the car is not on this incident"))])
    _leave(incident, unit, now, actor, note=reason)
    unit.status, unit.status_at, unit.incident = rules.AVAILABLE, now, None
    unit.save()
    _log(unit, rules.AVAILABLE, now, incident.pk)
    live.changed(TOPIC)
    return unit


def _free_cars(incident: Incident, now: dt.datetime) -> None:
    for unit in PatrolUnit.objects.select_for_update().filter(incident=incident):
        unit.status, unit.status_at, unit.incident = rules.AVAILABLE, now, None
        unit.save()
        _log(unit, rules.AVAILABLE, now, incident.pk)
    Dispatch.objects.filter(incident=incident, cleared_at__isnull=True).update(cleared_at=now)
