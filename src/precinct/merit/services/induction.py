"""Merit induction of new officers (传帮带): recruits, their leader meeting and mentor."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from precinct.common import transactions
from precinct.core import capabilities as can
from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org

from .. import rules
from ..models import Induction
from ._common import ENTERERS, _require, _who
from .warnings import blocking_measure


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
    _require(scope, can.RECRUIT_READERS)
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


@transactions.inside  # it locks what it decides
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
