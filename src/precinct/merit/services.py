"""Merit use cases: achievements entered and approved, the month scored and frozen, awards checked,
discipline recorded, warning proposals queued, bonuses paid through a double-entry ledger."""

import datetime as dt
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum

from precinct.common import bulk, bus, xlsx
from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.ids import uuid7
from precinct.core.scoping import Role, Scope
from precinct.org import services as org
from precinct.supervision import services as supervision

from . import rules
from .models import (
    Account,
    Achievement,
    AwardProposal,
    Discipline,
    Induction,
    LedgerEntry,
    LedgerTransaction,
    MonthClose,
    MonthSession,
    ScoringPolicy,
    WarningItem,
)
from .rules import Month

ENTERERS = frozenset({Role.UNIT_CHIEF, Role.POLITICAL_DEPT})
LINE_FIELDS = rules.Line._fields  # a snapshot stores each line as a list in this order
APPROVERS = frozenset({Role.POLITICAL_DEPT})
FUNDING = "funding"


# --- the warning queue (fed by supervision) -----------------------------------------------------
def _on_warning_proposed(proposal_id: uuid.UUID, **_payload: Any) -> None:
    proposal = supervision.take_warning_proposal(proposal_id)
    if proposal is None:
        return
    WarningItem.objects.get_or_create(
        proposal_id=proposal.pk,
        defaults={
            "bureau_id": proposal.bureau_id,
            "officer_id": proposal.officer_id,
            "reason": proposal.reason,
        },
    )


def connect() -> None:
    bus.subscribe(supervision.WARNING_PROPOSED, _on_warning_proposed)


def catch_up_warnings() -> int:
    """Queue any proposal a failed reaction left behind (run by the month close)."""
    n = 0
    for pk in list(supervision.warning_proposals().values_list("pk", flat=True)):
        with transaction.atomic():
            _on_warning_proposed(pk)
            n += 1
    return n


def warning_queue(scope: Scope) -> QuerySet[WarningItem]:
    return WarningItem.objects.filter(
        officer__in=org.scope_officers(scope), state="queued"
    ).select_related("officer")


def decide_warning(
    scope: Scope,
    item_id: uuid.UUID,
    *,
    measure: str | None,
    start: dt.date,
    days: int | None = None,
    note: str = "",
) -> WarningItem:
    """The political department turns a queued proposal into a measure, or dismisses it."""
    _require(scope, APPROVERS)
    item = (
        WarningItem.objects.select_for_update()
        .filter(pk=item_id, officer__in=org.scope_officers(scope))
        .first()
    )
    if item is None:
        raise NotFound()
    if item.state != "queued":
        raise ValidationFailed([FieldError("state", _("this item was decided already"))])
    if measure is None:
        item.state = "dismissed"
        item.save(update_fields=["state", "updated_at"])
        return item
    assert item.officer_id is not None
    item.decision = add_discipline(
        scope,
        officer_id=item.officer_id,
        measure=measure,
        start=start,
        days=days,
        reason=note or item.reason,
        source=f"warning_proposal:{item.proposal_id}",
    )
    item.state = "decided"
    item.save(update_fields=["state", "decision", "updated_at"])
    return item


# --- discipline ---------------------------------------------------------------------------------
def add_discipline(
    scope: Scope,
    *,
    officer_id: uuid.UUID,
    measure: str,
    start: dt.date,
    reason: str,
    days: int | None = None,
    source: str = "",
) -> Discipline:
    _require(scope, APPROVERS)
    officer = org.get_officer(scope, officer_id)
    if measure not in set(rules.Measure):
        raise ValidationFailed([FieldError("measure", _("unknown measure"))])
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", _("give the reason"))])
    end = rules.measure_end(measure, start, days)
    return Discipline.objects.create(
        bureau_id=officer.bureau_id,
        officer_id=officer.pk,
        measure=measure,
        start=start,
        end=end,
        days=days,
        reason=reason.strip(),
        source=source,
        decided_by=_who(scope),
    )


def blocking_measure(officer_id: uuid.UUID, on: dt.date) -> Discipline | None:
    """A sanction, suspension or investigation in force on the day (blocks awards, promotion)."""
    return (
        Discipline.objects.filter(
            officer_id=officer_id, measure__in=[str(m) for m in rules.BLOCKING], start__lte=on
        )
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .order_by("start")
        .first()
    )


# --- achievements -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AchievementData:
    officer_id: uuid.UUID
    kind: str
    occurred_on: dt.date
    quantity: int = 1
    role: str = ""
    evidence: str = ""
    note: str = ""


def record_achievement(scope: Scope, data: AchievementData, *, today: dt.date) -> Achievement:
    """A unit enters an achievement for one of its officers; the political department approves."""
    _require(scope, ENTERERS)
    officer = org.get_officer(scope, data.officer_id)
    errors = []
    if data.kind not in set(rules.Kind):
        errors.append(FieldError("kind", _("unknown achievement kind")))
    if data.occurred_on > today:
        errors.append(FieldError("occurred_on", _("cannot be in the future")))
    if not 1 <= data.quantity <= 1000:
        errors.append(FieldError("quantity", _("between 1 and 1000")))
    if data.kind == rules.Kind.CASE_SOLVED and data.role not in set(rules.CaseRole):
        errors.append(FieldError("role", _("lead or assist")))
    if data.kind == rules.Kind.CASE_SOLVED and not data.evidence.strip():
        errors.append(FieldError("evidence", _("name the case")))
    if MonthClose.objects.filter(
        bureau_id=officer.bureau_id, month=str(Month.of(data.occurred_on))
    ).exists():
        errors.append(FieldError("occurred_on", _("that month is closed")))
    if errors:
        raise ValidationFailed(errors)
    if officer.current_unit_id is None:
        raise ValidationFailed([FieldError("officer", _("the officer has no current unit"))])
    return Achievement.objects.create(
        bureau_id=officer.bureau_id,
        officer_id=officer.pk,
        unit_id=officer.current_unit_id,
        kind=data.kind,
        month=str(Month.of(data.occurred_on)),
        occurred_on=data.occurred_on,
        quantity=data.quantity,
        role=data.role if data.kind == rules.Kind.CASE_SOLVED else "",
        evidence=data.evidence.strip()[:80],
        note=data.note.strip()[:200],
        entered_by=_who(scope),
    )


def decide_achievements(scope: Scope, ids: Iterable[uuid.UUID], *, approve: bool) -> int:
    _require(scope, APPROVERS)
    rows = (
        Achievement.objects.select_for_update()
        .filter(pk__in=list(ids), state="submitted", officer__in=org.scope_officers(scope))
        .exclude(month__in=MonthClose.objects.filter(bureau=scope.bureau_id).values("month"))
    )
    n = 0
    for a in rows:
        a.state = "approved" if approve else "rejected"
        a.decided_by = _who(scope)
        a.save(update_fields=["state", "decided_by", "updated_at"])
        n += 1
    return n


def scope_achievements(scope: Scope) -> QuerySet[Achievement]:
    return Achievement.objects.filter(officer__in=org.scope_officers(scope))


# --- the policy ---------------------------------------------------------------------------------
def policy_for(bureau_id: uuid.UUID, month: Month) -> rules.Policy:
    """The policy version in force on the month's first day (the default one if none stored)."""
    row = (
        ScoringPolicy.objects.filter(bureau_id=bureau_id, valid_from__lte=month.first)
        .order_by("-valid_from", "-version")
        .first()
    )
    return rules.policy_from_json(row.data) if row else rules.default_policy()


def save_policy(scope: Scope, data: dict[str, Any], *, valid_from: dt.date) -> ScoringPolicy:
    """A new policy version (checked); earlier versions stay as they were for closed months."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    last = (
        ScoringPolicy.objects.filter(bureau_id=scope.bureau_id)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    version = (last or rules.default_policy().version) + 1
    checked = rules.policy_from_json({**data, "version": version})
    if MonthClose.objects.filter(
        bureau_id=scope.bureau_id, month__gte=str(Month.of(valid_from))
    ).exists():
        raise ValidationFailed([FieldError("valid_from", _("a month from then on is closed"))])
    return ScoringPolicy.objects.create(
        bureau_id=scope.bureau_id,
        version=version,
        valid_from=valid_from.replace(day=1),
        data=rules.policy_to_json(checked),
        created_by=_who(scope),
    )


def policy_versions(scope: Scope) -> QuerySet[ScoringPolicy]:
    """The stored versions, newest first (everyone who scores may read how they are scored)."""
    if not scope.reads_business_data or scope.bureau_id is None:
        raise PermissionDenied()
    return ScoringPolicy.objects.filter(bureau_id=scope.bureau_id).order_by("-version")


# --- scoring the month --------------------------------------------------------------------------
def _bounds(month: Month) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        dt.datetime.combine(month.first, dt.time(0), tzinfo=tz),
        dt.datetime.combine(month.next().first, dt.time(0), tzinfo=tz),
    )


def compute_month(bureau_id: uuid.UUID, month: Month) -> dict[str, Any]:
    """Every active officer's points, line items and stars for the month, as plain data: the
    snapshot a close freezes (no clock in it: the same records give the same snapshot)."""
    policy = policy_for(bureau_id, month)
    facts = org.officer_facts(bureau_id)
    items: dict[uuid.UUID, list[rules.ItemRow]] = {o.id: [] for o in facts}
    c = bulk.codec()
    by_raw = {c.uuid(o.id): items[o.id] for o in facts}
    text = c.key_text
    for officer_id, pk, kind, quantity, role, evidence in bulk.select(  # raw: 200,000 rows
        f"SELECT {c.select_id('officer_id')}, {c.select_id('id')}, kind, quantity, role, "  # noqa: S608
        f"evidence FROM "
        f"{bulk.quote(Achievement._meta.db_table)} a WHERE bureau_id = %s AND month = %s "
        f"AND state = %s ORDER BY a.id",
        [c.uuid(bureau_id), str(month), "approved"],
    ):
        found = by_raw.get(officer_id)
        if found is not None:
            found.append((kind, quantity, role, evidence, text(pk)))
    since, until = _bounds(month)
    for officer_id, points in supervision.problem_points(
        bureau_id, since=since, until=until
    ).items():
        for ticket_id, rule, case_id in points:
            if officer_id in items:
                items[officer_id].append(
                    rules.Item(
                        rules.Deduction.PROBLEM_POINT,
                        1,
                        "",
                        f"{rule} case:{case_id}",
                        f"ticket:{ticket_id}",
                    )
                )
    for d in (
        Discipline.objects.filter(bureau_id=bureau_id, start__lte=month.last)
        .filter(Q(end__isnull=True) | Q(end__gte=month.first))
        .order_by("pk")
    ):
        if d.officer_id not in items:
            continue
        if d.measure in {str(m) for m in rules.BLOCKING}:
            items[d.officer_id].append(
                rules.Item(rules.Deduction.SANCTION, 1, "", d.measure, f"discipline:{d.pk}")
            )
        elif month.first <= d.start <= month.last:
            items[d.officer_id].append(
                rules.Item(rules.Deduction.WARNING, 1, "", d.measure, f"discipline:{d.pk}")
            )
    scores = [
        rules.score(
            policy,
            officer=str(o.id),
            unit=str(o.unit_id),
            post_type=o.post_type,
            items=items[o.id],
        )
        for o in facts
        if o.unit_id is not None
    ]
    order = {str(o.id): o.police_number for o in facts}
    ranked = rules.award_stars(policy, scores, order)
    return {
        "month": str(month),
        "line_fields": list(LINE_FIELDS),
        "policy": rules.policy_to_json(policy),
        "officers": [
            {
                "officer": s.officer,
                "number": order[s.officer],
                "unit": s.unit,
                "post_type": s.post_type,
                "points": s.points,
                "stars": s.stars,
                "capped_from": s.capped_from,
                "lines": s.lines,  # tuples in LINE_FIELDS order: JSON arrays when stored
            }
            for s in ranked
        ],
    }


def close_month(bureau_id: uuid.UUID, month: Month, *, by: str, today: dt.date) -> MonthClose:
    """Freeze the month (once: closing again returns the same snapshot). A month can be closed
    from the day after its last day."""
    if today <= month.last:
        raise ValidationFailed(
            [FieldError("month", _("%(month)s is not over yet"), params={"month": str(month)})]
        )
    existing = MonthClose.objects.filter(bureau_id=bureau_id, month=str(month)).first()
    if existing:
        return existing
    catch_up_warnings()
    data = compute_month(bureau_id, month)
    try:
        with transaction.atomic():
            return MonthClose.objects.create(
                bureau_id=bureau_id,
                month=str(month),
                policy_version=data["policy"]["version"],
                data=data,
                digest=rules.snapshot_digest(data),
                closed_by=by,
            )
    except IntegrityError:  # closed by someone else meanwhile: theirs stands
        return MonthClose.objects.get(bureau_id=bureau_id, month=str(month))


lines_of = rules.snapshot_lines  # a snapshot row's line items as dicts (pages, API, pack)


def month_results(scope: Scope, month: Month) -> dict[str, Any]:
    """The month as the caller may see it: frozen if closed, live otherwise; scoped to officers."""
    assert scope.bureau_id is not None
    closed = MonthClose.objects.filter(bureau_id=scope.bureau_id, month=str(month)).first()
    data = closed.data if closed else compute_month(scope.bureau_id, month)
    visible = {str(pk) for pk in org.scope_officers(scope).values_list("pk", flat=True)}
    return {
        **data,
        "closed": closed is not None,
        "digest": closed.digest if closed else "",
        "officers": [o for o in data["officers"] if o["officer"] in visible],
    }


# --- the 三一 month per unit ---------------------------------------------------------------------
@dataclass(frozen=True)
class SessionRow:
    unit_id: uuid.UUID
    unit_name: str
    session: MonthSession | None
    items: rules.ThreeOnes  # what is done, by the rule


def session_checklist(scope: Scope, month: Month) -> list[SessionRow]:
    """Per unit in scope: is the month's warning case chosen and published, are the star officers
    named (the month is closed), are their bonuses paid — with the meeting's record."""
    assert scope.bureau_id is not None
    units = [
        (pk, name)
        for pk, name, kind in org.scope_units(scope)
        .order_by("path")
        .values_list("pk", "name", "kind")
        if kind != "bureau"
    ]
    closed = MonthClose.objects.filter(bureau_id=scope.bureau_id, month=str(month)).first()
    stars: dict[str, list[str]] = {}
    if closed:
        for o in closed.data["officers"]:
            if o["stars"] >= 1:
                stars.setdefault(o["unit"], []).append(o["officer"])
    paid_keys = set(
        LedgerTransaction.objects.filter(
            bureau_id=scope.bureau_id, key__startswith=f"star:{month}:"
        ).values_list("key", flat=True)
    )
    sessions = {
        s.unit_id: s
        for s in MonthSession.objects.filter(month=str(month), unit_id__in=[pk for pk, _n in units])
    }
    rows = []
    for pk, name in units:
        session, officers = sessions.get(pk), stars.get(str(pk), [])
        items = rules.ThreeOnes(
            warning_case=session.warning_case if session else "",
            warning_published=bool(session and session.warning_published),
            star_officers=len(officers),
            paid=sum(1 for o in officers if f"star:{month}:{o}" in paid_keys),
        )
        rows.append(SessionRow(pk, name, session, items))
    return rows


def record_session(
    scope: Scope,
    *,
    unit_id: uuid.UUID,
    month: Month,
    warning_case: str = "",
    warning_published: bool = False,
    theme: str = "",
    held_on: dt.date | None = None,
    attendance: int | None = None,
    minutes: str = "",
) -> MonthSession:
    """A unit records its month's meeting: the warning case and whether it was published, the
    theme, the day, attendance and minutes."""
    _require(scope, ENTERERS)
    if not org.scope_units(scope).filter(pk=unit_id).exists():
        raise NotFound()
    errors = []
    if warning_published and not warning_case.strip():
        errors.append(FieldError("warning_case", _("name the warning case before publishing it")))
    if held_on is not None and not month.first <= held_on <= month.next().last:
        errors.append(FieldError("held_on", _("in the month or the month after")))
    if attendance is not None and not 0 <= attendance <= 2000:
        errors.append(FieldError("attendance", _("between 0 and 2000")))
    if errors:
        raise ValidationFailed(errors)
    assert scope.bureau_id is not None
    session, _created = MonthSession.objects.update_or_create(
        unit_id=unit_id,
        month=str(month),
        defaults={
            "bureau_id": scope.bureau_id,
            "warning_case": warning_case.strip()[:200],
            "warning_published": warning_published,
            "theme": theme.strip()[:200],
            "held_on": held_on,
            "attendance": attendance,
            "minutes": minutes.strip()[:20_000],
        },
    )
    return session


# --- the monthly session pack -------------------------------------------------------------------
PACK_READERS = frozenset({Role.LEADERSHIP, Role.POLITICAL_DEPT, Role.UNIT_CHIEF})


@dataclass(frozen=True)
class PackOfficer:
    rank: int
    number: str
    name: str
    unit: str
    post_type: str
    points: int
    stars: int
    bonus_fen: int


@dataclass(frozen=True)
class PackUnit:
    name: str
    officers: int
    star_officers: list[str]  # names, best first
    bonus_fen: int
    theme: str
    warning_case: str
    warning_published: bool
    held_on: dt.date | None
    attendance: int | None
    done: bool


@dataclass(frozen=True)
class PackAward:
    name: str
    unit: str
    level: str
    deed: str
    state: str
    bonus_fen: int


@dataclass(frozen=True)
class PackWarning:
    name: str
    unit: str
    measure: str
    start: dt.date
    end: dt.date | None
    reason: str


@dataclass(frozen=True)
class Pack:
    """What the month's 三一 session reads: the ranking, the star officers by unit, the rewards,
    the warnings and each unit's theme — as the caller may see them."""

    month: Month
    bureau: str
    closed: bool
    digest: str
    policy_version: int
    officers: list[PackOfficer]
    star_counts: list[int]  # officers with 0 … 5 stars
    units: list[PackUnit]
    awards: list[PackAward]
    warnings: list[PackWarning]
    bonus_fen: int


def session_pack(scope: Scope, month: Month) -> Pack:
    """The data of the monthly session pack (the Excel and PDF are drawn from it)."""
    _require(scope, PACK_READERS)
    assert scope.bureau_id is not None
    results = month_results(scope, month)
    people = {
        str(pk): (number, name, unit or "")
        for pk, number, name, unit in org.scope_officers(scope).values_list(
            "pk", "police_number", "name", "current_unit__name"
        )
    }
    unit_names = {str(pk): name for pk, name in org.scope_units(scope).values_list("pk", "name")}
    of_month = LedgerTransaction.objects.filter(
        bureau=scope.bureau_id, entries__account__code=f"budget:{month}"
    )
    paid = {
        str(officer): total
        for officer, total in ledger_lines(scope)
        .filter(txn__in=of_month)
        .order_by()
        .values("account__officer_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("account__officer_id", "total")
    }
    officers = []
    by_unit: dict[str, list[PackOfficer]] = {}  # by unit id: unit names repeat across stations
    for rank, o in enumerate(results["officers"], start=1):
        number, name, _unit = people.get(o["officer"], (o["number"], "", ""))
        officer = PackOfficer(
            rank, number, name, unit_names.get(o["unit"], ""), o["post_type"],
            o["points"], o["stars"], paid.get(o["officer"], 0),
        )  # fmt: skip
        officers.append(officer)
        by_unit.setdefault(o["unit"], []).append(officer)
    units = []
    for row in session_checklist(scope, month):
        members = by_unit.get(str(row.unit_id), [])
        s = row.session
        units.append(
            PackUnit(
                row.unit_name,
                len(members),
                [m.name or m.number for m in members if m.stars],
                sum(m.bonus_fen for m in members),
                s.theme if s else "",
                row.items.warning_case,
                row.items.warning_published,
                s.held_on if s else None,
                s.attendance if s else None,
                row.items.done,
            )
        )
    visible = org.scope_officers(scope)
    awards = [
        PackAward(
            a.officer.name,
            a.officer.current_unit.name if a.officer.current_unit else "",
            a.level,
            a.deed,
            a.state,
            a.bonus_fen,
        )
        for a in AwardProposal.objects.filter(
            officer__in=visible,
            decided_on__gte=month.first,
            decided_on__lte=month.last,
            state__in=["approved", "forwarded"],
        )
        .select_related("officer__current_unit")
        .order_by("level", "officer__police_number")
    ]
    warnings = [
        PackWarning(
            d.officer.name,
            d.officer.current_unit.name if d.officer.current_unit else "",
            d.measure,
            d.start,
            d.end,
            d.reason,
        )
        for d in Discipline.objects.filter(
            officer__in=visible, start__gte=month.first, start__lte=month.last
        )
        .select_related("officer__current_unit")
        .order_by("start", "officer__police_number")
    ]
    bureau = org.bureau_choices(scope.bureau_id).values_list("name", flat=True).first()
    return Pack(
        month=month,
        bureau=bureau or "",
        closed=results["closed"],
        digest=results["digest"],
        policy_version=results["policy"]["version"],
        officers=officers,
        star_counts=[sum(1 for o in officers if o.stars == n) for n in range(6)],
        units=units,
        awards=awards,
        warnings=warnings,
        bonus_fen=sum(o.bonus_fen for o in officers),
    )


# --- promotion ranking ----------------------------------------------------------------------------
PROMOTION_READERS = frozenset({Role.LEADERSHIP, Role.POLITICAL_DEPT, Role.UNIT_CHIEF})


@dataclass(frozen=True)
class PromotionRow:
    score: rules.PromotionScore
    officer_id: str
    number: str
    name: str
    unit: str
    post_type: str
    age: int
    band: str


@dataclass(frozen=True)
class PromotionRanking:
    months: list[Month]  # the window, oldest first
    closed: list[str]  # the months of the window that are closed (the others count nothing)
    on: dt.date  # the day eligibility is judged
    rows: list[PromotionRow]


def promotion_ranking(
    scope: Scope,
    month: Month,
    *,
    today: dt.date,
    unit: str = "",
    post_type: str = "",
    band: str = "",
    weights: rules.PromotionWeights | None = None,
) -> PromotionRanking:
    """The twelve months up to ``month`` ranked for promotion among the officers the caller may
    see (filtered by unit name, post type and age band; ranks are within what is shown): stars of
    the closed months, awards decided, warnings and sanctions, supervision problem points, each
    line explained. A sanction in force ``today`` makes an officer ineligible."""
    _require(scope, PROMOTION_READERS)
    assert scope.bureau_id is not None
    if band and band not in rules.AGE_BANDS:
        raise ValidationFailed([FieldError("band", _("unknown age band"))])
    w = weights or rules.PromotionWeights()
    window = [month.minus(k) for k in range(rules.PROMOTION_MONTHS - 1, -1, -1)]
    since, until = window[0].first, window[-1].last
    visible = dict(
        org.scope_officers(scope).filter(status="active").values_list("pk", "current_unit__name")
    )
    facts = [f for f in org.officer_facts(scope.bureau_id) if f.id in visible]
    labels = {f.id: (visible[f.id] or "", rules.age_on(f.birth_date, today)) for f in facts}
    facts = [
        f
        for f in facts
        if (not unit or labels[f.id][0] == unit)
        and (not post_type or f.post_type == post_type)
        and (not band or rules.age_band(labels[f.id][1]) == band)
    ]
    wanted = {str(f.id) for f in facts}
    stars: dict[str, list[tuple[str, int]]] = {k: [] for k in wanted}
    points: dict[str, int] = dict.fromkeys(wanted, 0)
    kind_at = LINE_FIELDS.index("kind")
    closed = []
    for m, data in (
        MonthClose.objects.filter(bureau_id=scope.bureau_id, month__in=[str(m) for m in window])
        .order_by("month")
        .values_list("month", "data")
    ):
        closed.append(m)
        for o in data["officers"]:
            if o["officer"] in wanted:
                stars[o["officer"]].append((m, o["stars"]))
                points[o["officer"]] += sum(
                    1 for ln in o["lines"] if ln[kind_at] == rules.Deduction.PROBLEM_POINT
                )
    awards: dict[str, list[tuple[str, str]]] = {k: [] for k in wanted}
    for officer, level, pk in AwardProposal.objects.filter(
        bureau_id=scope.bureau_id,
        officer_id__in=[f.id for f in facts],
        state__in=["approved", "forwarded"],
        decided_on__gte=since,
        decided_on__lte=until,
    ).values_list("officer_id", "level", "pk"):
        awards[str(officer)].append((level, f"award:{pk}"))
    measures: dict[str, list[tuple[str, str, bool]]] = {k: [] for k in wanted}
    in_force_today = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gte=today))
    for officer, measure, pk, start, end in (
        Discipline.objects.filter(bureau_id=scope.bureau_id, officer_id__in=[f.id for f in facts])
        .filter(
            Q(start__gte=since, start__lte=until)
            | (Q(measure__in=[str(m) for m in rules.BLOCKING]) & in_force_today)
        )
        .order_by("start", "pk")
        .values_list("officer_id", "measure", "pk", "start", "end")
    ):
        now_in_force = start <= today and (end is None or end >= today)
        measures[str(officer)].append((measure, f"discipline:{pk}", now_in_force))
    records = [
        rules.PromotionRecord(
            str(f.id),
            f.police_number,
            stars[str(f.id)],
            points[str(f.id)],
            awards[str(f.id)],
            measures[str(f.id)],
        )
        for f in facts
    ]
    by_id = {str(f.id): f for f in facts}
    rows = []
    for sc in rules.rank_for_promotion(records, w):
        f = by_id[sc.officer]
        unit_name, age = labels[f.id]
        rows.append(
            PromotionRow(
                sc,
                sc.officer,
                f.police_number,
                f.name,
                unit_name,
                f.post_type,
                age,
                rules.age_band(age),
            )
        )
    return PromotionRanking(window, closed, today, rows)


# --- new officers (传帮带) -------------------------------------------------------------------------
@dataclass(frozen=True)
class RecruitRow:
    officer_id: uuid.UUID
    number: str
    name: str
    unit: str
    hired: dt.date
    induction: Induction | None

    @property
    def waiting_for(self) -> list[str]:
        """What the recruit still waits for: "meeting", "mentor" (empty: both done)."""
        i = self.induction
        return [
            part
            for part, done in (("meeting", i and i.met_on), ("mentor", i and i.mentor_id))
            if not done
        ]


def recruits(scope: Scope, *, today: dt.date, waiting_only: bool = False) -> list[RecruitRow]:
    """Officers hired in the last RECRUIT_MONTHS months (or with an induction on record), newest
    first, with their leader meeting and mentor; ``waiting_only``: those still missing either."""
    _require(scope, ENTERERS | {Role.LEADERSHIP})
    assert scope.bureau_id is not None
    since = rules.add_months(today, -rules.RECRUIT_MONTHS)
    on_record = Induction.objects.filter(bureau_id=scope.bureau_id).values("officer_id")
    officers = (
        org.scope_officers(scope)
        .filter(status="active")
        .filter(Q(hire_date__gte=since) | Q(pk__in=on_record))
        .order_by("-hire_date", "police_number")
        .values_list("pk", "police_number", "name", "current_unit__name", "hire_date")
    )
    inductions = {
        i.officer_id: i
        for i in Induction.objects.filter(officer_id__in=[o[0] for o in officers]).select_related(
            "leader", "mentor"
        )
    }
    rows = [
        RecruitRow(pk, n, name, u or "", h, inductions.get(pk)) for pk, n, name, u, h in officers
    ]
    return [r for r in rows if r.waiting_for] if waiting_only else rows


@transaction.atomic  # it locks what it decides: a transaction of its own if the caller has none
def record_induction(
    scope: Scope,
    officer_id: uuid.UUID,
    *,
    today: dt.date,
    leader_number: str = "",
    met_on: dt.date | None = None,
    meeting_note: str = "",
    mentor_number: str = "",
    mentor_from: dt.date | None = None,
    mentor_note: str = "",
) -> Induction:
    """Record a recruit's leader meeting, mentor pairing, or both (named by police number).
    A part once recorded is replaced only by recording it again."""
    _require(scope, ENTERERS)
    recruit = org.get_officer(scope, officer_id)
    assert scope.bureau_id is not None
    induction, _created = Induction.objects.select_for_update().get_or_create(
        officer_id=recruit.pk, defaults={"bureau_id": recruit.bureau_id}
    )
    numbers = org.officer_ids_by_number(
        scope.bureau_id, [leader_number.strip(), mentor_number.strip()]
    )
    in_scope = set(
        org.scope_officers(scope)
        .filter(police_number=mentor_number.strip())
        .values_list("pk", flat=True)
    )
    recorded = {
        "leader": (induction.leader_id, induction.met_on),
        "mentor": (induction.mentor_id, induction.mentor_from),
    }
    errors: list[FieldError] = []
    parts: dict[str, Any] = {}
    for part, date_field, number, on, note in (
        ("leader", "met_on", leader_number.strip(), met_on, meeting_note),
        ("mentor", "mentor_from", mentor_number.strip(), mentor_from, mentor_note),
    ):
        if not number and on is None:
            continue
        if not number:
            errors.append(FieldError(part, _("give the police number")))
            continue
        if on is None:
            errors.append(FieldError(date_field, _("give the date")))
            continue
        partner_id = numbers.get(number)
        if part == "mentor" and partner_id not in in_scope:
            partner_id = None  # a mentor comes from the officers the caller may see
        if partner_id is None:
            errors.append(FieldError(part, _("no officer %(number)s"), params={"number": number}))
            continue
        if recorded[part] == (partner_id, on):  # as recorded: only the note may change
            parts[part] = (partner_id, on, note.strip()[:500])
            continue
        partner = org.officer_in_bureau(scope.bureau_id, partner_id)
        block = blocking_measure(partner_id, on) if part == "mentor" else None
        found = rules.check_induction_step(
            field_name=part,
            date_field=date_field,
            on=on,
            today=today,
            hired=recruit.hire_date,
            recruit=str(recruit.pk),
            partner=str(partner_id),
            partner_hired=partner.hire_date if part == "mentor" else None,
            partner_blocked_by=block.get_measure_display() if block else None,
        )
        if part == "mentor" and partner.status != "active":
            found.append(FieldError(part, _("a mentor is an active officer")))
        errors += found
        parts[part] = (partner_id, on, note.strip()[:500])
    if not parts and not errors:
        errors.append(FieldError("leader", _("record the meeting, the mentor, or both")))
    if errors:
        raise ValidationFailed(errors)  # the transaction (and a new empty record) rolls back
    if "leader" in parts:
        induction.leader_id, induction.met_on, induction.meeting_note = parts["leader"]
    if "mentor" in parts:
        induction.mentor_id, induction.mentor_from, induction.mentor_note = parts["mentor"]
    induction.recorded_by = _who(scope)
    induction.save()
    return induction


# --- awards -------------------------------------------------------------------------------------
def propose_award(
    scope: Scope,
    *,
    officer_id: uuid.UUID,
    level: str,
    deed: str,
    notice_start: dt.date | None = None,
    notice_end: dt.date | None = None,
) -> AwardProposal:
    _require(scope, ENTERERS)
    officer = org.get_officer(scope, officer_id)
    if level not in set(rules.AwardLevel):
        raise ValidationFailed([FieldError("level", _("unknown award level"))])
    if notice_start and notice_end and notice_end < notice_start:
        raise ValidationFailed([FieldError("notice_end", _("ends before it starts"))])
    return AwardProposal.objects.create(
        bureau_id=officer.bureau_id,
        officer_id=officer.pk,
        level=level,
        deed=deed.strip()[:200],
        notice_start=notice_start,
        notice_end=notice_end,
        bonus_fen=rules.STATUTORY_BONUS_FEN[rules.AwardLevel(level)],
    )


def award_checks(award: AwardProposal, today: dt.date) -> tuple[list[FieldError], int | None]:
    """What stands in the way of approving ``award`` today, and its public notice in working
    days (None: no notice recorded)."""
    prior = [
        rules.PriorAward(level, deed, on or today)
        for level, deed, on in AwardProposal.objects.filter(
            officer_id=award.officer_id, state__in=["approved", "forwarded"]
        )
        .exclude(pk=award.pk)
        .values_list("level", "deed", "decided_on")
    ]
    block = blocking_measure(award.officer_id, today)
    notice_days = (
        supervision.working_days_between(award.notice_start, min(award.notice_end, today))
        if award.notice_start and award.notice_end
        else None
    )
    errors = rules.check_award(
        level=award.level,
        deed=award.deed,
        today=today,
        prior=prior,
        blocked_by=block.get_measure_display() if block else None,
        notice_working_days=notice_days,
    )
    return errors, notice_days


def awards(scope: Scope, *, state: str = "") -> QuerySet[AwardProposal]:
    """Award proposals of the officers the caller may see, newest first."""
    _require(scope, ENTERERS | {Role.LEADERSHIP})
    qs = AwardProposal.objects.filter(officer__in=org.scope_officers(scope))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("officer__current_unit").order_by("-created_at")


@dataclass(frozen=True)
class Dossier:
    """An award proposal with the officer's record, as the province (or the city's committee)
    reads it."""

    award: AwardProposal
    officer: Any
    unit: str
    checks: list[FieldError]
    notice_working_days: int | None
    stars: list[tuple[str, int, float]]  # (month, stars, points) of the closed months of a year
    prior: list[AwardProposal]
    measures: list[Discipline]
    today: dt.date


def award_dossier(scope: Scope, award_id: uuid.UUID, *, today: dt.date) -> Dossier:
    _require(scope, ENTERERS | {Role.LEADERSHIP})
    award = (
        AwardProposal.objects.filter(pk=award_id, officer__in=org.scope_officers(scope))
        .select_related("officer__current_unit")
        .first()
    )
    if award is None:
        raise NotFound()
    checks, notice = award_checks(award, today)
    window = {str(Month.of(today).minus(k)) for k in range(1, rules.PROMOTION_MONTHS + 1)}
    key = str(award.officer_id)
    stars = []
    for month, data in (
        MonthClose.objects.filter(bureau_id=award.bureau_id, month__in=window)
        .order_by("month")
        .values_list("month", "data")
    ):
        row = next((o for o in data["officers"] if o["officer"] == key), None)
        if row:
            stars.append((month, row["stars"], row["points"]))
    return Dossier(
        award=award,
        officer=award.officer,
        unit=award.officer.current_unit.name if award.officer.current_unit else "",
        checks=checks,
        notice_working_days=notice,
        stars=stars,
        prior=list(
            AwardProposal.objects.filter(
                officer_id=award.officer_id, state__in=["approved", "forwarded"]
            )
            .exclude(pk=award.pk)
            .order_by("-decided_on")
        ),
        measures=list(Discipline.objects.filter(officer_id=award.officer_id).order_by("-start")),
        today=today,
    )


@transaction.atomic  # it locks what it decides: a transaction of its own if the caller has none
def decide_award(
    scope: Scope, award_id: uuid.UUID, *, approve: bool, today: dt.date
) -> AwardProposal:
    """Approve (嘉奖 and 三等功: the city; above: forwarded to the province with a dossier) after
    the rules' checks, paying the statutory bonus from the month's budget; or reject."""
    _require(scope, APPROVERS)
    award = (
        AwardProposal.objects.select_for_update()
        .filter(pk=award_id, officer__in=org.scope_officers(scope))
        .first()
    )
    if award is None:
        raise NotFound()
    if award.state != "proposed":
        raise ValidationFailed([FieldError("state", _("this proposal was decided already"))])
    if not approve:
        award.state, award.decided_by, award.decided_on = "rejected", _who(scope), today
        award.save(update_fields=["state", "decided_by", "decided_on", "updated_at"])
        return award
    errors, _notice = award_checks(award, today)
    if errors:
        raise ValidationFailed(errors)
    city = rules.AwardLevel(award.level) in rules.CITY_APPROVES
    award.state = "approved" if city else "forwarded"
    award.decided_by, award.decided_on = _who(scope), today
    award.save(update_fields=["state", "decided_by", "decided_on", "updated_at"])
    if city:
        pay(
            award.bureau_id,
            key=f"award:{award.pk}",
            memo=f"{award.get_level_display()}: {award.deed}"[:200],
            officer_id=award.officer_id,
            amount_fen=award.bonus_fen,
            month=Month.of(today),
            by=_who(scope),
        )
    return award


# --- the ledger ---------------------------------------------------------------------------------
def _account(bureau_id: uuid.UUID, code: str, kind: str, officer_id: Any = None) -> Account:
    account, _created = Account.objects.get_or_create(
        bureau_id=bureau_id, code=code, defaults={"kind": kind, "officer_id": officer_id}
    )
    return account


def balance(account: Account) -> int:
    return int(account.entries.aggregate(s=Sum("amount_fen"))["s"] or 0)


def _post(
    bureau_id: uuid.UUID,
    *,
    key: str,
    memo: str,
    entries: list[tuple[Account, int]],
    by: str,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    errors = rules.check_amounts([a for _acc, a in entries])
    if errors:
        raise ValidationFailed(errors)
    txn = LedgerTransaction.objects.create(
        bureau_id=bureau_id, key=key, memo=memo, created_by=by, reverses=reverses
    )
    for acc, amount in entries:  # one by one: each entry is in the audit log
        LedgerEntry.objects.create(bureau_id=bureau_id, txn=txn, account=acc, amount_fen=amount)
    for acc, _amount in entries:
        if acc.kind != "funding" and balance(acc) < 0:
            raise ValidationFailed(
                [
                    FieldError(
                        "amount",
                        _("not enough in %(account)s: the payout would make it negative"),
                        params={"account": acc.code},
                    )
                ]
            )
    return txn


def fund_month(
    bureau_id: uuid.UUID, month: Month, *, amount_fen: int, by: str
) -> LedgerTransaction:
    """Put money into the month's bonus budget (its cap)."""
    with transaction.atomic():
        budget = _locked(bureau_id, f"budget:{month}", "budget")
        funding = _account(bureau_id, FUNDING, "funding")
        n = LedgerTransaction.objects.filter(
            bureau_id=bureau_id, key__startswith=f"fund:{month}:"
        ).count()
        return _post(
            bureau_id,
            key=f"fund:{month}:{n + 1}",
            memo=f"bonus budget {month}",
            entries=[(funding, -amount_fen), (budget, amount_fen)],
            by=by,
        )


def _locked(bureau_id: uuid.UUID, code: str, kind: str, officer_id: Any = None) -> Account:
    _account(bureau_id, code, kind, officer_id)
    return Account.objects.select_for_update().get(bureau_id=bureau_id, code=code)


def pay(
    bureau_id: uuid.UUID,
    *,
    key: str,
    memo: str,
    officer_id: uuid.UUID,
    amount_fen: int,
    month: Month,
    by: str,
) -> tuple[LedgerTransaction, bool]:
    """Pay an officer from the month's budget, once per ``key`` (a second call returns the first
    payment, False). The budget is locked while it is checked: concurrent payouts cannot both
    spend the same money, and it never goes negative."""
    existing = LedgerTransaction.objects.filter(bureau_id=bureau_id, key=key).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            budget = _locked(bureau_id, f"budget:{month}", "budget")
            payee = _account(bureau_id, f"officer:{officer_id}", "officer", officer_id)
            return (
                _post(
                    bureau_id,
                    key=key,
                    memo=memo,
                    entries=[(budget, -amount_fen), (payee, amount_fen)],
                    by=by,
                ),
                True,
            )
    except IntegrityError:  # the same key paid concurrently: that payment stands
        return LedgerTransaction.objects.get(bureau_id=bureau_id, key=key), False


def reverse(scope: Scope, txn_id: uuid.UUID, *, reason: str) -> LedgerTransaction:
    """Correct a transaction by its exact opposite; a transaction is reversed at most once."""
    _require(scope, APPROVERS)
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", _("give the reason"))])
    with transaction.atomic():
        txn = (
            LedgerTransaction.objects.select_for_update()
            .filter(pk=txn_id, bureau=scope.bureau_id)
            .first()
        )
        if txn is None:
            raise NotFound()
        if txn.reverses_id is not None or LedgerTransaction.objects.filter(reverses=txn).exists():
            raise ValidationFailed([FieldError("txn", _("already reversed, or a reversal"))])
        entries = [(e.account, -e.amount_fen) for e in txn.entries.select_related("account")]
        for acc, _amount in entries:
            Account.objects.select_for_update().filter(pk=acc.pk).first()
        return _post(
            txn.bureau_id,
            key=f"reversal:{txn.pk}",
            memo=f"reversal: {reason.strip()}"[:200],
            entries=entries,
            by=_who(scope),
            reverses=txn,
        )


def pay_month(bureau_id: uuid.UUID, month: Month, *, by: str) -> tuple[int, int]:
    """Pay the closed month's star and solved-case bonuses; all or nothing, each at most once.
    Returns (payments made now, fen paid now)."""
    closed = MonthClose.objects.filter(bureau_id=bureau_id, month=str(month)).first()
    if closed is None:
        raise ValidationFailed([FieldError("month", _("close the month first"))])
    made = paid = 0
    with transaction.atomic():
        for p in rules.payout_plan(closed.data, month):
            _txn, new = pay(
                bureau_id,
                key=p.key,
                memo=p.memo,
                officer_id=uuid.UUID(p.officer_id),
                amount_fen=p.amount_fen,
                month=month,
                by=by,
            )
            if new:
                made += 1
                paid += p.amount_fen
    return made, paid


def payout_status(scope: Scope, month: Month) -> rules.PayoutStatus | None:
    """What the closed month owes, what is paid and what its budget holds (None: not closed)."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    closed = MonthClose.objects.filter(bureau_id=scope.bureau_id, month=str(month)).first()
    if closed is None:
        return None
    plan = rules.payout_plan(closed.data, month)
    paid = set(
        LedgerTransaction.objects.filter(
            bureau_id=scope.bureau_id, key__in=[p.key for p in plan]
        ).values_list("key", flat=True)
    )
    budget = Account.objects.filter(bureau_id=scope.bureau_id, code=f"budget:{month}").first()
    return rules.payout_status(plan, paid, balance(budget) if budget else 0)


def pay_month_for(scope: Scope, month: Month) -> tuple[int, int]:
    """The political department pays the closed month's bonuses from the month page (a
    privileged action: re-authenticated by the access middleware)."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    return pay_month(scope.bureau_id, month, by=_who(scope))


def fund_month_for(scope: Scope, month: Month, *, amount_fen: int) -> LedgerTransaction:
    """The political department puts money into the month's bonus budget (privileged)."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    errors = rules.check_fund(amount_fen)
    if errors:
        raise ValidationFailed(errors)
    return fund_month(scope.bureau_id, month, amount_fen=amount_fen, by=_who(scope))


@dataclass(frozen=True)
class LedgerCheck:
    transactions: int
    unbalanced: list[str]
    negative: list[str]
    bad_reversals: list[str]

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.negative or self.bad_reversals)


def verify_ledger(bureau_id: uuid.UUID | None = None) -> LedgerCheck:
    txns = LedgerTransaction.objects.all()
    accounts = Account.objects.all()
    if bureau_id is not None:
        txns, accounts = txns.filter(bureau_id=bureau_id), accounts.filter(bureau_id=bureau_id)
    sums = dict(
        LedgerEntry.objects.filter(txn__in=txns)
        .values("txn_id")
        .annotate(s=Sum("amount_fen"))
        .values_list("txn_id", "s")
    )
    unbalanced = [str(k) for k, s in sums.items() if s != 0]
    unbalanced += [str(k) for k in txns.values_list("pk", flat=True) if k not in sums]
    balances = dict(
        LedgerEntry.objects.filter(account__in=accounts.exclude(kind="funding"))
        .values("account__code")
        .annotate(s=Sum("amount_fen"))
        .values_list("account__code", "s")
    )
    negative = sorted(code for code, s in balances.items() if s < 0)
    bad = []
    for rev in txns.filter(reverses__isnull=False).prefetch_related("entries", "reverses__entries"):
        assert rev.reverses is not None
        want = sorted((e.account_id, -e.amount_fen) for e in rev.reverses.entries.all())
        have = sorted((e.account_id, e.amount_fen) for e in rev.entries.all())
        if want != have:
            bad.append(str(rev.pk))
    return LedgerCheck(txns.count(), sorted(unbalanced), negative, bad)


def finance_export(scope: Scope, month: Month) -> bytes:
    """The bonus payable to officers from the month's budget, for finance: one row per entry
    (payouts and their reversals), amounts in yuan, a total per officer and a grand total."""
    _require(scope, APPROVERS | {Role.LEADERSHIP})
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"奖励金 {month}"
    ws.append(["警号", "姓名", "单位", "事项", "说明", "金额（元）", "记账时间"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    of_month = LedgerTransaction.objects.filter(
        bureau=scope.bureau_id, entries__account__code=f"budget:{month}"
    )  # paid from the month's budget (and the reversals of those payments)
    rows = (
        ledger_lines(scope)
        .filter(txn__in=of_month)
        .select_related("account__officer__current_unit")
    )
    totals: dict[str, int] = {}
    grand = 0
    for e in rows.iterator(chunk_size=2000):
        officer = e.account.officer
        assert officer is not None
        ws.append(
            xlsx.row(
                [
                    officer.police_number,
                    officer.name,
                    officer.current_unit.name if officer.current_unit else "",
                    e.txn.key,
                    e.txn.memo,
                    e.amount_fen / rules.FEN_PER_YUAN,
                    e.txn.created_at.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None),
                ]
            )
        )
        totals[officer.police_number] = totals.get(officer.police_number, 0) + e.amount_fen
        grand += e.amount_fen
    ws.append([])
    for number in sorted(totals):
        ws.append([number, "", "", "小计", "", totals[number] / rules.FEN_PER_YUAN, None])
    ws.append(["", "", "", "合计", "", grand / rules.FEN_PER_YUAN, None])
    for row in ws.iter_rows(min_row=2):
        row[5].number_format = "#,##0.00"
        row[6].number_format = "yyyy-mm-dd hh:mm"
    for col, width in zip("ABCDEFG", (10, 10, 16, 44, 30, 14, 18), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    xlsx.no_formulas(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ledger_lines(scope: Scope) -> QuerySet[LedgerEntry]:
    """Entries of officer accounts the caller may see (finance export, the officer's own)."""
    return (
        LedgerEntry.objects.filter(account__officer__in=org.scope_officers(scope))
        .select_related("txn", "account", "account__officer")
        .order_by("txn__created_at", "pk")
    )


# --- bulk (the demo loader, the benchmark) -------------------------------------------------------
_ACHIEVEMENT_COLUMNS = (
    "id", "created_at", "updated_at", "bureau_id", "officer_id", "unit_id", "kind", "month",
    "occurred_on", "quantity", "role", "evidence", "note", "state", "entered_by", "decided_by",
)  # fmt: skip


def bulk_load_achievements(rows: Iterable[dict[str, Any]], *, by: str) -> int:
    """Trusted bulk insert of achievement field dicts (``officer_id``, ``unit_id``, ``kind``,
    ``occurred_on``, ``quantity``, optional ``role``, ``evidence``, ``state``), straight to the
    driver; the caller records what it loaded in the audit log."""
    c = bulk.codec()
    stamp = c.datetime(clock.now())

    def raw() -> Iterable[tuple[Any, ...]]:
        for r in rows:
            yield (
                c.uuid(r.get("id") or uuid7()), stamp, stamp, c.uuid(r["bureau_id"]),
                c.uuid(r["officer_id"]), c.uuid(r["unit_id"]), r["kind"],
                str(Month.of(r["occurred_on"])), r["occurred_on"].isoformat(), r.get("quantity", 1),
                r.get("role", ""), r.get("evidence", ""), r.get("note", ""),
                r.get("state", "approved"), by, by if r.get("state", "approved") != "submitted" else "",
            )  # fmt: skip

    return bulk.insert(Achievement._meta.db_table, _ACHIEVEMENT_COLUMNS, raw())


def bulk_load_sessions(rows: Iterable[dict[str, Any]]) -> int:
    """Trusted bulk insert of month-session field dicts (the demo loader)."""
    made = MonthSession.objects.bulk_create([MonthSession(**r) for r in rows], batch_size=500)
    return len(made)


# --- helpers ------------------------------------------------------------------------------------
def _require(scope: Scope, roles: frozenset[Role]) -> None:
    if scope.role not in roles:
        raise PermissionDenied()


def _who(scope: Scope) -> str:
    return str(scope.user_id or "system")
