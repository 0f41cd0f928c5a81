"""Use cases of command and patrol: intake (idempotent), recommendation, dispatch (one car, one
dispatcher), unit status and position, closing an incident. The entry point owns the transaction;
the savepoints here only make a lost race retryable."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce

from precinct.common import fields, live
from precinct.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role, Scope
from precinct.geo import services as geo

from . import rules
from .models import (
    CrewShift,
    Dispatch,
    Incident,
    IncidentCounter,
    IntakeKey,
    PatrolUnit,
    PatrolZone,
    UnitStatusChange,
)

COMMAND_ROLES = frozenset({Role.COMMAND_CENTRE})
MAX_KEY = 200
TOPIC = "command"  # what the live board listens to


# --- scope --------------------------------------------------------------------------------
def scope_incidents(scope: Scope) -> QuerySet[Incident]:
    """The one scoping helper for incidents: the whole bureau for bureau-wide roles; a unit chief
    sees the incidents of their stations' zones and those their units were sent to."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return Incident.objects.none()
    qs = Incident.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        sent = Dispatch.objects.filter(
            bureau_id=scope.bureau_id, patrol_unit__unit__path__startswith=scope.unit_subtree
        ).values("incident_id")
        return qs.filter(Q(station__path__startswith=scope.unit_subtree) | Q(pk__in=sent))
    return qs.none()


def scope_patrol_units(scope: Scope) -> QuerySet[PatrolUnit]:
    if not scope.reads_business_data or scope.bureau_id is None:
        return PatrolUnit.objects.none()
    qs = PatrolUnit.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        return qs.filter(unit__path__startswith=scope.unit_subtree)
    if scope.self_only and scope.officer_id is not None:
        return qs.filter(crew=scope.officer_id)  # the car the officer rides in
    return qs.none()


def get_incident(scope: Scope, incident_id: uuid.UUID, *, lock: bool = False) -> Incident:
    qs = scope_incidents(scope).filter(pk=incident_id)
    if lock:
        qs = qs.select_for_update()
    incident = qs.first()
    if incident is None:
        raise NotFound("incident")
    return incident


def shows_full_phone(scope: Scope) -> bool:
    return scope.role in COMMAND_ROLES


def _require_command(scope: Scope) -> None:
    if scope.role not in COMMAND_ROLES or scope.bureau_id is None:
        raise PermissionDenied("only the command centre may do this")


# --- intake -------------------------------------------------------------------------------
def body_digests(body: dict[str, Any]) -> list[str]:
    """What an Idempotency-Key is bound to: the body's digest (:func:`rules.body_digest`) under
    each field key, newest first. Keyed, because the body holds the caller's number and the rest
    of it is in clear in the incident row: a plain hash of it would give the number away."""
    return keying(rules.body_digest(body))


def keying(digest: str) -> list[str]:
    return fields.keyring().mac(digest.encode(), b"command intake body")


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
    for _attempt in range(3):
        row = (
            IncidentCounter.objects.select_for_update().filter(bureau_id=bureau_id, day=day).first()
        )
        if row is not None:
            row.last += 1
            row.save(update_fields=["last", "updated_at"])
            return f"{prefix}{row.last:05d}"
        last = (
            Incident.objects.filter(bureau_id=bureau_id, number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        try:
            with transaction.atomic():
                IncidentCounter.objects.create(
                    bureau_id=bureau_id, day=day, last=int(last[len(prefix) :]) if last else 0
                )
        except IntegrityError:
            pass  # another intake made the day's row first: lock that one
    raise Conflict(_("could not number the incident; try again"))


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
    scope: Scope, *, body: dict[str, Any], key: str, now: dt.datetime, today: dt.date
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
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a lost race is retried, not half-kept
                incident = Incident.objects.create(
                    bureau_id=scope.bureau_id,
                    number=_next_number(scope.bureau_id, today),
                    source=data.source,
                    category=data.category,
                    priority=data.priority,
                    lon=data.lon,
                    lat=data.lat,
                    address=data.address,
                    summary=data.summary,
                    caller_phone=data.caller_phone,
                    zone=zone,
                    station_id=zone.station_id if zone else None,
                    received_at=now,
                    received_by=str(scope.user_id or ""),
                )
                IntakeKey.objects.create(
                    bureau_id=scope.bureau_id, key=key, body_digest=digests[0], incident=incident
                )
            live.changed(TOPIC)
            return incident, True
        except IntegrityError:
            seen = _replay(scope.bureau_id, key, digests)  # another request with the key won
            if seen is not None:
                return seen, False
            # else the number was taken meanwhile: take the next one
    raise Conflict(_("could not number the incident; try again"))


def list_incidents(scope: Scope, *, limit: int = 50, open_only: bool = False) -> list[Incident]:
    qs = scope_incidents(scope).select_related("zone", "station")
    if open_only:
        qs = qs.exclude(status=rules.CLOSED)
    return list(qs.order_by("-received_at", "-number")[:limit])


# --- recommendation -----------------------------------------------------------------------
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


def install_roster(
    *, bureau_id: uuid.UUID, call_signs: list[str], slots: list[rules.RosterSlot]
) -> int:
    """Store a roster (slots name cars by position in ``call_signs``); the caller owns the
    transaction."""
    by_sign = {u.call_sign: u.pk for u in PatrolUnit.objects.filter(bureau_id=bureau_id)}
    rows = [
        CrewShift(
            bureau_id=bureau_id,
            patrol_unit_id=by_sign[call_signs[s.car]],
            day=s.day,
            shift=s.shift,
            officer_id=s.officer,
        )
        for s in slots
    ]
    CrewShift.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def recommendations(
    scope: Scope, incident_id: uuid.UUID, *, now: dt.datetime, limit: int = 5
) -> list[rules.Recommendation]:
    """Available units ranked by exact road-network travel time to the incident."""
    incident = get_incident(scope, incident_id)
    return _recommend(incident, now=now, limit=limit)


def _recommend(incident: Incident, *, now: dt.datetime, limit: int) -> list[rules.Recommendation]:
    units = [
        u
        for u in PatrolUnit.objects.filter(bureau_id=incident.bureau_id).exclude(
            status=rules.OFF_DUTY
        )
        if u.lon is not None and u.lat is not None
    ]
    reach = {
        r.origin: r
        for r in geo.reach(
            bureau_id=incident.bureau_id,
            lon=incident.lon,
            lat=incident.lat,
            origins=[(u.lon, u.lat) for u in units],  # type: ignore[misc]
        )
    }
    candidates = []
    for i, u in enumerate(units):
        hit = reach.get(i)
        candidates.append(
            rules.Candidate(
                u.pk,
                u.call_sign,
                u.status,
                hit.seconds if hit else None,
                hit.meters if hit else None,
                (now - u.position_at).total_seconds() if u.position_at else None,
            )
        )
    return rules.recommend(candidates, limit=limit)


# --- dispatch and status ------------------------------------------------------------------
def _log(unit: PatrolUnit, status: str, now: dt.datetime, incident_id: uuid.UUID | None) -> None:
    UnitStatusChange.objects.create(
        bureau_id=unit.bureau_id, patrol_unit=unit, status=status, at=now, incident_id=incident_id
    )


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
    ranked = _recommend(incident, now=now, limit=50)
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


def set_unit_status(
    scope: Scope, unit_id: uuid.UUID, *, status: str, now: dt.datetime
) -> PatrolUnit:
    """Move a unit (its crew's terminal or the command centre): en route and on scene move the
    incident it works on; available or returning clears it."""
    if scope.role not in COMMAND_ROLES | {Role.OFFICER}:
        raise PermissionDenied("only the command centre or the unit's crew may do this")
    unit = scope_patrol_units(scope).select_for_update().filter(pk=unit_id).first()
    if unit is None:
        raise NotFound("patrol unit")
    if status not in rules.UNIT_STATES:
        raise ValidationFailed([FieldError("status", _("is not a unit status"))])
    if status == unit.status:
        return unit
    if not rules.can_move(rules.UNIT_MOVES, unit.status, status):
        raise Conflict(
            _("a unit cannot go from %(a)s to %(b)s") % {"a": unit.status, "b": status},
            {"unit": unit.call_sign, "status": unit.status},
        )
    incident = (
        Incident.objects.select_for_update().filter(pk=unit.incident_id).first()
        if unit.incident_id
        else None
    )
    if incident is not None:
        target = rules.INCIDENT_FOR_UNIT.get(status)
        if target == rules.ACKNOWLEDGED and incident.acknowledged_at is None:
            incident.acknowledged_at = now
            if incident.status == rules.DISPATCHED:
                incident.status = rules.ACKNOWLEDGED
        if target == rules.ON_SCENE and incident.on_scene_at is None:
            incident.on_scene_at = now
            if incident.acknowledged_at is None:
                incident.acknowledged_at = now
            if incident.status in (rules.DISPATCHED, rules.ACKNOWLEDGED):
                incident.status = rules.ON_SCENE
        incident.save()
    if status in (rules.AVAILABLE, rules.RETURNING, rules.OFF_DUTY):
        Dispatch.objects.filter(patrol_unit=unit, cleared_at__isnull=True).update(cleared_at=now)
        unit.incident = None
    unit.status, unit.status_at = status, now
    unit.save()
    _log(unit, status, now, incident.pk if incident else None)
    live.changed(TOPIC)
    return unit


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
    if scope.role not in COMMAND_ROLES | {Role.OFFICER}:
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
    if moved:
        live.changed(TOPIC)


def close_incident(
    scope: Scope, incident_id: uuid.UUID, *, disposition: str, now: dt.datetime
) -> Incident:
    """Close with its disposition; units still on it go back to available."""
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
    for unit in PatrolUnit.objects.select_for_update().filter(incident=incident):
        unit.status, unit.status_at, unit.incident = rules.AVAILABLE, now, None
        unit.save()
        _log(unit, rules.AVAILABLE, now, incident.pk)
    Dispatch.objects.filter(incident=incident, cleared_at__isnull=True).update(cleared_at=now)
    incident.status, incident.closed_at, incident.disposition = rules.CLOSED, now, disposition
    incident.save()
    live.changed(TOPIC)
    return incident


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
            }
            for i in incidents
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
            }
            for u in unit_views(scope, at=now, tz=ZoneInfo(settings.TIME_ZONE))
        ],
    }


# --- set-up (demo, CLI) -------------------------------------------------------------------
@dataclass(frozen=True)
class ZoneSpec:
    name: str
    station_id: uuid.UUID
    polygon: list[list[float]]
    post: tuple[float, float]  # lon, lat


@dataclass(frozen=True)
class CarSpec:
    call_sign: str
    zone: int  # index into the zones
    crew: tuple[uuid.UUID, ...]
    status: str = rules.AVAILABLE


def install_fleet(
    *,
    bureau_id: uuid.UUID,
    unit_id: uuid.UUID,
    zones: list[ZoneSpec],
    cars: list[CarSpec],
    now: dt.datetime,
) -> tuple[int, int]:
    """Create patrol zones and cars, each car at its zone's post (the caller owns the
    transaction). Returns (zones, cars)."""
    made = [
        PatrolZone.objects.create(
            bureau_id=bureau_id,
            name=z.name,
            station_id=z.station_id,
            post_lon=z.post[0],
            post_lat=z.post[1],
            polygon=z.polygon,
        )
        for z in zones
    ]
    for c in cars:
        zone = made[c.zone]
        unit = PatrolUnit.objects.create(
            bureau_id=bureau_id,
            call_sign=c.call_sign,
            unit_id=unit_id,
            zone=zone,
            status=c.status,
            status_at=now,
            lon=zone.post_lon,
            lat=zone.post_lat,
            position_at=now,
        )
        unit.crew.set(c.crew)  # type: ignore[arg-type]  # ids are accepted
        _log(unit, c.status, now, None)
    return len(made), len(cars)


def bulk_load_history(
    *,
    bureau_id: uuid.UUID,
    incidents: list[dict[str, Any]],
    dispatches: list[dict[str, Any]],
    off_duty: list[tuple[int, dt.datetime, dt.datetime]],
    zone_names: list[str],
    call_signs: list[str],
    seed: int,
) -> tuple[int, int]:
    """Trusted bulk insert of past incidents for the demo (closed ones, with their dispatches and
    the cars' off-duty spells), straight to the driver like the other demo loaders. ``zone`` and
    ``car`` are indexes into ``zone_names`` and ``call_signs``."""
    import random

    from precinct.common import bulk
    from precinct.core.ids import uuid7_at

    rng = random.Random(seed)  # noqa: S311 - ids for fixtures, not secrets
    c = bulk.codec()
    by_name = {z.name: z for z in PatrolZone.objects.filter(bureau_id=bureau_id)}
    by_sign = {u.call_sign: u for u in PatrolUnit.objects.filter(bureau_id=bureau_id)}
    zones = [by_name[n] for n in zone_names]
    cars = [by_sign[s] for s in call_signs]
    stamp = c.datetime(dt.datetime.now(dt.UTC))

    def new_id(at: dt.datetime) -> uuid.UUID:
        return uuid7_at(int(at.timestamp() * 1000), rng.getrandbits(74))

    ids = [new_id(i["received_at"]) for i in incidents]
    phone = fields.encrypted(Incident, "caller_phone")  # sealed for its row, as save() would
    n = bulk.insert(
        Incident._meta.db_table,
        [
            "id", "created_at", "updated_at", "bureau_id", "number", "source", "category",
            "priority", "lon", "lat", "address", "summary", "caller_phone", "zone_id",
            "station_id", "status", "received_at", "dispatched_at", "acknowledged_at",
            "on_scene_at", "closed_at", "disposition", "received_by",
        ],
        (
            (
                c.uuid(pk), stamp, stamp, c.uuid(bureau_id), i["number"], i["source"],
                i["category"], i["priority"], i["lon"], i["lat"], i["address"], i["summary"],
                phone.seal_raw(i["caller_phone"], pk), c.uuid(zones[i["zone"]].pk),
                c.uuid(zones[i["zone"]].station_id), i["status"], c.datetime(i["received_at"]),
                c.datetime(i.get("dispatched_at")), c.datetime(i.get("acknowledged_at")),
                c.datetime(i.get("on_scene_at")), c.datetime(i.get("closed_at")),
                i["disposition"], "demo",
            )
            for pk, i in zip(ids, incidents, strict=True)
        ),
    )  # fmt: skip
    bulk.insert(
        Dispatch._meta.db_table,
        [
            "id", "created_at", "updated_at", "bureau_id", "incident_id", "patrol_unit_id", "at",
            "dispatcher", "rank", "eta_seconds", "reason", "cleared_at",
        ],
        (
            (
                c.uuid(new_id(d["at"])), stamp, stamp, c.uuid(bureau_id), c.uuid(ids[d["incident"]]),
                c.uuid(cars[d["car"]].pk), c.datetime(d["at"]), "demo", d["rank"],
                d["eta_seconds"], d["reason"], c.datetime(d["cleared_at"]),
            )
            for d in dispatches
        ),
    )  # fmt: skip
    spells = []
    for car, start, end in off_duty:
        for status, at in ((rules.OFF_DUTY, start), (rules.AVAILABLE, end)):
            spells.append(
                (c.uuid(new_id(at)), stamp, stamp, c.uuid(bureau_id), c.uuid(cars[car].pk),
                 status, c.datetime(at), None)
            )  # fmt: skip
    bulk.insert(
        UnitStatusChange._meta.db_table,
        ["id", "created_at", "updated_at", "bureau_id", "patrol_unit_id", "status", "at",
         "incident_id"],
        spells,
    )  # fmt: skip
    return n, len(dispatches)


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
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = [
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


# --- for planning ---------------------------------------------------------------------------
def incident_points(
    bureau_id: uuid.UUID, *, since: dt.datetime
) -> list[tuple[float, float, dt.datetime]]:
    """Where and when the bureau's incidents happened since a time (lon, lat, received): the
    demand of the post optimiser. Non-police matters need no car and are left out."""
    return list(
        Incident.objects.filter(bureau_id=bureau_id, received_at__gte=since)
        .exclude(category="non_police")
        .values_list("lon", "lat", "received_at")
    )


def car_posts(bureau_id: uuid.UUID) -> list[tuple[str, float, float]]:
    """Each car's standby post (its zone's): (call sign, lon, lat)."""
    return [
        (sign, lon, lat)
        for sign, lon, lat in PatrolUnit.objects.filter(bureau_id=bureau_id, zone__isnull=False)
        .order_by("call_sign")
        .values_list("call_sign", "zone__post_lon", "zone__post_lat")
    ]


def street_by_response(
    bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
) -> list[tuple[float | None, int, int]]:
    """The bureau's street handling by minutes to scene over the incidents received in [start,
    end) (:func:`rules.street_by_response`): what a faster car is worth."""
    rows = [
        rules.IncidentFacts(received, None, scene, closed, category, priority, disposition, "")
        for received, scene, closed, category, priority, disposition in Incident.objects.filter(
            bureau_id=bureau_id, received_at__gte=start, received_at__lt=end
        ).values_list(
            "received_at", "on_scene_at", "closed_at", "category", "priority", "disposition"
        )
    ]
    return rules.street_by_response(rows)


def incident_counts(
    bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
) -> list[tuple[uuid.UUID | None, int, int, int]]:
    """Per station (None: no station), the incidents received in [start, end): police incidents
    (all but non-police matters), criminal incidents, traffic accidents — the monthly statistics'
    own figures."""
    return list(
        Incident.objects.filter(bureau_id=bureau_id, received_at__gte=start, received_at__lt=end)
        .values("station_id")
        .annotate(
            police=Count("id", filter=~Q(category="non_police")),
            criminal=Count("id", filter=Q(category="criminal")),
            traffic=Count("id", filter=Q(category="traffic")),
        )
        .values_list("station_id", "police", "criminal", "traffic")
    )


def first_received(bureau_id: uuid.UUID, *, since: dt.datetime | None = None) -> dt.datetime | None:
    """When the bureau's first recorded incident (since a time) came in."""
    qs = Incident.objects.filter(bureau_id=bureau_id)
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    return qs.aggregate(m=Min("received_at"))["m"]


def desk_seconds(bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime) -> float | None:
    """The median time from the call to the car rolling (received → acknowledged, or dispatched
    where no acknowledgement was recorded) over the incidents received in [start, end)."""
    spans = [
        (rolling - received).total_seconds()
        for received, rolling in Incident.objects.filter(
            bureau_id=bureau_id,
            received_at__gte=start,
            received_at__lt=end,
            dispatched_at__isnull=False,
        )
        .annotate(rolling=Coalesce("acknowledged_at", "dispatched_at"))
        .values_list("received_at", "rolling")
    ]
    return rules.percentile(spans, 50)


def incident_history(
    bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, float, float, int, float | None]]:
    """The police incidents received in [start, end): (received, lon, lat, priority, seconds on
    scene or None), oldest first — a period to replay under another fleet plan."""
    out = []
    for received, lon, lat, priority, scene, closed in (
        Incident.objects.filter(bureau_id=bureau_id, received_at__gte=start, received_at__lt=end)
        .exclude(category="non_police")
        .order_by("received_at")
        .values_list("received_at", "lon", "lat", "priority", "on_scene_at", "closed_at")
    ):
        on_scene = (closed - scene).total_seconds() if scene and closed else None
        out.append((received, lon, lat, priority, on_scene))
    return out
