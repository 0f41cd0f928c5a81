"""Cases and their timelines: the scoped case list, cases and persons recorded, the append-only
timeline and its corrections, the marks and locks of a findings recompute."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from precinct.common import bus
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from .. import rules
from ..models import PERSON_ROLE_LABELS, Case, CaseEvent, CasePerson

CASE_EVENT_RECORDED = "case_event_recorded"
CASE_CHANGED = "case_changed"  # flags or facts that choose the lawful limits changed


def scope_cases(scope: Scope) -> QuerySet[Case]:
    """The one scoping helper for cases: whole bureau, a unit subtree, or an officer's own cases."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return Case.objects.none()
    qs = Case.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        return qs.filter(unit__path__startswith=scope.unit_subtree)
    if scope.self_only and scope.officer_id is not None:
        return qs.filter(
            Q(lead_officer_id=scope.officer_id) | Q(assisting_officers=scope.officer_id)
        ).distinct()
    return qs.none()


def get_case(scope: Scope, case_id: uuid.UUID) -> Case:
    case = scope_cases(scope).select_related("unit", "lead_officer").filter(pk=case_id).first()
    if case is None:
        raise NotFound("case")
    return case


def case_by_number(bureau_id: uuid.UUID, number: str) -> Case | None:
    return Case.objects.filter(bureau_id=bureau_id, number=number).first()


@dataclass(frozen=True)
class CaseData:
    number: str
    kind: str
    unit_id: uuid.UUID
    title: str = ""
    lead_officer_id: uuid.UUID | None = None
    flags: Mapping[str, bool] | None = None


def upsert_case(*, bureau_id: uuid.UUID, data: CaseData) -> tuple[Case, bool]:
    """The case with this number, created if new; an existing case keeps its kind."""
    case = case_by_number(bureau_id, data.number)
    if case is not None:
        if case.kind != data.kind:
            raise ValidationFailed(
                [
                    FieldError(
                        "case.kind", _("the case exists as %(kind)s"), params={"kind": case.kind}
                    )
                ]
            )
        changed = False
        if data.flags is not None and dict(case.flags) != dict(data.flags):
            case.flags, changed = dict(data.flags), True
        if data.title and case.title != data.title:
            case.title, changed = data.title, True
        if changed:
            case.findings_due = True
            case.save()
            bus.publish(CASE_CHANGED, case_id=case.pk)
        return case, False
    case = Case.objects.create(
        bureau_id=bureau_id,
        number=data.number,
        kind=data.kind,
        unit_id=data.unit_id,
        title=data.title,
        lead_officer_id=data.lead_officer_id,
        flags=dict(data.flags or {}),
    )
    return case, True


def upsert_person(
    *, case: Case, key: str, name: str = "", role: str = "suspect", id_number: str = ""
) -> None:
    person = CasePerson.objects.filter(case=case, key=key).first()
    if person is None:
        CasePerson.objects.create(
            bureau_id=case.bureau_id, case=case, key=key, name=name, role=role, id_number=id_number
        )


def record_event(
    *,
    case: Case,
    content: rules.EventContent,
    recorded_by: str = "",
    corrects: uuid.UUID | None = None,
) -> CaseEvent | None:
    """Append an event; an event already on the timeline (same content) is not added again.
    Returns the new event, or None when it was a duplicate."""
    digest = content.digest(corrects)
    lock_case(case.pk)  # one writer per case at a time: seq and the duplicate check stay true
    facts = CaseEvent.objects.filter(case=case).aggregate(
        last=Max("seq"),
        same=Count("id", filter=Q(digest=digest)),
        target=Count("id", filter=Q(pk=corrects)) if corrects is not None else Max("seq"),
    )
    if facts["same"]:
        return None  # already on the timeline: importing twice changes nothing
    if corrects is not None and CaseEvent.objects.filter(case=case, corrects_id=corrects).exists():
        raise ValidationFailed(
            [FieldError("corrects", _("this event is corrected already: correct the correction"))]
        )
    if corrects is not None and not facts["target"]:
        raise ValidationFailed([FieldError("corrects", _("no such event on this case"))])
    seq = (facts["last"] or 0) + 1
    event = CaseEvent.objects.create(
        bureau_id=case.bureau_id,
        case=case,
        seq=seq,
        type=content.type,
        at=content.at,
        subject=content.subject or "",
        attrs=dict(content.attrs),
        corrects_id=corrects,
        digest=digest,
        recorded_by=recorded_by,
    )
    Case.objects.filter(pk=case.pk, findings_due=False).update(findings_due=True)
    bus.publish(CASE_EVENT_RECORDED, case_id=case.pk)
    return event


def lock_case_for_recompute(case_id: uuid.UUID) -> None:
    """Lock the case for its findings' recompute and clear its ``findings_due`` mark, in one
    statement (an UPDATE takes the row lock a SELECT FOR UPDATE would): every event committed
    before it is in the read that follows, and one committed after marks the case again. The
    caller owns the transaction; rolled back, the mark stays (ADR 0026)."""
    Case.objects.filter(pk=case_id).update(findings_due=False)


def mark_findings_due(case_ids: Iterable[uuid.UUID]) -> int:
    """Mark cases whose findings must be recomputed for a reason outside their timeline (a holiday
    schedule entered for a year): the next sweep, or ``catch_up``, recomputes them (ADR 0026).
    Returns how many were newly marked."""
    ids = list(case_ids)
    marked = 0
    for start in range(0, len(ids), 500):
        marked += Case.objects.filter(pk__in=ids[start : start + 500], findings_due=False).update(
            findings_due=True
        )
    return marked


def cases_with_findings_due(*, bureau_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Cases written to whose findings were never recomputed (the recompute died)."""
    qs = Case.objects.filter(findings_due=True)
    if bureau_id is not None:
        qs = qs.filter(bureau_id=bureau_id)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def event_by_content(
    case_id: uuid.UUID, content: rules.EventContent, corrects: uuid.UUID | None = None
) -> CaseEvent:
    """The event with this content on the case's timeline (``record_event`` returned None)."""
    return CaseEvent.objects.filter(case_id=case_id, digest=content.digest(corrects)).order_by(
        "seq"
    )[0]


def lock_case(case_id: uuid.UUID) -> None:
    """Serialise writers of one case (the caller owns the transaction)."""
    list(Case.objects.select_for_update().filter(pk=case_id).values_list("pk", flat=True))


def timeline(case_id: uuid.UUID, *, include_corrected: bool = False) -> list[rules.Recorded]:
    """The case's events in time order; by default without those a correction replaced."""
    recorded = [
        rules.Recorded(pk, seq, rules.EventContent(etype, at, subject or None, attrs), corrects)
        for pk, seq, etype, at, subject, attrs, corrects in CaseEvent.objects.filter(
            case_id=case_id
        )
        .order_by("at", "seq")
        .values_list("pk", "seq", "type", "at", "subject", "attrs", "corrects_id")
    ]
    return recorded if include_corrected else rules.in_force(recorded)


def event_rows(case_id: uuid.UUID) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case_id=case_id).order_by("at", "seq")


def persons(case_id: uuid.UUID, *, full_identity: bool) -> list[dict[str, Any]]:
    """The case's persons; names and identity numbers masked unless ``full_identity``."""
    return [
        {
            "key": p.key,
            "name": rules.shown_name(p.name, full_identity=full_identity),
            "role": p.role,
            "role_label": PERSON_ROLE_LABELS.get(p.role, p.role),
            "id_number": p.id_number
            if full_identity
            else rules.mask_identity_number(p.id_number)
            if p.id_number
            else "",
        }
        for p in CasePerson.objects.filter(case_id=case_id).order_by("key")
    ]


def person_names(
    case_ids: Iterable[uuid.UUID], *, full_identity: bool
) -> dict[tuple[uuid.UUID, str], str]:
    """(case id, subject key) -> the person's name (masked unless ``full_identity``), for the
    subjects of findings and events; persons without a name are left out."""
    ids = list(dict.fromkeys(case_ids))
    out: dict[tuple[uuid.UUID, str], str] = {}
    for start in range(0, len(ids), 500):
        rows = CasePerson.objects.filter(case_id__in=ids[start : start + 500]).exclude(name="")
        for case_id, key, name in rows.values_list("case_id", "key", "name"):
            out[(case_id, key)] = rules.shown_name(name, full_identity=full_identity)
    return out


def search_cases(scope: Scope, text: str) -> QuerySet[Case]:
    """The caller's cases (scoped as :func:`scope_cases`) whose number, a person's name or the
    unit's name contains ``text``; all of them for an empty text."""
    qs = scope_cases(scope)
    text = text.strip()
    if not text:
        return qs
    matching = CasePerson.objects.filter(name__icontains=text).values("case_id")
    return qs.filter(Q(number__icontains=text) | Q(unit__name__icontains=text) | Q(pk__in=matching))
