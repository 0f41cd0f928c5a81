"""Recommending and sending a unit (one car, one dispatcher), the cars' positions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from precinct.common import live
from precinct.core import capabilities as can
from precinct.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.geo import services as geo
from precinct.geo import traffic as geo_traffic

from .. import rules
from ..models import Dispatch, Incident, PatrolUnit
from . import steps
from ._common import TOPIC, _log, _require_command
from .queries import get_incident, scope_patrol_units


# --- recommendation -----------------------------------------------------------------------
def recommendations(
    scope: Scope, incident_id: uuid.UUID, *, now: dt.datetime, limit: int = 5
) -> list[rules.Recommendation]:
    """Available units ranked by exact road-network travel time to the incident."""
    incident = get_incident(scope, incident_id, only=("bureau_id", "lon", "lat"))
    return _recommend(incident, now=now, limit=limit)


def _recommend(
    incident: Incident, *, now: dt.datetime, limit: int, distances: bool = True
) -> list[rules.Recommendation]:
    """Ranked by the contraction hierarchy at the local hour (traffic by hour of day); the
    metres of the shown ones only when ``distances`` (a dispatch needs the rank alone). An
    incident or a car too far from any road gets no road ETA (flagged on the board)."""
    # the columns used, not whole cars: a bureau's fifty cars are read on every recommendation
    units = [
        row
        for row in PatrolUnit.objects.filter(bureau_id=incident.bureau_id)
        .exclude(status=rules.OFF_DUTY)
        .values_list("pk", "call_sign", "status", "lon", "lat", "position_at")
        if row[3] is not None and row[4] is not None
    ]
    hour = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).hour
    graph = geo.graph_for(incident.bureau_id)
    factors = geo_traffic.factors_for(incident.bureau_id, graph.digest())
    found = geo.reach(
        graph=graph,
        lon=incident.lon,
        lat=incident.lat,
        origins=[(lon, lat) for _pk, _sign, _status, lon, lat, _at in units],  # type: ignore[misc]
        hour=hour,
        factors=factors,
        paths=0,
    )
    reach = {r.origin: r for r in found.reaches}
    candidates = []
    for i, (pk, call_sign, status, _lon, _lat, position_at) in enumerate(units):
        hit = reach.get(i)
        candidates.append(
            rules.Candidate(
                pk,
                call_sign,
                status,
                hit.seconds if hit else None,
                None,
                (now - position_at).total_seconds() if position_at else None,
            )
        )
    ranked = rules.recommend(candidates, limit=limit)
    if not distances:
        return ranked
    where = {row[0]: (row[3], row[4]) for row in units}
    meters = geo.route_meters(
        graph=graph,
        origins=[where[r.unit_id] for r in ranked],  # type: ignore[misc]
        lon=incident.lon,
        lat=incident.lat,
        hour=hour,
        factors=factors,
    )
    return [dataclasses.replace(r, meters=m) for r, m in zip(ranked, meters, strict=True)]


# --- dispatch and status ------------------------------------------------------------------
def dispatch(
    scope: Scope,
    incident_id: uuid.UUID,
    *,
    unit_id: uuid.UUID,
    reason: str,
    now: dt.datetime,
    dispatcher: str,
) -> Dispatch:
    """Send a unit: only an available (or returning) unit can be sent, and only once; the loser
    of a race gets a :class:`Conflict` naming who has the car. A unit other than the first
    recommendation needs a reason."""
    _require_command(scope)
    incident = get_incident(scope, incident_id, lock=True)
    if incident.status == rules.CLOSED:
        raise Conflict(_("the incident is closed"), {"incident": incident.number})
    unit = PatrolUnit.objects.filter(bureau_id=incident.bureau_id, pk=unit_id).first()
    if unit is None:
        raise ValidationFailed([FieldError("unit_id", _("no such patrol unit"))])
    reason = (reason or "").strip()[:500]
    ranked = _recommend(incident, now=now, limit=50, distances=False)
    rank = next((r for r in ranked if r.unit_id == unit.pk), None)
    if (
        (rank is None or rank.rank != 1)
        and not reason
        and unit.status
        in (
            rules.AVAILABLE,
            rules.RETURNING,
        )
    ):
        raise ValidationFailed(
            [FieldError("reason", _("is required when the unit is not the first recommendation"))]
        )
    # The guard: one conditional update. Of two dispatchers, the second finds it taken.
    taken = PatrolUnit.objects.filter(
        pk=unit.pk, status__in=(rules.AVAILABLE, rules.RETURNING)
    ).update(status=rules.U_DISPATCHED, incident=incident, status_at=now)
    if not taken:
        raise _unit_taken(unit)
    unit.refresh_from_db()
    sent = Dispatch.objects.create(
        bureau_id=incident.bureau_id,
        incident=incident,
        patrol_unit=unit,
        at=now,
        dispatcher=dispatcher,
        rank=rank.rank if rank else None,
        eta_seconds=rank.eta_seconds if rank else None,
        reason=reason,
    )
    _log(unit, rules.U_DISPATCHED, now, incident.pk)
    steps.record_dispatched(incident, unit, now, by=dispatcher)
    if incident.status == rules.RECEIVED:
        incident.status = rules.DISPATCHED
    if incident.dispatched_at is None:
        incident.dispatched_at = now
    incident.save(update_fields=["status", "dispatched_at", "updated_at"])
    live.changed(TOPIC)
    return sent


def _unit_taken(unit: PatrolUnit) -> Conflict:
    current = PatrolUnit.objects.filter(pk=unit.pk).values_list("status", "incident_id").first()
    status, incident_id = current if current else (unit.status, None)
    holder = (
        Dispatch.objects.filter(patrol_unit=unit, cleared_at__isnull=True)
        .select_related("incident")
        .order_by("-at")
        .first()
    )
    detail: dict[str, object] = {"unit": unit.call_sign, "status": status}
    if holder is not None and holder.incident_id == incident_id:
        detail.update(
            incident=holder.incident.number,
            dispatcher=holder.dispatcher,
            at=holder.at.isoformat(),
        )
    return Conflict(_("the unit is not available"), detail)


def record_position(
    scope: Scope,
    unit_id: uuid.UUID,
    *,
    lon: float,
    lat: float,
    at: dt.datetime,
    now: dt.datetime,
) -> None:
    """A position ping: the unit's last known place (telemetry: not audited ping by ping, ADR
    0015). An older ping than the one kept is ignored; one from the future is refused."""
    if scope.role not in can.UNIT_TERMINALS:
        raise PermissionDenied("only the command centre or the unit's crew may do this")
    lon, lat = rules.check_position(lon, lat)
    at = rules.check_ping_time(at, now)
    unit = scope_patrol_units(scope).filter(pk=unit_id).values_list("pk", flat=True).first()
    if unit is None:
        raise NotFound("patrol unit")
    moved = (
        PatrolUnit.objects.filter(pk=unit)
        .filter(Q(position_at__isnull=True) | Q(position_at__lte=at))
        .update(lon=lon, lat=lat, position_at=at, updated_at=now)
    )
    # kept for learning the roads' speed by hour, a late ping too (it says how fast the car
    # went then); telemetry, not audited ping by ping
    geo_traffic.record_ping(bureau_id=scope.bureau_id, vehicle=unit, at=at, lon=lon, lat=lat)  # type: ignore[arg-type]
    if moved:
        live.changed(TOPIC)
