"""Case use cases: the scoped case list, the append-only timeline, corrections."""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet

from precinct.common import bulk, bus
from precinct.core import clock
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


def case_count(*, bureau_id: uuid.UUID | None = None) -> int:
    qs = Case.objects.all()
    return (qs if bureau_id is None else qs.filter(bureau_id=bureau_id)).count()


_CASE_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "bureau_id",
    "number",
    "kind",
    "title",
    "unit_id",
    "lead_officer_id",
    "flags",
    "campaign_tags",
)
_EVENT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "bureau_id",
    "case_id",
    "seq",
    "type",
    "at",
    "subject",
    "attrs",
    "corrects_id",
    "digest",
    "recorded_by",
)


def event_count() -> int:
    return CaseEvent.objects.count()


def bulk_load(
    *, cases: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]]
) -> tuple[int, int]:
    """Trusted bulk insert for the demo loader and the benchmarks: Case field dicts (with ``id``)
    and CaseEvent field dicts (with ``id``, ``case_id``, ``seq``, ``type``, ``at``, ``subject``,
    ``attrs``), straight to the driver (:mod:`precinct.common.bulk`). Digests are computed here; no
    events are published (the caller sweeps findings in one pass). Returns (cases, events)."""
    c = bulk.codec()
    stamp = c.datetime(clock.now())
    n_cases = bulk.insert(
        Case._meta.db_table,
        _CASE_COLUMNS,
        (
            (
                c.uuid(r["id"]),
                stamp,
                stamp,
                c.uuid(r["bureau_id"]),
                r["number"],
                r["kind"],
                r.get("title", ""),
                c.uuid(r["unit_id"]),
                c.uuid(r.get("lead_officer_id")),
                c.json(r.get("flags", {})),
                c.json(r.get("campaign_tags", [])),
            )
            for r in cases
        ),
    )

    def event_rows() -> Iterator[tuple[Any, ...]]:
        for e in events:
            subject = e.get("subject") or None
            attrs = e.get("attrs") or {}
            digest = rules.EventContent(e["type"], e["at"], subject, attrs).digest()
            yield (
                c.uuid(e["id"]),
                stamp,
                stamp,
                c.uuid(e["bureau_id"]),
                c.uuid(e["case_id"]),
                e["seq"],
                e["type"],
                c.datetime(e["at"]),
                subject or "",
                c.json(attrs),
                None,
                digest,
                e.get("recorded_by", ""),
            )

    return n_cases, bulk.insert(CaseEvent._meta.db_table, _EVENT_COLUMNS, event_rows())


@dataclass(frozen=True)
class CaseHead:
    """A case as the sweep reads it: raw ids (see :class:`precinct.common.bulk.Codec`)."""

    id: Any
    number: str
    kind: str
    flags: Mapping[str, bool]
    unit_id: Any
    lead_officer_id: Any
    bureau_id: Any
    version: tuple[Any, int]  # (updated_at, events recorded): changes with every write


# One event in force as the sweep reads it: (type, at (aware), subject or None, attrs, seq).
TimelineRow = tuple[str, Any, str | None, Mapping[str, Any], int]


def _timeline_row(
    etype: str, at: dt.datetime, subject: str | None, attrs: Mapping[str, Any], seq: int
) -> TimelineRow:
    return (etype, at, subject, attrs, seq)


def _corrected(event_t: str, span: str, params: list[Any], c: bulk.Codec) -> set[tuple[Any, int]]:
    """(raw case id, seq) of the events in ``span`` that a later event corrects (through the
    partial index of corrections: none read when there are none)."""
    where = span.replace("case_id", "k.case_id")
    return set(
        bulk.select(
            f"SELECT {c.select_id('e.case_id')}, e.seq FROM {event_t} k "  # noqa: S608
            f"JOIN {event_t} e ON e.id = k.corrects_id "
            f"WHERE k.corrects_id IS NOT NULL AND {where}",
            params,
        )
    )


def case_id_bounds(*, parts: int, bureau_id: uuid.UUID | None = None) -> list[Any]:
    """Raw case ids that cut the cases into ``parts`` ranges of about equal size, for sweeping in
    parallel: the last id of every range but the last."""
    qs = Case.objects.order_by("pk")
    if bureau_id is not None:
        qs = qs.filter(bureau_id=bureau_id)
    total = qs.count()
    c = bulk.codec()
    return [
        c.uuid(qs.values_list("pk", flat=True)[total * k // parts - 1])
        for k in range(1, parts)
        if 0 < total * k // parts < total
    ]


def timelines_page(
    *,
    after: Any = None,
    upto: Any = None,
    ids: list[Any] | None = None,
    limit: int = 2000,
    bureau_id: uuid.UUID | None = None,
    tz: dt.tzinfo = dt.UTC,
    row: Callable[[str, dt.datetime, str | None, Mapping[str, Any], int], Any] | None = None,
) -> list[tuple[CaseHead, list[Any]]]:
    """The next ``limit`` cases with raw id greater than ``after`` (and at most ``upto``), or the
    cases with the given raw ``ids``, each with its timeline in force (corrected events left out)
    in recorded order, event times in ``tz``: the sweep's read, three statements a page, values
    straight from the driver. Each event is ``row(type, at, subject, attrs, seq)`` (a
    :data:`TimelineRow` tuple by default), built once."""
    c = bulk.codec()
    case_t, event_t = bulk.quote(Case._meta.db_table), bulk.quote(CaseEvent._meta.db_table)
    where, params = ["1 = 1"], []
    if ids is not None:
        if not ids:
            return []
        where.append(f"{case_t}.id IN ({', '.join('%s' for _ in ids)})")
        params.extend(ids)
    if after is not None:
        where.append(f"{case_t}.id > %s")
        params.append(after)
    if upto is not None:
        where.append(f"{case_t}.id <= %s")
        params.append(upto)
    if bureau_id is not None:
        where.append(f"{case_t}.bureau_id = %s")
        params.append(c.uuid(bureau_id))
    heads = bulk.select(
        f"SELECT {c.select_id('id')}, number, kind, flags, {c.select_id('unit_id')}, "  # noqa: S608
        f"{c.select_id('lead_officer_id')}, {c.select_id('bureau_id')}, "
        f"{c.select_datetime('updated_at')} FROM {case_t} WHERE {' AND '.join(where)} "
        f"ORDER BY {case_t}.id LIMIT {int(limit)}",  # the column, not the text read back
        params,
    )
    if not heads:
        return []
    if ids is None:  # a key range: one index range scan
        span, span_params = "case_id >= %s AND case_id <= %s", [heads[0][0], heads[-1][0]]
    else:
        span_params = [h[0] for h in heads]
        span = f"case_id IN ({', '.join('%s' for _ in span_params)})"
    # Corrections are rare: which (case, seq) they set aside is read on its own, so the page's
    # main read carries no event ids.
    make = row or _timeline_row
    events: dict[Any, list[Any]] = {h[0]: [] for h in heads}
    get = events.get
    parse, read_json = dt.datetime.fromisoformat, c.read_json
    empty: Mapping[str, Any] = {}
    rows = bulk.select(
        f"SELECT {c.select_id('case_id')}, seq, type, {c.select_datetime('at')}, subject, "  # noqa: S608
        f"attrs FROM {event_t} WHERE {span}",
        span_params,
    )
    # After the events: a correction recorded in between then shows in the count of events (it is
    # not among the rows read), the case's version differs, and the sweep recomputes it alone.
    corrected = _corrected(event_t, span, span_params, c)
    recorded: dict[Any, int] = dict.fromkeys(events, 0)  # every event read, corrected or not
    for case_id, seq, etype, at, subject, attrs in rows:
        timeline = get(case_id)
        if timeline is None:  # another bureau's case inside the id range
            continue
        recorded[case_id] += 1
        if corrected and (case_id, seq) in corrected:
            continue
        timeline.append(
            make(
                etype,
                parse(at).astimezone(tz),
                subject or None,
                empty if attrs in ("{}", empty) else read_json(attrs),
                seq,
            )
        )
    read_at = c.datetime_reader()
    out = []
    for pk, number, kind, flags, unit_id, lead_id, b_id, updated in heads:
        timeline = events[pk]
        head = CaseHead(
            pk,
            number,
            kind,
            read_json(flags),
            unit_id,
            lead_id,
            b_id,
            (read_at(updated), recorded[pk]),
        )
        out.append((head, timeline))
    return out


def cases_with_events_between(
    after: Any, upto: Any, *, bureau_id: uuid.UUID | None = None
) -> set[Any]:
    """Raw ids of cases with an event dated in (after, upto]: events recorded ahead of time come
    into force as the clock passes them."""
    c = bulk.codec()
    qs = CaseEvent.objects.filter(at__gt=after, at__lte=upto)
    if bureau_id is not None:
        qs = qs.filter(bureau_id=bureau_id)
    return {c.uuid(k) for k in qs.values_list("case_id", flat=True).distinct()}


def lock_cases(case_ids: list[Any]) -> dict[Any, tuple[Any, int]]:
    """Lock cases by raw id (the caller owns the transaction) and return each one's version
    (updated_at, events recorded), as in :class:`CaseHead`: a sweep writes only cases that did not
    change since it read them."""
    c = bulk.codec()
    out: dict[Any, tuple[Any, int]] = {}
    for start in range(0, len(case_ids), 500):
        part = case_ids[start : start + 500]
        keys = [c.key(k) for k in part]
        stamps = dict(
            Case.objects.select_for_update().filter(pk__in=keys).values_list("pk", "updated_at")
        )
        counts = dict(
            CaseEvent.objects.filter(case_id__in=keys)
            .values("case_id")
            .annotate(n=Count("pk"))
            .values_list("case_id", "n")
        )
        for raw, key in zip(part, keys, strict=True):
            if key in stamps:
                out[raw] = (stamps[key], counts.get(key, 0))
    return out


def accepted_counts(
    bureau_id: uuid.UUID,
    *,
    start: dt.datetime,
    end: dt.datetime,
    homicide_words: tuple[str, ...],
    drug_words: tuple[str, ...],
) -> list[tuple[uuid.UUID | None, int, int, int]]:
    """Per unit, the cases accepted (受案: the ``case_accepted`` event) in [start, end):
    administrative (public-order) cases, criminal cases whose title names a homicide, and cases
    whose title names drugs."""

    def any_title(words: tuple[str, ...]) -> Q:
        q = Q(pk__in=[])
        for w in words:
            q |= Q(case__title__contains=w)
        return q

    return list(
        CaseEvent.objects.filter(
            bureau_id=bureau_id,
            type="case_accepted",
            at__gte=start,
            at__lt=end,
            corrections__isnull=True,  # only events still in force: a correction replaces one
        )
        .values("case__unit_id")
        .annotate(
            public_order=Count("case_id", filter=Q(case__kind="administrative"), distinct=True),
            homicides=Count(
                "case_id",
                filter=Q(case__kind="criminal") & any_title(homicide_words),
                distinct=True,
            ),
            drugs=Count("case_id", filter=any_title(drug_words), distinct=True),
        )
        .values_list("case__unit_id", "public_order", "homicides", "drugs")
    )


def first_accepted(bureau_id: uuid.UUID, *, since: dt.datetime | None = None) -> dt.datetime | None:
    """When the bureau's first case (since a time) was accepted, by the events in force."""
    qs = CaseEvent.objects.filter(
        bureau_id=bureau_id, type="case_accepted", corrections__isnull=True
    )
    if since is not None:
        qs = qs.filter(at__gte=since)
    return qs.aggregate(m=Min("at"))["m"]
