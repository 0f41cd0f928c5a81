"""JSON API for cases, their timelines, findings, tickets and reviews — scoped like everything."""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from precinct.cases import services as cases
from precinct.cases.rules import EventContent
from precinct.common import audit, transactions
from precinct.core import capabilities as can
from precinct.core import clock
from precinct.core.errors import FieldError, ValidationFailed
from precinct.identity.services import caller

from . import services
from .rules import InterchangeError
from .rules.interchange import parse

router = Router(tags=["supervision"])


class CaseOut(Schema):
    id: uuid.UUID
    number: str
    kind: str
    title: str
    unit_id: uuid.UUID
    unit_name: str
    lead_officer_id: uuid.UUID | None
    flags: dict[str, bool]


class EventOut(Schema):
    id: uuid.UUID
    seq: int
    type: str
    at: dt.datetime
    subject: str
    attrs: dict[str, Any]
    corrects: uuid.UUID | None
    recorded_by: str


class FindingOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    rule: str
    subject: str
    title: str
    trigger_at: dt.datetime
    due_at: dt.datetime | None
    state: str
    met_at: dt.datetime | None
    severity: str
    basis: str
    kind: str
    reason: str


class PersonOut(Schema):
    key: str
    name: str
    role: str
    id_number: str


class CaseDetail(CaseOut):
    persons: list[PersonOut]
    events: list[EventOut]
    findings: list[FindingOut]


class EventIn(Schema):
    type: str = Field(..., max_length=48)
    at: str = Field(..., max_length=40)
    subject: str | None = Field(None, max_length=64)
    attrs: dict[str, Any] = {}
    corrects: uuid.UUID | None = None


class TicketOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    finding_id: uuid.UUID
    rule: str
    unit_id: uuid.UUID
    lead_officer_id: uuid.UUID | None
    state: str


class MoveIn(Schema):
    to_state: str = Field(..., max_length=16)
    note: str = Field("", max_length=2000)


class ReviewItemIn(Schema):
    tag: str = Field(..., max_length=8)
    rule: str = Field("", max_length=8)
    text: str = Field(..., max_length=4000)


class ReviewIn(Schema):
    summary: str = Field("", max_length=4000)
    items: list[ReviewItemIn] = Field(..., max_length=100)


class ReviewOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    reviewer: str
    summary: str


class GoodPracticeOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    rule: str
    text: str
    created_at: dt.datetime


class ListQuery(Schema):
    state: str = Field("", max_length=16)
    rule: str = Field("", max_length=8)
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def _case_out(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "kind": c.kind,
        "title": c.title,
        "unit_id": c.unit_id,
        "unit_name": c.unit.name,
        "lead_officer_id": c.lead_officer_id,
        "flags": c.flags,
    }


def _finding_out(f: Any) -> dict[str, Any]:
    return {k: getattr(f, k) for k in FindingOut.model_fields}


def _number(row: Any) -> str:
    return str(row.case.number)


def _exported(
    request: HttpRequest, object_type: str, rows: list[Any], number: Callable[[Any], str] = _number
) -> list[Any]:
    """A list the API answers is an export: the audit log names the cases it held (``number``
    gives a row's case number). Returns the rows."""
    if rows:
        numbers = sorted({number(r) for r in rows})
        detail = {"cases": numbers, "rows": len(rows)}
        audit.exported(object_type, str(caller(request).bureau_id or ""), detail)
    return rows


@router.get("/cases", response=list[CaseOut], url_name="case_list")
def list_cases(request: HttpRequest, query: Query[ListQuery]) -> Any:
    qs = cases.scope_cases(caller(request)).select_related("unit").order_by("-created_at")
    rows = list(qs[query.offset : query.offset + query.limit])
    return [_case_out(c) for c in _exported(request, "cases.case", rows, lambda c: c.number)]


@router.get("/cases/{case_id}", response=CaseDetail, url_name="case_detail")
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> Any:
    scope = caller(request)
    case = cases.get_case(scope, case_id)
    audit.viewed("cases.case", str(case.pk), str(case.bureau_id))
    return {
        **_case_out(case),
        "persons": cases.persons(case.pk, full_identity=scope.role in can.FULL_IDENTITY_READERS),
        "events": [
            {
                "id": e.id,
                "seq": e.seq,
                "type": e.type,
                "at": e.at,
                "subject": e.subject,
                "attrs": e.attrs,
                "corrects": e.corrects_id,
                "recorded_by": e.recorded_by,
            }
            for e in cases.event_rows(case.pk)
        ],
        "findings": [_finding_out(f) for f in services.case_findings(scope, case.pk)],
    }


@router.post(
    "/cases/{case_id}/events", response={201: EventOut, 200: EventOut}, url_name="case_events"
)
def record_event(request: HttpRequest, case_id: uuid.UUID, payload: EventIn) -> Any:
    """Append an event (or a correction of one); the case's findings are recomputed on commit.
    The same event sent again (a retry after a lost answer) is not added twice: the answer is 200
    with the event already on the timeline."""
    scope = caller(request)
    case = cases.get_case(scope, case_id)
    raw = {"type": payload.type, "at": payload.at, **payload.attrs}
    if payload.subject:
        raw["subject"] = payload.subject
    try:
        _c, events = parse({"case": {"id": case.number, "kind": case.kind}, "events": [raw]})
    except InterchangeError as exc:
        raise ValidationFailed([FieldError("event", str(exc))]) from None
    e = events[0]
    content = EventContent(e.type, e.at, e.subject, dict(e.attrs))
    with transactions.entry():
        row = cases.record_event(
            case=case,
            content=content,
            recorded_by=request.user.get_username(),
            corrects=payload.corrects,
        )
        status = 201
        if row is None:  # on the timeline already (a retry): answered with the event recorded
            row = cases.event_by_content(case.pk, content, payload.corrects)
            status = 200
    return Status(
        status,
        {
            "id": row.id,
            "seq": row.seq,
            "type": row.type,
            "at": row.at,
            "subject": row.subject,
            "attrs": row.attrs,
            "corrects": row.corrects_id,
            "recorded_by": row.recorded_by,
        },
    )


@router.get("/supervision/findings", response=list[FindingOut], url_name="finding_list")
def list_findings(request: HttpRequest, query: Query[ListQuery]) -> Any:
    qs = services.scope_findings(caller(request)).select_related("case").order_by("due_at", "rule")
    if query.state:
        qs = qs.filter(state=query.state)
    if query.rule:
        qs = qs.filter(rule=query.rule)
    rows = list(qs[query.offset : query.offset + query.limit])
    return [_finding_out(f) for f in _exported(request, "supervision.finding", rows)]


@router.get("/supervision/tickets", response=list[TicketOut], url_name="ticket_list")
def list_tickets(request: HttpRequest, query: Query[ListQuery]) -> Any:
    qs = services.scope_tickets(caller(request)).select_related("finding", "case")
    if query.state:
        qs = qs.filter(state=query.state)
    rows = list(qs.order_by("-created_at")[query.offset : query.offset + query.limit])
    return [
        {
            "id": t.id,
            "case_id": t.case_id,
            "finding_id": t.finding_id,
            "rule": t.finding.rule,
            "unit_id": t.unit_id,
            "lead_officer_id": t.lead_officer_id,
            "state": t.state,
        }
        for t in _exported(request, "supervision.ticket", rows)
    ]


@router.post("/supervision/tickets/{ticket_id}/move", response=TicketOut, url_name="ticket_move")
def move_ticket(request: HttpRequest, ticket_id: uuid.UUID, payload: MoveIn) -> Any:
    with transactions.entry():
        t = services.move_ticket(
            caller(request),
            ticket_id,
            to_state=payload.to_state,
            by=request.user.get_username(),
            note=payload.note,
        )
    return {
        "id": t.id,
        "case_id": t.case_id,
        "finding_id": t.finding_id,
        "rule": t.finding.rule,
        "unit_id": t.unit_id,
        "lead_officer_id": t.lead_officer_id,
        "state": t.state,
    }


@router.post("/cases/{case_id}/reviews", response={201: ReviewOut}, url_name="case_reviews")
def add_review(request: HttpRequest, case_id: uuid.UUID, payload: ReviewIn) -> Any:
    with transactions.entry():
        r = services.add_review(
            caller(request),
            case_id,
            reviewer=request.user.get_username(),
            summary=payload.summary,
            items=[(i.tag, i.rule, i.text) for i in payload.items],
        )
    return Status(
        201, {"id": r.id, "case_id": r.case_id, "reviewer": r.reviewer, "summary": r.summary}
    )


@router.get("/supervision/good-practice", response=list[GoodPracticeOut], url_name="good_practice")
def good_practice(request: HttpRequest, query: Query[ListQuery]) -> Any:
    qs = services.good_practice(caller(request)).select_related("review__case")
    rows = list(qs[query.offset : query.offset + query.limit])
    return [
        {
            "id": i.id,
            "case_id": i.review.case_id,
            "rule": i.rule,
            "text": i.text,
            "created_at": i.created_at,
        }
        for i in _exported(request, "supervision.reviewitem", rows, lambda i: i.review.case.number)
    ]


@router.get("/supervision/dashboard", response=dict[str, Any], url_name="supervision_dashboard")
def dashboard(request: HttpRequest) -> Any:
    return services.dashboard(caller(request), now=clock.now())
