"""JSON API of command and patrol: intake, the newest incidents, recommendations, dispatch, unit
status and position. Each write is one transaction, committed before the answer is sent."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import AfterValidator

from precinct.common import transactions
from precinct.common.i18n import say
from precinct.core import clock
from precinct.core.scoping import Scope
from precinct.geo.rules import crs as coordinates
from precinct.identity.services import caller, display_names

from . import rules, services
from .models import Incident

router = Router(tags=["command"])


CrsName = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
CRS_FIELD: Any = Field(
    "wgs84",
    description="the coordinate system of lon/lat: wgs84 (GPS, default), cgcs2000, gcj02 (Chinese "
    "web maps, many 110 platforms) or bd09 (Baidu); stored and answered in wgs84",
)


class IncidentIn(Schema):
    category: Literal["criminal", "public_order", "traffic", "dispute", "help", "non_police"]
    priority: int = Field(..., ge=1, le=3)
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    crs: CrsName = CRS_FIELD
    address: str = Field(..., min_length=1, max_length=rules.MAX_ADDRESS)
    summary: str = Field(..., min_length=1, max_length=rules.MAX_SUMMARY)
    caller_phone: str | None = Field(None, max_length=24)
    caller_name: str | None = Field(None, max_length=60)
    source: Literal["call_110", "walk_in", "patrol", "transfer_12345"] = "call_110"


class IncidentOut(Schema):
    id: uuid.UUID
    number: str
    category: str
    priority: int
    lat: float
    lon: float
    crs: Literal["wgs84"] = "wgs84"
    network_m: float | None = Field(
        None, description="metres from the nearest road a car can reach it by (None: no network)"
    )
    off_network: bool = Field(
        False, description="farther than the bureau's limit from any road: no road ETA is given"
    )
    address: str
    summary: str
    caller_phone: str | None
    caller_name: str | None = None
    source: str
    status: str
    station_id: uuid.UUID | None
    received_at: dt.datetime
    dispatched_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    closed_at: dt.datetime | None
    disposition: str
    note: str = ""


class StepOut(Schema):
    kind: str
    at: dt.datetime
    unit: str
    by: str
    disposition: str
    note: str


class CarOnItOut(Schema):
    id: uuid.UUID
    call_sign: str
    status: str


class IncidentDetailOut(IncidentOut):
    steps: list[StepOut]
    units: list[CarOnItOut]
    actions: list[str]


class IncidentQuery(Schema):
    limit: int = Field(50, ge=1, le=500)
    open: bool = False


class AddressOut(Schema):
    street: str
    number: str
    label: str
    lon: float
    lat: float


class AddressQuery(Schema):
    q: str = Field(
        "", max_length=100, description="What the dispatcher typed: 红军路12, 红军路, 12"
    )


class RecommendationOut(Schema):
    rank: int
    unit_id: uuid.UUID
    call_sign: str
    eta_seconds: float
    distance_m: int | None = Field(None, description="metres along the route (shown units)")
    why: list[str]


class DispatchIn(Schema):
    unit_id: uuid.UUID
    reason: str = Field("", max_length=500)


class DispatchOut(Schema):
    id: uuid.UUID
    incident_id: uuid.UUID
    unit_id: uuid.UUID
    call_sign: str
    at: dt.datetime
    dispatcher: str
    rank: int | None
    eta_seconds: float | None


class CloseIn(Schema):
    disposition: Literal["street", "station", "criminal_investigation", "non_police", "false_alarm"]
    note: str = Field("", max_length=rules.MAX_NOTE)


class CancelIn(Schema):
    reason: str = Field(..., min_length=1, max_length=rules.MAX_NOTE)


class RecallIn(Schema):
    unit_id: uuid.UUID
    reason: str = Field("", max_length=rules.MAX_NOTE)


class PatrolUnitOut(Schema):  # not UnitOut: OpenAPI names components by class (org has one)
    id: uuid.UUID
    call_sign: str
    status: str
    lon: float | None
    lat: float | None
    position_at: dt.datetime | None
    incident_id: uuid.UUID | None
    zone: str
    crew: list[str] = []
    network_m: float | None = Field(
        None, description="metres from the nearest road it can leave by"
    )
    off_network: bool = Field(False, description="too far from any road to be given a road ETA")


def _plausible_time(at: dt.datetime | None) -> dt.datetime | None:
    # near year 1 or 9999 the conversion to UTC overflows (a 500), as case events 1990–2100
    if at is not None and not 1990 <= at.year <= 2100:
        raise ValueError("a time between 1990 and 2100")
    return at


Moment = Annotated[dt.datetime | None, AfterValidator(_plausible_time)]


class StatusIn(Schema):
    status: Literal["available", "dispatched", "en_route", "on_scene", "returning", "off_duty"]
    disposition: (
        Literal["street", "station", "criminal_investigation", "non_police", "false_alarm"] | None
    ) = None
    note: str = Field("", max_length=rules.MAX_NOTE)
    at: Moment = Field(None, description="when the crew pressed (a step queued offline)")


class PositionIn(Schema):
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    crs: CrsName = CRS_FIELD
    at: Moment = None


class ProblemOut(Schema):
    detail: str
    conflict: dict[str, Any] = {}


def incident_out(
    incident: Incident, *, full_phone: bool, network_m: tuple[float | None] | None = None
) -> dict[str, Any]:
    """As the API answers it; ``network_m`` when the caller measured it for many at once."""
    phone, name = incident.caller_phone, incident.caller_name
    (far,) = network_m or services.network_distances(
        incident.bureau_id, [(incident.lon, incident.lat)], role="end"
    )
    return {
        "network_m": None if far is None else round(far, 1),
        "off_network": services.is_off_network(far),
        "id": incident.pk,
        "number": incident.number,
        "category": incident.category,
        "priority": incident.priority,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "summary": incident.summary,
        "caller_phone": (phone if full_phone else rules.mask_phone(phone)) if phone else None,
        "caller_name": (name if full_phone else rules.mask_name(name)) if name else None,
        "source": incident.source,
        "status": incident.status,
        "station_id": incident.station_id,
        "received_at": incident.received_at,
        "dispatched_at": incident.dispatched_at,
        "acknowledged_at": incident.acknowledged_at,
        "on_scene_at": incident.on_scene_at,
        "closed_at": incident.closed_at,
        "disposition": incident.disposition,
        "note": incident.note,
    }


@router.post(
    "/incidents",
    response={201: IncidentOut, 200: IncidentOut, 409: ProblemOut},
    url_name="incidents",
)
def intake(
    request: HttpRequest,
    payload: IncidentIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", max_length=200),
) -> Any:
    """Record an incident. A retry with the same Idempotency-Key and body returns the incident
    already recorded (200); the same key with a different body is refused (409). The answer is
    sent only after the incident is committed."""
    scope = caller(request)
    body = payload.model_dump(exclude_none=True, exclude={"crs"})
    body["lon"], body["lat"] = coordinates.to_wgs84(payload.lon, payload.lat, payload.crs)
    now = clock.now()
    with transactions.entry():
        incident, created = services.intake(
            scope,
            body=body,
            key=idempotency_key,
            now=now,
            today=clock.today(settings.TIME_ZONE),
            actor=request.user.get_username(),
        )
    out = incident_out(incident, full_phone=services.shows_full_phone(scope))
    return Status(201 if created else 200, out)


@router.get("/incidents", response=list[IncidentOut], url_name="incidents")
def list_incidents(request: HttpRequest, query: Query[IncidentQuery]) -> Any:
    """The newest incidents, newest first."""
    scope = caller(request)
    full = services.shows_full_phone(scope)
    found = services.list_incidents(scope, limit=query.limit, open_only=query.open)
    if not found:
        return []
    far = services.network_distances(
        found[0].bureau_id, [(i.lon, i.lat) for i in found], role="end"
    )
    return [
        incident_out(i, full_phone=full, network_m=(d,)) for i, d in zip(found, far, strict=True)
    ]


@router.get(
    "/incidents/{incident_id}/recommendations",
    response=list[RecommendationOut],
    url_name="incident_recommendations",
)
def recommendations(request: HttpRequest, incident_id: uuid.UUID) -> Any:
    """Available units by exact road-network travel time, with ETA, distance and why."""
    scope = caller(request)
    ranked = services.recommendations(scope, incident_id, now=clock.now())
    return [r.as_dict(say) for r in ranked]


StepKeyHeader = Header(
    None,
    alias="Idempotency-Key",
    max_length=200,
    description="a retried step with the same key is answered with the recorded one",
)


def _step(request: HttpRequest, key: str | None, body: dict[str, Any], do: Any) -> dict[str, Any]:
    """One idempotent step, committed before the answer."""
    scope = caller(request)
    with transactions.entry():
        answer, _new = services.once(scope, key, body, lambda: do(scope))
    return answer


@router.post(
    "/incidents/{incident_id}/dispatch",
    response={201: DispatchOut, 409: ProblemOut},
    url_name="incident_dispatch",
)
def dispatch(
    request: HttpRequest,
    incident_id: uuid.UUID,
    payload: DispatchIn,
    idempotency_key: str | None = StepKeyHeader,
) -> Any:
    """Send a unit. A unit already sent elsewhere gives 409 with who has it; with an
    Idempotency-Key, a retried dispatch is answered with the recorded one."""
    body = {"step": "dispatch", "incident": str(incident_id), **payload.model_dump(mode="json")}

    def do(scope: Scope) -> dict[str, Any]:
        sent = services.dispatch(
            scope,
            incident_id,
            unit_id=payload.unit_id,
            reason=payload.reason,
            now=clock.now(),
            dispatcher=request.user.get_username(),
        )
        return {
            "id": sent.pk,
            "incident_id": sent.incident_id,
            "unit_id": sent.patrol_unit_id,
            "call_sign": sent.patrol_unit.call_sign,
            "at": sent.at,
            "dispatcher": sent.dispatcher,
            "rank": sent.rank,
            "eta_seconds": sent.eta_seconds,
        }

    return Status(201, _step(request, idempotency_key, body, do))


def _detail(scope: Scope, incident: Incident) -> dict[str, Any]:
    out = incident_out(incident, full_phone=services.shows_full_phone(scope))
    steps = services.timeline(incident)
    names = display_names(s.by for s in steps)  # people by their names, not their usernames
    out["steps"] = [{**step.__dict__, "by": names.get(step.by, step.by)} for step in steps]
    out["units"] = services.cars_on(incident)
    out["actions"] = list(rules.next_actions(incident.status))
    return out


@router.get("/incidents/{incident_id}", response=IncidentDetailOut, url_name="incident_detail")
def detail(request: HttpRequest, incident_id: uuid.UUID) -> Any:
    """One incident with its timeline (every step: when, which car, who, the disposition and
    note), the cars on it and what can be done next."""
    scope = caller(request)
    return _detail(scope, services.get_incident(scope, incident_id))


@router.post(
    "/incidents/{incident_id}/close",
    response={200: IncidentDetailOut, 409: ProblemOut},
    url_name="incident_close",
)
def close(
    request: HttpRequest,
    incident_id: uuid.UUID,
    payload: CloseIn,
    idempotency_key: str | None = StepKeyHeader,
) -> Any:
    """处置完毕: close with the disposition (and a note); cars still on it become available."""
    body = {"step": "close", "incident": str(incident_id), **payload.model_dump()}

    def do(scope: Scope) -> dict[str, Any]:
        incident = services.close_incident(
            scope,
            incident_id,
            disposition=payload.disposition,
            note=payload.note,
            now=clock.now(),
            actor=request.user.get_username(),
        )
        return _detail(scope, incident)

    return _step(request, idempotency_key, body, do)


@router.post(
    "/incidents/{incident_id}/cancel",
    response={200: IncidentDetailOut, 409: ProblemOut},
    url_name="incident_cancel",
)
def cancel(
    request: HttpRequest,
    incident_id: uuid.UUID,
    payload: CancelIn,
    idempotency_key: str | None = StepKeyHeader,
) -> Any:
    """Cancel with a reason (a duplicate call, the caller withdrew); cars on it become free."""
    body = {"step": "cancel", "incident": str(incident_id), **payload.model_dump()}

    def do(scope: Scope) -> dict[str, Any]:
        incident = services.cancel_incident(
            scope,
            incident_id,
            reason=payload.reason,
            now=clock.now(),
            actor=request.user.get_username(),
        )
        return _detail(scope, incident)

    return _step(request, idempotency_key, body, do)


@router.post(
    "/incidents/{incident_id}/recall",
    response={200: IncidentDetailOut, 409: ProblemOut},
    url_name="incident_recall",
)
def recall(
    request: HttpRequest,
    incident_id: uuid.UUID,
    payload: RecallIn,
    idempotency_key: str | None = StepKeyHeader,
) -> Any:
    """Take a car off the incident (to reassign it or send another)."""
    body = {"step": "recall", "incident": str(incident_id), **payload.model_dump(mode="json")}

    def do(scope: Scope) -> dict[str, Any]:
        services.recall_unit(
            scope,
            incident_id,
            unit_id=payload.unit_id,
            reason=payload.reason,
            now=clock.now(),
            actor=request.user.get_username(),
        )
        return _detail(scope, services.get_incident(scope, incident_id))

    return _step(request, idempotency_key, body, do)


@router.get("/addresses", response=list[AddressOut], url_name="addresses")
def addresses(request: HttpRequest, query: Query[AddressQuery]) -> Any:
    """The standard address register's entries for what was typed, closest first (at most 10)."""
    return [
        {"street": a.street, "number": a.number, "label": a.label, "lon": a.lon, "lat": a.lat}
        for a in services.suggest(caller(request), query.q)
    ]


@router.get("/patrol-units", response=list[PatrolUnitOut], url_name="patrol_units")
def patrol_units(request: HttpRequest) -> Any:
    scope = caller(request)
    units = services.unit_views(scope, at=clock.now(), tz=ZoneInfo(settings.TIME_ZONE))
    return services.with_network(scope, [u.__dict__ for u in units])


@router.post(
    "/patrol-units/{unit_id}/status",
    response={200: PatrolUnitOut, 409: ProblemOut},
    url_name="patrol_unit_status",
)
def unit_status(
    request: HttpRequest,
    unit_id: uuid.UUID,
    payload: StatusIn,
    idempotency_key: str | None = StepKeyHeader,
) -> Any:
    """A car's step: 出发 (en_route), 到达现场 (on_scene), 处置完毕 (available with the
    disposition), 空闲 / 离线. With an Idempotency-Key, a step replayed by a terminal that was
    offline is answered with the recorded one and done once."""
    body = {"step": "unit_status", "unit": str(unit_id), **payload.model_dump(mode="json")}

    def do(scope: Scope) -> dict[str, Any]:
        unit = services.set_unit_status(
            scope,
            unit_id,
            status=payload.status,
            disposition=payload.disposition or "",
            note=payload.note,
            at=payload.at,
            now=clock.now(),
            actor=request.user.get_username(),
        )
        return {
            "id": unit.pk,
            "call_sign": unit.call_sign,
            "status": unit.status,
            "lon": unit.lon,
            "lat": unit.lat,
            "position_at": unit.position_at,
            "incident_id": unit.incident_id,
            "zone": unit.zone.name if unit.zone_id and unit.zone else "",
        }

    return _step(request, idempotency_key, body, do)


@router.post(
    "/patrol-units/{unit_id}/position", response={204: None}, url_name="patrol_unit_position"
)
def unit_position(request: HttpRequest, unit_id: uuid.UUID, payload: PositionIn) -> Any:
    """A position ping from the car's terminal (in WGS-84 unless it says otherwise)."""
    scope = caller(request)
    at = payload.at or clock.now()
    lon, lat = coordinates.to_wgs84(payload.lon, payload.lat, payload.crs)
    with transactions.entry():
        services.record_position(scope, unit_id, lon=lon, lat=lat, at=at, now=clock.now())
    return Status(204, None)
