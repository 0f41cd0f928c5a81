"""Merit achievements: entered by a unit, decided by the political department, bulk-loaded."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from precinct.common import bulk
from precinct.core import clock
from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.ids import uuid7
from precinct.core.scoping import Scope
from precinct.org import services as org

from .. import rules
from ..models import Achievement, MonthClose
from ..rules import Month
from ._common import APPROVERS, ENTERERS, _require, _who

REASON_MAX = 200  # a rejection's reason, as the achievement stores it


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


def decide_achievements(
    scope: Scope, ids: Iterable[uuid.UUID], *, approve: bool, reason: str = ""
) -> int:
    """Approve the achievements, or reject them for a reason (stored and shown with them: a
    rejection without one is refused)."""
    _require(scope, APPROVERS)
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationFailed([FieldError("reason", _("say why the achievements are rejected"))])
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            [FieldError("reason", _("at most %(n)s characters"), params={"n": REASON_MAX})]
        )
    rows = (
        Achievement.objects.select_for_update()
        .filter(pk__in=list(ids), state="submitted", officer__in=org.scope_officers(scope))
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
