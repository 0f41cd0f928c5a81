"""Special-campaign use cases. Every query goes through ``scope_items`` / ``scope_campaigns``:
the bureau-wide roles see every campaign; a unit chief the items his units own (and the
campaigns they are in); an officer his unit's. The campaigns' managers are legal/supervision and
the bureau's leadership; an item's owner unit's chief ticks it off."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.db.models import Count, Max, QuerySet

from precinct.cases import services as cases
from precinct.command import services as command
from precinct.common import transactions
from precinct.core import capabilities as can
from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.merit import services as merit
from precinct.org import services as org

from . import rules
from .models import Campaign, CampaignLink, ChecklistItem, Target

MANAGERS = can.CAMPAIGN_MANAGERS
METRIC_OF_KIND = {"case": "cases", "incident": "incidents", "achievement": "achievements"}


def is_manager(scope: Scope) -> bool:
    return scope.role in MANAGERS


def _require_manager(scope: Scope) -> None:
    if not is_manager(scope):
        raise PermissionDenied("only the campaigns' managers may do this")


# --- scoping ---------------------------------------------------------------------------------
def _by_unit(scope: Scope, qs: QuerySet[Any], unit: str) -> QuerySet[Any]:
    """``qs`` (of the caller's bureau) cut to the caller: all of it for the bureau-wide roles,
    the rows whose ``unit`` is in a unit chief's subtree, an officer's own unit's."""
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        return qs.filter(**{f"{unit}__path__startswith": scope.unit_subtree})
    if scope.self_only and scope.unit_id is not None:
        return qs.filter(**{f"{unit}_id": scope.unit_id})
    return qs.none()


def scope_items(scope: Scope) -> QuerySet[ChecklistItem]:
    """The one scoping helper for checklist items (by their owner unit)."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return ChecklistItem.objects.none()
    return _by_unit(scope, ChecklistItem.objects.filter(bureau_id=scope.bureau_id), "owner_unit")


def scope_campaigns(scope: Scope) -> QuerySet[Campaign]:
    """Every campaign for the bureau-wide roles; for the others, those with items in scope."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return Campaign.objects.none()
    qs = Campaign.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    return qs.filter(pk__in=scope_items(scope).values("campaign_id"))


def _facts(items: Iterable[ChecklistItem]) -> list[rules.ItemFacts]:
    return [rules.ItemFacts(i.status, i.due, i.owner_unit_id, i.done_on) for i in items]


# --- reading ---------------------------------------------------------------------------------
@dataclass
class TargetRow:
    id: uuid.UUID
    name: str
    metric: str
    goal: int
    reached: int

    @property
    def share(self) -> float:
        return rules.target_share(self.reached, self.goal)


@dataclass
class CampaignRow:
    campaign: Campaign
    phase: str
    progress: rules.Progress
    targets: list[TargetRow] = field(default_factory=list)
    links: dict[str, int] = field(default_factory=dict)  # kind -> how many (in scope)


def _link_counts(scope: Scope, campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    out: dict[uuid.UUID, dict[str, int]] = {c: {} for c in campaign_ids}
    for cid, kind, n in (
        _scope_links(scope)
        .filter(campaign_id__in=campaign_ids)
        .values_list("campaign_id", "kind")
        .annotate(n=Count("id"))
    ):
        out[cid][kind] = n
    return out


def _scope_links(scope: Scope) -> QuerySet[CampaignLink]:
    """Links by the unit of the record linked."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return CampaignLink.objects.none()
    return _by_unit(scope, CampaignLink.objects.filter(bureau_id=scope.bureau_id), "unit")


def _targets(
    campaigns: list[Campaign], links: dict[uuid.UUID, dict[str, int]]
) -> dict[uuid.UUID, list[TargetRow]]:
    out: dict[uuid.UUID, list[TargetRow]] = {c.pk: [] for c in campaigns}
    kinds = {v: k for k, v in METRIC_OF_KIND.items()}
    for t in Target.objects.filter(campaign__in=campaigns).order_by("created_at"):
        reached = (
            t.manual_value if t.metric == "manual" else links[t.campaign_id].get(kinds[t.metric], 0)
        )
        out[t.campaign_id].append(TargetRow(t.pk, t.name, t.metric, t.goal, reached))
    return out


def list_campaigns(scope: Scope, *, today: dt.date, phase: str | None = None) -> list[CampaignRow]:
    """The campaigns in scope with the progress of the items in scope, their targets and links."""
    campaigns = list(scope_campaigns(scope).select_related("lead_unit"))
    items: dict[uuid.UUID, list[rules.ItemFacts]] = {c.pk: [] for c in campaigns}
    for cid, status, due, owner, done_on in scope_items(scope).values_list(
        "campaign_id", "status", "due", "owner_unit_id", "done_on"
    ):
        if cid in items:
            items[cid].append(rules.ItemFacts(status, due, owner, done_on))
    links = _link_counts(scope, [c.pk for c in campaigns])
    targets = _targets(campaigns, links)
    rows = [
        CampaignRow(
            c,
            rules.phase(c.starts, c.ends, c.closed_at is not None, today),
            rules.progress(items[c.pk], today),
            targets[c.pk],
            links[c.pk],
        )
        for c in campaigns
    ]
    if phase:
        rows = [r for r in rows if r.phase == phase]
    order = {"active": 0, "ended": 1, "planned": 2, "closed": 3}
    rows.sort(key=lambda r: (order[r.phase], r.campaign.ends, r.campaign.code))
    return rows


def get_campaign(scope: Scope, campaign_id: uuid.UUID) -> Campaign:
    found = scope_campaigns(scope).select_related("lead_unit").filter(pk=campaign_id).first()
    if found is None:
        raise NotFound("campaign")
    return found


@dataclass
class UnitRow:
    unit_id: uuid.UUID
    name: str
    progress: rules.Progress


@dataclass
class Detail:
    row: CampaignRow
    items: list[tuple[ChecklistItem, str]]  # item, flag
    by_unit: list[UnitRow]
    links: list[CampaignLink]


def campaign_detail(
    scope: Scope, campaign_id: uuid.UUID, *, today: dt.date, status: str | None = None,
    unit_id: uuid.UUID | None = None,
) -> Detail:  # fmt: skip
    campaign = get_campaign(scope, campaign_id)
    all_items = list(
        scope_items(scope).filter(campaign=campaign).select_related("owner_unit").order_by("number")
    )
    facts = _facts(all_items)
    links = _link_counts(scope, [campaign.pk])
    row = CampaignRow(
        campaign, rules.phase(campaign.starts, campaign.ends, campaign.closed_at is not None, today),
        rules.progress(facts, today), _targets([campaign], links)[campaign.pk], links[campaign.pk],
    )  # fmt: skip
    names = {i.owner_unit_id: i.owner_unit.name for i in all_items}
    by_unit = sorted(
        (UnitRow(u, names[u], p) for u, p in rules.progress_by_owner(facts, today).items()),
        key=lambda r: (-(r.progress.overdue), r.progress.share or 0, r.name),
    )
    shown = [(i, rules.item_flag(f, today)) for i, f in zip(all_items, facts, strict=True)]
    if status == "overdue":
        shown = [(i, f) for i, f in shown if f == "overdue"]
    elif status in rules.ITEM_STATES:
        shown = [(i, f) for i, f in shown if i.status == status]
    if unit_id is not None:
        shown = [(i, f) for i, f in shown if i.owner_unit_id == unit_id]
    return Detail(
        row, shown, by_unit,
        list(_scope_links(scope).filter(campaign=campaign).order_by("kind", "label")[:500]),
    )  # fmt: skip


def compare_units(
    scope: Scope, *, today: dt.date, campaign_id: uuid.UUID | None = None
) -> list[UnitRow]:
    """Every owner unit in scope over the items of the campaigns under way (or of one campaign):
    the most overdue first, then the least done."""
    qs = scope_items(scope).select_related("owner_unit")
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    else:
        qs = qs.filter(campaign__closed_at__isnull=True, campaign__starts__lte=today)
    items = list(qs)
    names = {i.owner_unit_id: i.owner_unit.name for i in items}
    rows = [
        UnitRow(u, names[u], p) for u, p in rules.progress_by_owner(_facts(items), today).items()
    ]
    rows.sort(key=lambda r: (-r.progress.overdue, r.progress.share or 0, r.name))
    return rows


def my_items(scope: Scope, *, today: dt.date, limit: int = 20) -> list[tuple[ChecklistItem, str]]:
    """The caller's unfinished items, overdue and due soon first: what the home page flags to
    an item's owners."""
    if scope.whole_bureau and not is_manager(scope):
        return []
    qs = (
        scope_items(scope)
        .exclude(status=rules.DONE)
        .filter(
            campaign__closed_at__isnull=True,
            due__lte=today + dt.timedelta(days=rules.DUE_SOON_DAYS),
        )
        .select_related("campaign", "owner_unit")
        .order_by("due", "campaign__code", "number")[:limit]
    )
    return [
        (i, rules.item_flag(rules.ItemFacts(i.status, i.due, i.owner_unit_id), today)) for i in qs
    ]


def overdue_by_owner(bureau_id: uuid.UUID, *, today: dt.date) -> dict[str, list[ChecklistItem]]:
    """The overdue items of the campaigns not closed, by owner unit name (the daily reminder)."""
    out: dict[str, list[ChecklistItem]] = {}
    for item in (
        ChecklistItem.objects.filter(
            bureau_id=bureau_id, due__lt=today, campaign__closed_at__isnull=True
        )
        .exclude(status=rules.DONE)
        .select_related("campaign", "owner_unit")
        .order_by("owner_unit__path", "due")
    ):
        out.setdefault(item.owner_unit.name, []).append(item)
    return out


# --- writing ---------------------------------------------------------------------------------
def _open_campaign(scope: Scope, campaign_id: uuid.UUID) -> Campaign:
    """The campaign in scope, locked, refused once closed: its checklist, targets and links no
    longer change."""
    campaign = Campaign.objects.select_for_update().get(pk=get_campaign(scope, campaign_id).pk)
    if campaign.closed_at is not None:
        raise ValidationFailed([FieldError("campaign", _("the campaign is closed"))])
    return campaign


def create_campaign(scope: Scope, data: dict[str, Any], *, by: str) -> Campaign:
    _require_manager(scope)
    assert scope.bureau_id is not None
    bureau_id = scope.bureau_id
    clean = rules.check_campaign(data)
    if Campaign.objects.filter(bureau_id=scope.bureau_id, code=clean["code"]).exists():
        raise ValidationFailed([FieldError("code", _("is taken by another campaign"))])
    lead = data.get("lead_unit_id")
    if lead is not None and not org.scope_units(scope).filter(pk=lead).exists():
        raise ValidationFailed([FieldError("lead_unit", _("no such unit"))])
    try:
        return transactions.savepoint(  # two managers creating the same code at once
            lambda: Campaign.objects.create(
                bureau_id=bureau_id, lead_unit_id=lead, created_by=by, **clean
            )
        )
    except IntegrityError as exc:
        raise ValidationFailed([FieldError("code", _("is taken by another campaign"))]) from exc


def close_campaign(scope: Scope, campaign_id: uuid.UUID) -> Campaign:
    _require_manager(scope)
    campaign = get_campaign(scope, campaign_id)
    if campaign.closed_at is None:
        campaign.closed_at = clock.now()
        campaign.save(update_fields=["closed_at", "updated_at"])
    return campaign


def add_items(
    scope: Scope, campaign_id: uuid.UUID, rows: list[tuple[str, uuid.UUID | None, dt.date | None]]
) -> list[ChecklistItem]:
    """Items (task, owner unit, due) added at once, or none: every problem named by its row."""
    _require_manager(scope)
    campaign = _open_campaign(scope, campaign_id)
    units = set(
        org.scope_units(scope)
        .filter(pk__in=[u for _t, u, _d in rows if u is not None])
        .values_list("pk", flat=True)
    )
    errors: list[FieldError] = []
    for n, (task, unit, due) in enumerate(rows, start=1):
        errors += rules.check_item(task, due, starts=campaign.starts, ends=campaign.ends, row=n)
        if unit is None or unit not in units:
            errors.append(FieldError("owner_unit", _("no such unit"), n))
    if errors:
        raise ValidationFailed(errors)
    last = ChecklistItem.objects.filter(campaign=campaign).aggregate(m=Max("number"))["m"] or 0
    made = []
    for n, (task, unit, due) in enumerate(rows, start=1):
        assert due is not None and unit is not None
        made.append(
            ChecklistItem.objects.create(
                bureau_id=campaign.bureau_id,
                campaign=campaign,
                number=last + n,
                task=task.strip(),
                owner_unit_id=unit,
                due=due,
            )
        )
    return made


def move_item(
    scope: Scope, item_id: uuid.UUID, *, status: str, evidence: str = "", reason: str = "",
    by: str, today: dt.date,
) -> ChecklistItem:  # fmt: skip
    """Tick an item off (with its evidence), start it, or take it back. The owner unit's chief
    (or a manager) moves it; only a manager reopens a done item."""
    if scope.role not in can.CAMPAIGN_TICKERS:
        raise PermissionDenied("only the item's owner unit or the campaign's managers")
    item = scope_items(scope).select_for_update(of=("self",)).filter(pk=item_id).first()
    if item is None:
        raise NotFound("checklist item")
    if item.campaign.closed_at is not None:
        raise ValidationFailed([FieldError("status", _("the campaign is closed"))])
    errors = rules.check_move(
        item.status, status, evidence=evidence, reason=reason, manager=is_manager(scope)
    )
    if errors:
        raise ValidationFailed(errors)
    if status == rules.DONE:
        item.evidence, item.done_on, item.done_by = evidence.strip(), today, by
    elif item.status == rules.DONE:
        item.reopen_reason, item.done_on, item.done_by = reason.strip()[:500], None, ""
    item.status = status
    item.save()
    return item


def add_target(
    scope: Scope, campaign_id: uuid.UUID, *, name: str, metric: str, goal: int
) -> Target:
    _require_manager(scope)
    campaign = _open_campaign(scope, campaign_id)
    errors = rules.check_target(name, metric, goal)
    if errors:
        raise ValidationFailed(errors)
    return Target.objects.create(
        bureau_id=campaign.bureau_id, campaign=campaign, name=name.strip(), metric=metric,
        goal=goal,
    )  # fmt: skip


def set_target_value(scope: Scope, target_id: uuid.UUID, *, value: int) -> Target:
    _require_manager(scope)
    target = Target.objects.filter(pk=target_id, campaign__in=scope_campaigns(scope)).first()
    if target is None:
        raise NotFound("target")
    _open_campaign(scope, target.campaign_id)
    if target.metric != "manual":
        raise ValidationFailed([FieldError("value", _("this target is counted from the links"))])
    if not 0 <= value <= rules.MAX_TARGET:
        raise ValidationFailed(
            [FieldError("value", _("a whole number from 0 to %(n)s"), None,
                        {"n": rules.MAX_TARGET})]
        )  # fmt: skip
    target.manual_value = value
    target.save(update_fields=["manual_value", "updated_at"])
    return target


def _resolve(scope: Scope, kind: str, ref: str) -> tuple[uuid.UUID, str, uuid.UUID | None] | None:
    """A case or incident by its number, an achievement by its id, within the caller's scope."""
    ref = ref.strip()
    if kind == "case":
        case = cases.scope_cases(scope).filter(number=ref).first()
        return (
            (case.pk, f"{case.number} {case.title}".strip()[:120], case.unit_id) if case else None
        )
    if kind == "incident":
        inc = command.scope_incidents(scope).filter(number=ref).first()
        return (inc.pk, f"{inc.number} {inc.address}"[:120], inc.station_id) if inc else None
    if kind == "achievement":
        try:
            key = uuid.UUID(ref)
        except ValueError:
            return None
        a = merit.scope_achievements(scope).select_related("officer").filter(pk=key).first()
        if a is None:
            return None
        return a.pk, f"{a.officer.name} {a.get_kind_display()} {a.occurred_on}"[:120], a.unit_id
    return None


def link(scope: Scope, campaign_id: uuid.UUID, *, kind: str, ref: str, by: str) -> CampaignLink:
    """Record that a case, incident or achievement came of the campaign (once)."""
    if scope.role not in can.CAMPAIGN_LINKERS:
        raise PermissionDenied("only the campaign's managers and unit chiefs link records")
    campaign = _open_campaign(scope, campaign_id)
    if kind not in rules.LINK_KINDS:
        raise ValidationFailed(
            [FieldError("kind", _("must be one of %(choices)s"), None,
                        {"choices": ", ".join(rules.LINK_KINDS)})]
        )  # fmt: skip
    found = _resolve(scope, kind, ref)
    if found is None:
        raise ValidationFailed([FieldError("ref", _("no such record in your scope"))])
    object_id, label, unit = found
    made, _created = CampaignLink.objects.get_or_create(
        campaign=campaign, kind=kind, object_id=object_id,
        defaults={"bureau_id": campaign.bureau_id, "label": label, "unit_id": unit,
                  "created_by": by},
    )  # fmt: skip
    return made


# --- the demo and bulk loads -----------------------------------------------------------------
def bulk_load(
    bureau_id: uuid.UUID,
    campaigns: list[dict[str, Any]],
    *,
    by: str,
) -> tuple[int, int, int]:
    """Campaigns with their targets, items and links (the demo): {code, name, level, starts,
    ends, goal, lead_unit_id, closed?, targets: [{name, metric, goal, manual_value}], items: [{task,
    owner_unit_id, due, status, evidence, done_on}], links: [{kind, object_id, label,
    unit_id}]}. Returns (campaigns, items, links) written."""
    n_items = n_links = 0
    for c in campaigns:
        clean = rules.check_campaign(c)
        closed = (
            dt.datetime.combine(clean["ends"] + dt.timedelta(days=15), dt.time(10), tzinfo=dt.UTC)
            if c.get("closed")
            else None
        )
        campaign = Campaign.objects.create(
            bureau_id=bureau_id, lead_unit_id=c.get("lead_unit_id"), created_by=by,
            closed_at=closed, **clean,
        )  # fmt: skip
        Target.objects.bulk_create(
            Target(bureau_id=bureau_id, campaign=campaign, **t) for t in c.get("targets", [])
        )
        items = [
            ChecklistItem(
                bureau_id=bureau_id,
                campaign=campaign,
                number=n,
                done_by=by if i.get("status") == rules.DONE else "",
                **i,
            )
            for n, i in enumerate(c.get("items", []), start=1)
        ]
        ChecklistItem.objects.bulk_create(items)
        links = [
            CampaignLink(bureau_id=bureau_id, campaign=campaign, created_by=by, **link_row)
            for link_row in c.get("links", [])
        ]
        CampaignLink.objects.bulk_create(links, ignore_conflicts=True)
        n_items += len(items)
        n_links += len(links)
    return len(campaigns), n_items, n_links


def campaign_summary(scope: Scope, *, today: dt.date) -> dict[str, int]:
    """Counts for the home page: campaigns under way, items overdue, items done (in scope)."""
    rows = list_campaigns(scope, today=today, phase="active")
    return {
        "active": len(rows),
        "overdue": sum(r.progress.overdue for r in rows),
        "done": sum(r.progress.done for r in rows),
        "total": sum(r.progress.total for r in rows),
    }
