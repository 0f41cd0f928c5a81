"""Secondments (动态用警): plan, approve, return, stay, and the deployment summary."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from precinct.core import capabilities as can
from precinct.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role, Scope

from .. import rules
from ..models import Assignment, Officer, Secondment, Unit
from ._common import scope_officers, scope_units
from .officers import _in_force, _post, get_officer

# --- secondments (动态用警) ---------------------------------------------------------------
# The political department plans secondments and records what happens to them; the bureau's
# leadership approves them and decides requests to stay (a stay changes the establishment).
SECONDMENT_PLANNERS = can.DEPLOYMENT_PLANNERS
SECONDMENT_APPROVERS = can.DEPLOYMENT_APPROVERS
STAY_NOTE = "stayed after secondment"


def scope_secondments(scope: Scope) -> QuerySet[Secondment]:
    """The one scoping helper for secondments: the bureau-wide roles see the bureau's; a unit chief
    those from or to a unit of his subtree and those of the officers he sees; an officer his own."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return Secondment.objects.none()
    qs = Secondment.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        return qs.filter(
            Q(from_unit__path__startswith=scope.unit_subtree)
            | Q(to_unit__path__startswith=scope.unit_subtree)
            | Q(officer__in=scope_officers(scope).values("pk"))
        )
    if scope.self_only and scope.officer_id is not None:
        return qs.filter(officer_id=scope.officer_id)
    return qs.none()


def _require_role(scope: Scope, roles: frozenset[Role], what: str) -> None:
    if scope.role not in roles:
        raise PermissionDenied(f"this role may not {what}")


def _who(scope: Scope) -> str:
    return str(scope.user_id or "system")


@dataclass(frozen=True)
class SecondmentFilter:
    status: str = ""
    from_unit_id: uuid.UUID | None = None
    to_unit_id: uuid.UUID | None = None
    officer_id: uuid.UUID | None = None
    q: str = ""


def list_secondments(scope: Scope, flt: SecondmentFilter | None = None) -> QuerySet[Secondment]:
    flt = flt or SecondmentFilter()
    qs = scope_secondments(scope).select_related("officer", "from_unit", "to_unit")
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.from_unit_id:
        qs = qs.filter(from_unit_id=flt.from_unit_id)
    if flt.to_unit_id:
        qs = qs.filter(to_unit_id=flt.to_unit_id)
    if flt.officer_id:
        qs = qs.filter(officer_id=flt.officer_id)
    q = flt.q.strip()
    if q:
        qs = qs.filter(Q(officer__name__icontains=q) | Q(officer__police_number__startswith=q))
    return qs.order_by("-start", "officer__police_number", "pk")


def get_secondment(scope: Scope, secondment_id: uuid.UUID) -> Secondment:
    found = (
        scope_secondments(scope)
        .select_related("officer", "from_unit", "to_unit")
        .filter(pk=secondment_id)
        .first()
    )
    if found is None:
        raise NotFound("secondment")
    return found


def officer_secondments(scope: Scope, officer_id: uuid.UUID) -> list[Secondment]:
    """An officer's rotation history, oldest first (for those who may see the officer)."""
    officer = get_officer(scope, officer_id)
    return list(
        scope_secondments(scope)
        .filter(officer=officer)
        .select_related("from_unit", "to_unit")
        .order_by("start", "pk")
    )


def officer_by_number(scope: Scope, police_number: str) -> uuid.UUID | None:
    """The id of an officer the caller may see, by police number."""
    return (
        scope_officers(scope)
        .filter(police_number=police_number.strip())
        .values_list("pk", flat=True)
        .first()
    )


def _open_periods(officer: Officer, *, exclude: uuid.UUID | None = None) -> list[rules.Period]:
    qs = Secondment.objects.filter(officer=officer, status__in=rules.OPEN_SECONDMENTS)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return [rules.Period(a, b) for a, b in qs.values_list("start", "planned_end")]


def _draft(
    officer: Officer,
    from_unit: Unit,
    to_unit: Unit,
    *,
    start: dt.date,
    planned_end: dt.date,
    purpose: str,
) -> rules.SecondmentDraft:
    posted_unit, _position = _in_force(Assignment.objects.filter(officer=officer), start)
    return rules.SecondmentDraft(
        from_unit=from_unit.pk,
        from_kind=rules.UnitKind(from_unit.kind),
        to_kind=rules.UnitKind(to_unit.kind),
        start=start,
        planned_end=planned_end,
        purpose=purpose,
        posted_unit=posted_unit,
        officer_status=rules.OfficerStatus(officer.status),
    )


def plan_secondment(
    scope: Scope,
    *,
    officer_id: uuid.UUID,
    from_unit_id: uuid.UUID,
    to_unit_id: uuid.UUID,
    start: dt.date,
    planned_end: dt.date,
    purpose: str,
    today: dt.date,
) -> Secondment:
    """Plan a secondment (it counts once the leadership approves it)."""
    _require_role(scope, SECONDMENT_PLANNERS, "plan secondments")
    officer = scope_officers(scope).select_for_update().filter(pk=officer_id).first()
    units = {u.pk: u for u in scope_units(scope).filter(pk__in=[from_unit_id, to_unit_id])}
    from_unit, to_unit = units.get(from_unit_id), units.get(to_unit_id)
    errors = []
    if officer is None:
        errors.append(FieldError("officer", _("unknown officer, or outside your scope")))
    if from_unit is None:
        errors.append(FieldError("from_unit", _("unknown unit, or outside your scope")))
    if to_unit is None:
        errors.append(FieldError("to_unit", _("unknown unit, or outside your scope")))
    if errors:
        raise ValidationFailed(errors)
    assert officer is not None and from_unit is not None and to_unit is not None
    draft = _draft(
        officer, from_unit, to_unit, start=start, planned_end=planned_end, purpose=purpose
    )
    errors = rules.check_secondment(draft, _open_periods(officer), today=today)
    if errors:
        raise ValidationFailed(errors)
    return Secondment.objects.create(
        bureau_id=officer.bureau_id,
        officer=officer,
        from_unit=from_unit,
        to_unit=to_unit,
        start=start,
        planned_end=planned_end,
        purpose=purpose.strip(),
        status=rules.SecondmentStatus.PLANNED,
        planned_by=_who(scope),
    )


def _locked(scope: Scope, secondment_id: uuid.UUID) -> Secondment:
    """The secondment, in scope, its row locked for the change."""
    found = (
        scope_secondments(scope)
        .select_for_update()
        .select_related("officer", "from_unit", "to_unit")
        .filter(pk=secondment_id)
        .first()
    )
    if found is None:
        raise NotFound("secondment")
    return found


def _move(s: Secondment, target: rules.SecondmentStatus) -> None:
    errors = rules.check_move(rules.SecondmentStatus(s.status), target)
    if errors:
        raise ValidationFailed(errors)


def approve_secondment(
    scope: Scope, secondment_id: uuid.UUID, *, today: dt.date, now: dt.datetime
) -> Secondment:
    """Approve a planned secondment: it is checked again (the officer's posting or his other
    secondments may have changed since it was planned)."""
    _require_role(scope, SECONDMENT_APPROVERS, "approve secondments")
    s = _locked(scope, secondment_id)
    _move(s, rules.SecondmentStatus.ACTIVE)
    draft = _draft(
        s.officer,
        s.from_unit,
        s.to_unit,
        start=s.start,
        planned_end=s.planned_end,
        purpose=s.purpose,
    )
    errors = rules.check_secondment(draft, _open_periods(s.officer, exclude=s.pk), today=today)
    if errors:
        raise ValidationFailed(errors)
    s.status = rules.SecondmentStatus.ACTIVE
    s.approved_by, s.approved_at = _who(scope), now
    s.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return s


def cancel_secondment(scope: Scope, secondment_id: uuid.UUID, *, note: str = "") -> Secondment:
    _require_role(scope, SECONDMENT_PLANNERS, "cancel secondments")
    s = _locked(scope, secondment_id)
    _move(s, rules.SecondmentStatus.CANCELLED)
    s.status, s.end_note = rules.SecondmentStatus.CANCELLED, note.strip()[:200]
    s.save(update_fields=["status", "end_note", "updated_at"])
    return s


def record_return(
    scope: Scope, secondment_id: uuid.UUID, *, on: dt.date, note: str = "", today: dt.date
) -> Secondment:
    """The officer came back to headquarters on ``on`` (his posting there never ended)."""
    _require_role(scope, SECONDMENT_PLANNERS, "record returns")
    s = _locked(scope, secondment_id)
    _move(s, rules.SecondmentStatus.RETURNED)
    errors = rules.check_end(s.start, on, today)
    if errors:
        raise ValidationFailed(errors)
    s.status, s.ended_on, s.end_note = rules.SecondmentStatus.RETURNED, on, note.strip()[:200]
    s.save(update_fields=["status", "ended_on", "end_note", "updated_at"])
    return s


def request_stay(
    scope: Scope, secondment_id: uuid.UUID, *, on: dt.date, note: str, today: dt.date
) -> Secondment:
    """Record the officer's request to stay in the receiving unit, for the leadership to decide."""
    _require_role(scope, SECONDMENT_PLANNERS, "record requests to stay")
    s = _locked(scope, secondment_id)
    errors = []
    if s.status != rules.SecondmentStatus.ACTIVE:
        errors.append(FieldError("status", _("only an officer on secondment can ask to stay")))
    elif s.stay_requested and not s.stay_decision:
        errors.append(FieldError("status", _("a request to stay is already waiting")))
    if on > today:
        errors.append(FieldError("on", _("is in the future")))
    elif on < s.start:
        errors.append(
            FieldError("on", _("is before the start %(start)s"), params={"start": str(s.start)})
        )
    if not note.strip():
        errors.append(FieldError("note", _("is required")))
    if errors:
        raise ValidationFailed(errors)
    s.stay_requested, s.stay_requested_on, s.stay_note = True, on, note.strip()[:200]
    s.stay_decision, s.stay_decided_by, s.stay_decided_on = "", "", None
    s.save(
        update_fields=[
            "stay_requested",
            "stay_requested_on",
            "stay_note",
            "stay_decision",
            "stay_decided_by",
            "stay_decided_on",
            "updated_at",
        ]
    )
    return s


def decide_stay(
    scope: Scope,
    secondment_id: uuid.UUID,
    *,
    grant: bool,
    on: dt.date,
    position: str = "",
    today: dt.date,
) -> Secondment:
    """Decide a request to stay. Granted, the secondment ends as "stayed" on ``on`` and the officer
    is posted to the receiving unit from that day (the posting in headquarters closes then);
    refused, the secondment goes on."""
    _require_role(scope, SECONDMENT_APPROVERS, "decide requests to stay")
    s = _locked(scope, secondment_id)
    if s.status != rules.SecondmentStatus.ACTIVE or not s.stay_requested or s.stay_decision:
        raise ValidationFailed([FieldError("status", _("no request to stay is waiting"))])
    s.stay_decided_by, s.stay_decided_on = _who(scope), on
    fields = ["stay_decision", "stay_decided_by", "stay_decided_on", "updated_at"]
    if not grant:
        if on > today:
            raise ValidationFailed([FieldError("on", _("is in the future"))])
        s.stay_decision = rules.StayDecision.REFUSED
        s.save(update_fields=fields)
        return s
    _move(s, rules.SecondmentStatus.STAYED)
    errors = rules.check_end(s.start, on, today)
    if errors:
        raise ValidationFailed(errors)
    s.stay_decision, s.status, s.ended_on = rules.StayDecision.GRANTED, "stayed", on
    s.save(update_fields=[*fields, "status", "ended_on"])
    try:
        _post(s.officer, s.to_unit, position=position, start=on, note=STAY_NOTE, today=today)
    except ValidationFailed as exc:  # name the decision's own field
        raise ValidationFailed(
            [
                FieldError("on" if e.field == "start" else e.field, e.message, e.row, e.params)
                for e in exc.errors
            ]
        ) from exc
    return s


@dataclass(frozen=True)
class DepartmentShare:
    unit_id: uuid.UUID
    name: str
    hq_officers: int
    seconded: int
    share: float


@dataclass(frozen=True)
class DeploymentSummary:
    goal: float
    hq_officers: int
    seconded: int
    share: float
    short_of_goal: int
    by_department: list[DepartmentShare]
    what_if: list[uuid.UUID]  # the planned secondments counted as if approved


def secondment_goal() -> float:
    return float(settings.PRECINCT_SECONDMENT_GOAL)


def deployment_summary(
    scope: Scope, *, today: dt.date, what_if: Iterable[uuid.UUID] = ()
) -> DeploymentSummary:
    """The live share of headquarters officers (active, posted in a headquarters department) on a
    secondment in force on ``today``, overall and by department, within the caller's scope. With
    ``what_if``, those planned secondments count as if approved and begun."""
    departments = list(
        scope_units(scope).filter(kind=rules.UnitKind.DEPARTMENT).order_by("sort_order", "path")
    )
    hq: dict[uuid.UUID, list[uuid.UUID]] = {d.pk: [] for d in departments}
    officers = scope_officers(scope).filter(
        status=rules.OfficerStatus.ACTIVE, current_unit_id__in=list(hq)
    )
    for officer_id, unit_id in officers.values_list("pk", "current_unit_id"):
        hq[unit_id].append(officer_id)
    assumed = set(what_if)
    S = rules.SecondmentStatus
    rows = Secondment.objects.filter(officer__in=officers.values("pk")).filter(
        Q(status=S.ACTIVE, start__lte=today)
        | Q(status__in=[S.RETURNED, S.STAYED], start__lte=today, ended_on__gt=today)
        | Q(status=S.PLANNED, pk__in=list(assumed))
    )
    found = list(rows.values_list("pk", "officer_id", "status", "start", "ended_on"))
    spans = [rules.SecondmentSpan(pk, o, S(st), start, end) for pk, o, st, start, end in found]
    share = rules.seconded_share(hq, spans, today, what_if=assumed)
    names = {d.pk: d.name for d in departments}
    goal = secondment_goal()
    return DeploymentSummary(
        goal=goal,
        hq_officers=share.hq_officers,
        seconded=share.seconded,
        share=share.share,
        short_of_goal=rules.short_of_goal(share.hq_officers, share.seconded, goal),
        by_department=[
            DepartmentShare(r.unit, names[r.unit], r.hq_officers, r.seconded, r.share)
            for r in share.by_unit
        ],
        what_if=sorted(pk for pk, _o, st, _s, _e in found if st == S.PLANNED),
    )


def deployment_units(scope: Scope) -> tuple[list[Unit], list[Unit]]:
    """(headquarters departments, grassroots units) in scope: the two ends of a secondment."""
    units = list(scope_units(scope).order_by("path"))
    return (
        sorted(
            (u for u in units if u.kind in rules.SECONDED_FROM),
            key=lambda u: (u.sort_order, u.path),
        ),
        [u for u in units if u.kind in rules.SECONDED_TO],
    )


def bulk_load_secondments(*, bureau_id: uuid.UUID, rows: list[dict[str, Any]]) -> int:
    """Trusted bulk insert for the demo loader (which records one audit entry for the load)."""
    Secondment.objects.bulk_create(
        [Secondment(bureau_id=bureau_id, **r) for r in rows], batch_size=1000
    )
    return len(rows)
