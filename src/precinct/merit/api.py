"""JSON API for the monthly mechanism: a month's results, achievements, the ledger check."""

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from precinct.common import transactions
from precinct.core import clock
from precinct.core.errors import FieldError, ValidationFailed
from precinct.identity.services import caller
from precinct.org import services as org

from . import services
from .rules import Month

router = Router(tags=["merit"])


class LineOut(Schema):
    kind: str
    quantity: int
    each: float
    points: float
    role: str
    evidence: str
    ref: str


class OfficerScoreOut(Schema):
    officer: uuid.UUID
    number: str
    unit: uuid.UUID
    post_type: str
    points: float
    stars: int
    capped_from: int
    lines: list[LineOut]


class MonthOut(Schema):
    month: str
    closed: bool
    digest: str
    policy_version: int
    officers: list[OfficerScoreOut]


class AchievementIn(Schema):
    police_number: str = Field(max_length=16)
    kind: str = Field(max_length=24)
    occurred_on: dt.date
    quantity: int = 1
    role: str = Field("", max_length=8)
    evidence: str = Field("", max_length=80)
    note: str = Field("", max_length=200)


class AchievementOut(Schema):
    id: uuid.UUID
    officer_id: uuid.UUID
    unit_id: uuid.UUID
    kind: str
    month: str
    occurred_on: dt.date
    quantity: int
    role: str
    evidence: str
    state: str


MONTH = r"^\d{4}-\d{2}$"  # YYYY-MM, in the OpenAPI document (the fuzzing reads it)


class AchievementQuery(Schema):
    month: str | None = Field(None, pattern=MONTH, description="YYYY-MM")
    state: str | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)  # past the database's integers: a 500


class LedgerCheckOut(Schema):
    ok: bool
    transactions: int
    unbalanced: list[str]
    negative: list[str]
    bad_reversals: list[str]


def _month(text: str) -> Month:
    return Month.parse(text)


@router.get("/merit/months/{month}", response=MonthOut, url_name="merit_month")
def month_results(
    request: HttpRequest, month: str = Path(..., pattern=MONTH, description="YYYY-MM")
) -> Any:
    data = services.month_results(caller(request), _month(month))
    officers = [{**o, "lines": services.lines_of(o)} for o in data["officers"]]
    return {**data, "officers": officers, "policy_version": data["policy"]["version"]}


@router.get("/merit/achievements", response=list[AchievementOut], url_name="merit_achievements")
def list_achievements(request: HttpRequest, query: Query[AchievementQuery]) -> Any:
    qs = services.scope_achievements(caller(request)).order_by("-occurred_on", "pk")
    if query.month:
        qs = qs.filter(month=str(_month(query.month)))
    if query.state:
        qs = qs.filter(state=query.state[:10])
    return list(qs[query.offset : query.offset + query.limit])


@router.post("/merit/achievements", response={201: AchievementOut}, url_name="merit_achievements")
def add_achievement(request: HttpRequest, body: AchievementIn) -> Any:
    scope = caller(request)
    found = org.scoped_officer_ids_by_number(scope, [body.police_number])
    if body.police_number not in found:
        raise ValidationFailed([FieldError("police_number", "no such officer in your scope")])
    with transactions.entry():
        a = services.record_achievement(
            scope,
            services.AchievementData(
                officer_id=found[body.police_number],
                kind=body.kind,
                occurred_on=body.occurred_on,
                quantity=body.quantity,
                role=body.role,
                evidence=body.evidence,
                note=body.note,
            ),
            today=clock.today(settings.TIME_ZONE),
        )
    return 201, a


@router.get("/merit/ledger/verify", response=LedgerCheckOut, url_name="merit_ledger_verify")
def ledger_verify(request: HttpRequest) -> Any:
    check = services.verify_ledger(caller(request).bureau_id)
    return {"ok": check.ok, **check.__dict__}
