"""Organisation JSON API: units, officers, assignments."""

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from precinct.common import audit, transactions
from precinct.core import clock
from precinct.core.scoping import caller

from . import rules, services

router = Router(tags=["organisation"])


def _today() -> dt.date:
    return clock.today(settings.TIME_ZONE)


class UnitOut(Schema):
    id: uuid.UUID
    kind: str
    code: str
    name: str
    parent_id: uuid.UUID | None
    path: str
    area_km2: float | None


class OfficerOut(Schema):
    id: uuid.UUID
    police_number: str
    name: str
    gender: str
    birth_date: dt.date
    hire_date: dt.date
    age: int
    rank: str
    post_type: str
    status: str
    party: str
    current_unit_id: uuid.UUID | None
    current_unit_name: str | None
    current_position: str


class OfficerPage(Schema):
    total: int
    page: int
    page_size: int
    items: list[OfficerOut]


class OfficerIn(Schema):
    police_number: str = Field(..., max_length=16)
    name: str = Field(..., max_length=40)
    gender: rules.Gender
    birth_date: dt.date
    hire_date: dt.date
    rank: str = Field(..., max_length=16)
    post_type: rules.PostType
    status: rules.OfficerStatus = rules.OfficerStatus.ACTIVE
    party: rules.Party = rules.Party.NONE


class OfficerCreate(OfficerIn):
    unit_id: uuid.UUID
    position: str = Field(..., min_length=1, max_length=40)
    start: dt.date | None = None


class AssignmentIn(Schema):
    unit_id: uuid.UUID
    position: str = Field(..., min_length=1, max_length=40)
    start: dt.date
    note: str = Field("", max_length=200)


class AssignmentOut(Schema):
    id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str
    position: str
    start: dt.date
    end: dt.date | None
    note: str


class OfficerFilterIn(Schema):
    q: str = Field("", max_length=40)
    unit_id: uuid.UUID | None = None
    post_type: rules.PostType | None = None
    age_band: rules.AgeBand | None = None
    status: rules.OfficerStatus | None = None
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(50, ge=1, le=200)


def officer_out(o: Any, today: dt.date) -> dict[str, Any]:
    return {
        "id": o.id,
        "police_number": o.police_number,
        "name": o.name,
        "gender": o.gender,
        "birth_date": o.birth_date,
        "hire_date": o.hire_date,
        "age": rules.age_on(o.birth_date, today),
        "rank": o.rank,
        "post_type": o.post_type,
        "status": o.status,
        "party": o.party,
        "current_unit_id": o.current_unit_id,
        "current_unit_name": o.current_unit.name if o.current_unit else None,
        "current_position": o.current_position,
    }


def _data(payload: OfficerIn) -> rules.OfficerData:
    return rules.OfficerData(
        police_number=payload.police_number,
        name=payload.name,
        gender=payload.gender,
        birth_date=payload.birth_date,
        hire_date=payload.hire_date,
        rank=payload.rank,
        post_type=payload.post_type,
        status=payload.status,
        party=payload.party,
    )


@router.get("/units", response=list[UnitOut], url_name="unit_list")
def list_units(request: HttpRequest) -> Any:
    return [
        {
            "id": u.id,
            "kind": u.kind,
            "code": u.code,
            "name": u.name,
            "parent_id": u.parent_id,
            "path": u.path,
            "area_km2": float(u.area_km2) if u.area_km2 is not None else None,
        }
        for u in services.list_units(caller(request))
    ]


@router.get("/officers", response=OfficerPage, url_name="officer_list")
def list_officers(request: HttpRequest, filters: Query[OfficerFilterIn]) -> Any:
    today = _today()
    flt = services.OfficerFilter(
        q=filters.q,
        unit_id=filters.unit_id,
        post_type=filters.post_type.value if filters.post_type else "",
        age_band=filters.age_band.value if filters.age_band else "",
        status=filters.status.value if filters.status else "",
    )
    qs = services.search_officers(caller(request), flt, today=today)
    total = qs.count()
    start = (filters.page - 1) * filters.page_size
    items = [officer_out(o, today) for o in qs[start : start + filters.page_size]]
    _listed(
        request,
        "org.officer",
        {"rows": len(items), "total": total, "page": filters.page, "q": flt.q,
         "unit_id": flt.unit_id, "post_type": flt.post_type, "age_band": flt.age_band,
         "status": flt.status, "officers": [str(i["id"]) for i in items]},
    )  # fmt: skip
    return {"total": total, "page": filters.page, "page_size": filters.page_size, "items": items}


def _listed(request: HttpRequest, object_type: str, detail: dict[str, Any]) -> None:
    """A page of personal records read over the API: one audit entry naming the filters (those
    given), how many rows it held and their ids (the log's search finds it by an officer)."""
    given = {k: v for k, v in detail.items() if v not in (None, "", [])}
    audit.exported(object_type, str(caller(request).bureau_id or ""), given)


@router.post("/officers", response={201: OfficerOut}, url_name="officer_list")
def create_officer(request: HttpRequest, payload: OfficerCreate) -> Any:
    today = _today()
    with transactions.entry():
        officer = services.create_officer(
            caller(request),
            data=_data(payload),
            unit_id=payload.unit_id,
            position=payload.position,
            start=payload.start,
            today=today,
        )
    officer = services.get_officer(caller(request), officer.pk)
    return Status(201, officer_out(officer, today))


@router.get("/officers/{officer_id}", response=OfficerOut, url_name="officer_detail")
def get_officer(request: HttpRequest, officer_id: uuid.UUID) -> Any:
    officer = services.get_officer(caller(request), officer_id)
    audit.viewed("org.officer", str(officer.pk), str(officer.bureau_id))
    return officer_out(officer, _today())


@router.put("/officers/{officer_id}", response=OfficerOut, url_name="officer_detail")
def update_officer(request: HttpRequest, officer_id: uuid.UUID, payload: OfficerIn) -> Any:
    today = _today()
    with transactions.entry():
        services.update_officer(caller(request), officer_id, data=_data(payload), today=today)
    return officer_out(services.get_officer(caller(request), officer_id), today)


@router.get(
    "/officers/{officer_id}/assignments",
    response=list[AssignmentOut],
    url_name="officer_assignments",
)
def list_assignments(request: HttpRequest, officer_id: uuid.UUID) -> Any:
    history = services.officer_history(caller(request), officer_id)
    audit.viewed("org.officer", str(officer_id), str(caller(request).bureau_id or ""))
    return [
        {
            "id": a.id,
            "unit_id": a.unit_id,
            "unit_name": a.unit.name,
            "position": a.position,
            "start": a.start,
            "end": a.end,
            "note": a.note,
        }
        for a in history
    ]


@router.post(
    "/officers/{officer_id}/assignments",
    response={201: AssignmentOut},
    url_name="officer_assignments",
)
def add_assignment(request: HttpRequest, officer_id: uuid.UUID, payload: AssignmentIn) -> Any:
    today = _today()
    with transactions.entry():
        a = services.add_assignment(
            caller(request),
            officer_id,
            unit_id=payload.unit_id,
            position=payload.position,
            start=payload.start,
            note=payload.note,
            today=today,
        )
    return Status(
        201,
        {
            "id": a.id,
            "unit_id": a.unit_id,
            "unit_name": a.unit.name,
            "position": a.position,
            "start": a.start,
            "end": a.end,
            "note": a.note,
        },
    )


# --- secondments (动态用警) -----------------------------------------------------------------
class ShareOut(Schema):
    hq_officers: int
    seconded: int
    share: float


class DepartmentShareOut(ShareOut):
    unit_id: uuid.UUID
    name: str


class DeploymentSummaryOut(Schema):
    goal: float
    overall: ShareOut
    short_of_goal: int
    by_department: list[DepartmentShareOut]
    what_if: list[uuid.UUID]


class DeploymentSummaryIn(Schema):
    what_if: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class SecondmentOut(Schema):
    id: uuid.UUID
    officer_id: uuid.UUID
    police_number: str
    officer_name: str
    from_unit_id: uuid.UUID
    from_unit_name: str
    to_unit_id: uuid.UUID
    to_unit_name: str
    start: dt.date
    planned_end: dt.date
    purpose: str
    status: str
    approved_at: dt.datetime | None
    ended_on: dt.date | None
    stay_requested: bool
    stay_requested_on: dt.date | None
    stay_decision: str


class SecondmentPage(Schema):
    total: int
    page: int
    page_size: int
    items: list[SecondmentOut]


class SecondmentFilterIn(Schema):
    status: rules.SecondmentStatus | None = None
    from_unit_id: uuid.UUID | None = None
    to_unit_id: uuid.UUID | None = None
    officer_id: uuid.UUID | None = None
    q: str = Field("", max_length=40)
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(50, ge=1, le=200)


@router.get("/deployment/summary", response=DeploymentSummaryOut, url_name="deployment_summary")
def deployment_summary(request: HttpRequest, params: Query[DeploymentSummaryIn]) -> Any:
    """The share of headquarters officers on a secondment in force today, overall and by
    department, against the bureau's goal; ``what_if`` counts those planned secondments as if
    approved."""
    s = services.deployment_summary(caller(request), today=_today(), what_if=params.what_if)
    return {
        "goal": s.goal,
        "overall": {"hq_officers": s.hq_officers, "seconded": s.seconded, "share": s.share},
        "short_of_goal": s.short_of_goal,
        "by_department": [
            {
                "unit_id": d.unit_id,
                "name": d.name,
                "hq_officers": d.hq_officers,
                "seconded": d.seconded,
                "share": d.share,
            }
            for d in s.by_department
        ],
        "what_if": s.what_if,
    }


def secondment_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "officer_id": s.officer_id,
        "police_number": s.officer.police_number,
        "officer_name": s.officer.name,
        "from_unit_id": s.from_unit_id,
        "from_unit_name": s.from_unit.name,
        "to_unit_id": s.to_unit_id,
        "to_unit_name": s.to_unit.name,
        "start": s.start,
        "planned_end": s.planned_end,
        "purpose": s.purpose,
        "status": s.status,
        "approved_at": s.approved_at,
        "ended_on": s.ended_on,
        "stay_requested": s.stay_requested,
        "stay_requested_on": s.stay_requested_on,
        "stay_decision": s.stay_decision,
    }


@router.get("/secondments", response=SecondmentPage, url_name="secondment_list")
def list_secondments(request: HttpRequest, filters: Query[SecondmentFilterIn]) -> Any:
    flt = services.SecondmentFilter(
        status=filters.status.value if filters.status else "",
        from_unit_id=filters.from_unit_id,
        to_unit_id=filters.to_unit_id,
        officer_id=filters.officer_id,
        q=filters.q,
    )
    qs = services.list_secondments(caller(request), flt)
    total = qs.count()
    start = (filters.page - 1) * filters.page_size
    items = [secondment_out(s) for s in qs[start : start + filters.page_size]]
    _listed(
        request,
        "org.secondment",
        {"rows": len(items), "total": total, "page": filters.page, "q": flt.q,
         "status": flt.status, "from_unit": flt.from_unit_id, "to_unit": flt.to_unit_id,
         "officer": flt.officer_id, "secondments": [str(i["id"]) for i in items],
         "officers": sorted({str(i["officer_id"]) for i in items})},
    )  # fmt: skip
    return {"total": total, "page": filters.page, "page_size": filters.page_size, "items": items}
