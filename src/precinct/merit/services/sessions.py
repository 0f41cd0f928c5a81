"""Merit 三一 sessions: each unit's monthly meeting recorded and checked off."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org

from .. import rules
from ..models import LedgerTransaction, MonthClose, MonthSession
from ..rules import Month
from ._common import ENTERERS, _require


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


def bulk_load_sessions(rows: Iterable[dict[str, Any]]) -> int:
    """Trusted bulk insert of month-session field dicts (the demo loader)."""
    made = MonthSession.objects.bulk_create([MonthSession(**r) for r in rows], batch_size=500)
    return len(made)
