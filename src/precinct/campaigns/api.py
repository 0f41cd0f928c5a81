"""JSON API of special campaigns: the campaigns with their progress, and a campaign's checklist.
Scoped like the pages: a unit chief sees the items his units own."""

import datetime as dt
import uuid
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from precinct.core import clock
from precinct.identity.services import caller

from . import rules, services

router = Router(tags=["campaigns"])


class ProgressOut(Schema):
    total: int
    done: int
    overdue: int
    due_soon: int
    share: float | None


class TargetOut(Schema):
    name: str
    metric: str
    goal: int
    reached: int


class CampaignOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    level: str
    starts: dt.date
    ends: dt.date
    phase: str
    lead_unit_id: uuid.UUID | None
    progress: ProgressOut
    targets: list[TargetOut]
    links: dict[str, int]


class CampaignQuery(Schema):
    phase: Literal["planned", "active", "ended", "closed"] | None = None


class ItemOut(Schema):
    id: uuid.UUID
    number: int
    task: str
    owner_unit_id: uuid.UUID
    owner_unit_name: str
    due: dt.date
    status: str
    flag: str
    done_on: dt.date | None
    evidence: str


class ItemQuery(Schema):
    status: Literal["open", "in_progress", "done", "overdue"] | None = None
    limit: int = Field(500, ge=1, le=2000)


def _progress(p: rules.Progress) -> dict[str, Any]:
    return {"total": p.total, "done": p.done, "overdue": p.overdue, "due_soon": p.due_soon,
            "share": p.share}  # fmt: skip


@router.get("/campaigns", response=list[CampaignOut], url_name="campaign_list")
def list_campaigns(request: HttpRequest, query: Query[CampaignQuery]) -> Any:
    """The campaigns in scope, most urgent first, with the progress of the items in scope."""
    rows = services.list_campaigns(
        caller(request), today=clock.today(settings.TIME_ZONE), phase=query.phase
    )
    return [
        {
            "id": r.campaign.pk,
            "code": r.campaign.code,
            "name": r.campaign.name,
            "level": r.campaign.level,
            "starts": r.campaign.starts,
            "ends": r.campaign.ends,
            "phase": r.phase,
            "lead_unit_id": r.campaign.lead_unit_id,
            "progress": _progress(r.progress),
            "targets": [
                {"name": t.name, "metric": t.metric, "goal": t.goal, "reached": t.reached}
                for t in r.targets
            ],
            "links": r.links,
        }
        for r in rows
    ]


@router.get("/campaigns/{campaign_id}/items", response=list[ItemOut], url_name="campaign_items")
def list_items(request: HttpRequest, campaign_id: uuid.UUID, query: Query[ItemQuery]) -> Any:
    """The campaign's checklist items in scope, by number."""
    d = services.campaign_detail(
        caller(request), campaign_id, today=clock.today(settings.TIME_ZONE), status=query.status
    )
    return [
        {
            "id": i.pk,
            "number": i.number,
            "task": i.task,
            "owner_unit_id": i.owner_unit_id,
            "owner_unit_name": i.owner_unit.name,
            "due": i.due,
            "status": i.status,
            "flag": f,
            "done_on": i.done_on,
            "evidence": i.evidence,
        }
        for i, f in d.items[: query.limit]
    ]
