"""The bulk passes over cases: the trusted bulk load, and the sweep's reads (a page of timelines
straight from the driver, id bounds, cases with events coming into force, versions under lock)."""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from precinct.common import bulk
from precinct.core import clock

from .. import rules
from ..models import Case, CaseEvent


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
