"""Case use cases: the scoped case list, the append-only timeline, corrections."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from precinct.common import bus
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from . import rules
from .models import Case, CaseEvent, CasePerson

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
    bus.publish(CASE_EVENT_RECORDED, case_id=case.pk)
    return event


def event_id_by_content(
    case_id: uuid.UUID, content: rules.EventContent, corrects: uuid.UUID | None = None
) -> uuid.UUID | None:
    return (
        CaseEvent.objects.filter(case_id=case_id, digest=content.digest(corrects))
        .values_list("pk", flat=True)
        .first()
    )


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
    return [
        {
            "key": p.key,
            "name": p.name,
            "role": p.role,
            "id_number": p.id_number
            if full_identity
            else rules.mask_identity_number(p.id_number)
            if p.id_number
            else "",
        }
        for p in CasePerson.objects.filter(case_id=case_id).order_by("key")
    ]


def case_ids(*, bureau_id: uuid.UUID | None = None, batch: int = 2000) -> Any:
    """Every case id, in batches (for the sweep)."""
    qs = Case.objects.order_by("pk").values_list("pk", flat=True)
    if bureau_id is not None:
        qs = qs.filter(bureau_id=bureau_id)
    last = None
    while True:
        page = list((qs.filter(pk__gt=last) if last else qs)[:batch])
        if not page:
            return
        yield page
        last = page[-1]


def case_facts(
    case_id: uuid.UUID,
) -> tuple[str, str, Mapping[str, bool], uuid.UUID, uuid.UUID | None, uuid.UUID]:
    """(number, kind, flags, unit, lead officer, bureau) of a case, for supervision."""
    c = (
        Case.objects.filter(pk=case_id)
        .values_list("number", "kind", "flags", "unit_id", "lead_officer_id", "bureau_id")
        .get()
    )
    return c[0], c[1], c[2], c[3], c[4], c[5]


def case_count() -> int:
    return Case.objects.count()


def bulk_load(
    *, cases: list[dict[str, Any]], events: list[dict[str, Any]], batch_size: int = 2000
) -> None:
    """Trusted bulk insert for the demo loader: Case field dicts (with ``id``) and CaseEvent field
    dicts (with ``case_id``, ``seq``, ``type``, ``at``, ``subject``, ``attrs``). Digests are
    computed here; no events are published (the caller rebuilds findings in one pass)."""
    Case.objects.bulk_create([Case(**c) for c in cases], batch_size=batch_size)
    rows = []
    for e in events:
        content = rules.EventContent(
            e["type"], e["at"], e.get("subject") or None, e.get("attrs", {})
        )
        rows.append(CaseEvent(digest=content.digest(), **e))
    CaseEvent.objects.bulk_create(rows, batch_size=batch_size)


def all_timelines(*, bureau_id: uuid.UUID | None = None, chunk: int = 5000) -> Any:
    """(case id, number, kind, flags, unit id, lead officer id, bureau id, [Recorded]) for every
    case, streaming in case order: the full sweep's single pass over the events."""
    heads = Case.objects.order_by("pk").values_list(
        "pk", "number", "kind", "flags", "unit_id", "lead_officer_id", "bureau_id"
    )
    events = CaseEvent.objects.order_by("case_id", "at", "seq").values_list(
        "case_id", "pk", "seq", "type", "at", "subject", "attrs", "corrects_id"
    )
    if bureau_id is not None:
        heads, events = heads.filter(bureau_id=bureau_id), events.filter(bureau_id=bureau_id)
    event_iter = iter(events.iterator(chunk_size=chunk))
    pending = next(event_iter, None)
    for head in heads.iterator(chunk_size=chunk):
        recorded = []
        while pending is not None and pending[0] == head[0]:
            _cid, pk, seq, etype, at, subject, attrs, corrects = pending
            recorded.append(
                rules.Recorded(
                    pk, seq, rules.EventContent(etype, at, subject or None, attrs), corrects
                )
            )
            pending = next(event_iter, None)
        yield (*head, rules.in_force(recorded))
