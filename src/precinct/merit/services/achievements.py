"""Merit achievements: entered by a unit or submitted by the officer himself, decided by the
political department, bulk-loaded; and the officer's own record (我的) as he reads it."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from precinct.common import bulk
from precinct.core import capabilities as can
from precinct.core import clock
from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.ids import uuid7
from precinct.core.scoping import Scope
from precinct.org import services as org

from .. import rules
from ..models import Achievement, AwardProposal, Discipline, Induction, LedgerEntry, MonthClose
from ..rules import Month
from ._common import APPROVERS, ENTERERS, _require, _who
from .ledger import ledger_lines
from .month import my_month

REASON_MAX = 200  # a rejection's reason, as the achievement stores it
EVIDENCE_MAX = 80  # a case number or a document's reference, as the achievement stores it


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
    """A unit enters an achievement for one of its officers; the political department approves.
    Never one of the caller's own (issue 18, V11): he submits his own from 我的, marked as his."""
    _require(scope, ENTERERS)
    if scope.officer_id is not None and data.officer_id == scope.officer_id:
        raise ValidationFailed(
            [
                FieldError(
                    "police_number",
                    _("you may not enter your own achievement: submit it from your own page"),
                )
            ]
        )
    return _create(scope, org.get_officer(scope, data.officer_id), data, today=today)


def submit_own_achievement(scope: Scope, data: AchievementData, *, today: dt.date) -> Achievement:
    """An officer submits an achievement of his own with its evidence; it waits for the political
    department's decision like one his unit entered. Never one of another officer's."""
    _require(scope, can.OWN_ACHIEVEMENT_SUBMITTERS)
    if scope.officer_id is None or data.officer_id != scope.officer_id:
        raise PermissionDenied("an officer submits only his own achievements")
    return _create(scope, org.get_officer(scope, scope.officer_id), data, today=today)


def _create(scope: Scope, officer: Any, data: AchievementData, *, today: dt.date) -> Achievement:
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
    if len(data.evidence.strip()) > EVIDENCE_MAX:
        errors.append(
            FieldError("evidence", _("at most %(n)s characters"), params={"n": EVIDENCE_MAX})
        )
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
        evidence=data.evidence.strip(),
        note=data.note.strip()[:200],
        entered_by=_who(scope),
    )


def decide_achievements(
    scope: Scope, ids: Iterable[uuid.UUID], *, approve: bool, reason: str = ""
) -> int:
    """Approve the achievements, or reject them for a reason (stored and shown with them: a
    rejection without one is refused)."""
    _require(scope, APPROVERS)
    ids = list(ids)
    if (
        scope.officer_id is not None
        and Achievement.objects.filter(pk__in=ids, officer_id=scope.officer_id).exists()
    ):
        raise ValidationFailed([FieldError("ids", _("you may not decide your own achievement"))])
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationFailed([FieldError("reason", _("say why the achievements are rejected"))])
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            [FieldError("reason", _("at most %(n)s characters"), params={"n": REASON_MAX})]
        )
    rows = (
        Achievement.objects.select_for_update()
        .filter(pk__in=ids, state="submitted", officer__in=org.scope_officers(scope))
        .exclude(month__in=MonthClose.objects.filter(bureau=scope.bureau_id).values("month"))
    )
    n = 0
    for a in rows:
        a.state = "approved" if approve else "rejected"
        a.decided_by = _who(scope)
        a.reason = "" if approve else reason
        a.save(update_fields=["state", "decided_by", "reason", "updated_at"])
        n += 1
    return n


def scope_achievements(scope: Scope) -> QuerySet[Achievement]:
    return Achievement.objects.filter(officer__in=org.scope_officers(scope))


# --- the officer's own record (我的) ------------------------------------------------------------
@dataclass(frozen=True)
class OwnRecord:
    """What the caller's own officer record holds: his achievements (newest first, with their
    decision), awards, bonus received from the ledger, warnings and sanctions, his own start (the
    leader he met, his mentor) and the recruits he mentors."""

    achievements: list[Achievement]
    awards: list[AwardProposal]
    bonus: list[LedgerEntry]
    measures: list[Discipline]
    induction: Induction | None
    mentees: list[Induction]

    @property
    def bonus_fen(self) -> int:
        return sum(e.amount_fen for e in self.bonus)


def own_record(scope: Scope, *, limit: int = 20) -> OwnRecord | None:
    """The caller's own record, or None when the caller is no officer of the bureau's business."""
    me, bureau = scope.officer_id, scope.bureau_id
    if me is None or bureau is None or not scope.reads_business_data:
        return None
    mine = {"bureau_id": bureau, "officer_id": me}
    return OwnRecord(
        achievements=list(
            scope_achievements(scope)
            .filter(officer_id=me)
            .order_by("-occurred_on", "-created_at")[:limit]
        ),
        awards=list(AwardProposal.objects.filter(**mine).order_by("-created_at")),
        bonus=list(ledger_lines(scope).filter(account__officer_id=me).reverse()),
        measures=list(Discipline.objects.filter(**mine).order_by("-start")),
        induction=Induction.objects.filter(**mine).select_related("leader", "mentor").first(),
        mentees=list(
            Induction.objects.filter(bureau_id=bureau, mentor_id=me)
            .select_related("officer")
            .order_by("-mentor_from")
        ),
    )


def own_months(scope: Scope, months: list[Month]) -> list[dict[str, Any] | None]:
    """The caller's line (``my_month``) in each month that was scored: closed, or holding
    achievements of the bureau; None for the others (before the bureau scored any month)."""
    assert scope.bureau_id is not None
    names = [str(m) for m in months]
    scored = set(
        MonthClose.objects.filter(bureau_id=scope.bureau_id, month__in=names).values_list(
            "month", flat=True
        )
    ) | set(
        Achievement.objects.filter(bureau_id=scope.bureau_id, month__in=names)
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    return [my_month(scope, m) if str(m) in scored else None for m in months]


# --- bulk (the demo loader, the benchmark) -------------------------------------------------------
_ACHIEVEMENT_COLUMNS = (
    "id", "created_at", "updated_at", "bureau_id", "officer_id", "unit_id", "kind", "month",
    "occurred_on", "quantity", "role", "evidence", "note", "state", "entered_by", "decided_by",
    "reason",
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
                r.get("reason", ""),
            )  # fmt: skip

    return bulk.insert(Achievement._meta.db_table, _ACHIEVEMENT_COLUMNS, raw())
