"""Supervision use cases. The engine is pure; here it meets the bureau's zone, the official
holiday calendar, the stored cases and the stored findings. The sweep that keeps the stored
findings current is in ``sweep``; its public names are re-exported here."""

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, F, Q, QuerySet

from precinct.cases import services as cases
from precinct.cases.rules import EventContent
from precinct.common import bus, transactions
from precinct.core import capabilities as can
from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org

from . import calendar
from .models import (
    TICKET_STATE_LABELS,
    CaseReview,
    Finding,
    ReviewItem,
    Ticket,
    TicketStep,
    WarningProposal,
)
from .rules import RULE_IDS, InterchangeError, evaluate, parse
from .rules import Finding as EngineFinding
from .rules.interchange import parse_raw
from .rules.tickets import FINAL, may_move
from .sweep import FINDING_FIELDS as FINDING_FIELDS
from .sweep import SWEEP_FORMAT as SWEEP_FORMAT
from .sweep import WITHDRAWN, engine_settings, recompute_case
from .sweep import SweepOutcome as SweepOutcome
from .sweep import catch_up as catch_up
from .sweep import sweep as sweep

WARNING_PROPOSED = "warning_proposed"


def check_document(
    document: Any, *, now: dt.datetime, time_zone: str | None = None
) -> list[EngineFinding]:
    """Findings for one interchange document as of ``now`` (raises InterchangeError on bad input)."""
    case, events = parse(document)
    return evaluate(case, events, now, engine_settings(time_zone))


# --- import ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportOutcome:
    case_id: uuid.UUID
    number: str
    created: bool
    new_events: int


def import_document(
    *, bureau_id: uuid.UUID, document: Any, default_unit: str = "", recorded_by: str = "import"
) -> ImportOutcome:
    """Import one case document (all-or-nothing: the caller owns the transaction). Idempotent:
    the case by its number, each event by its content."""
    case_doc, events = parse_raw(document)
    raw = document["case"]
    unit_code = str(raw.get("unit") or default_unit)
    units = org.units_by_code(bureau_id)
    if unit_code not in units:
        raise InterchangeError(
            f"case: field 'unit' must name a unit of the bureau (got {unit_code!r})"
        )
    lead_id = None
    if raw.get("lead_officer"):
        found = org.officer_ids_by_number(bureau_id, [str(raw["lead_officer"])])
        if str(raw["lead_officer"]) not in found:
            raise InterchangeError(
                f"case: field 'lead_officer' {raw['lead_officer']!r} is no officer's police number"
            )
        lead_id = found[str(raw["lead_officer"])]
    case, created = cases.upsert_case(
        bureau_id=bureau_id,
        data=cases.CaseData(
            number=case_doc.id,
            kind=case_doc.kind.value,
            unit_id=units[unit_code].pk,
            title=str(raw.get("title", ""))[:200],
            lead_officer_id=lead_id,
            flags=dict(case_doc.flags),
        ),
    )
    new = 0
    ids: dict[int, uuid.UUID | None] = {}
    for position, e in enumerate(events, start=1):
        attrs = {k: v for k, v in e.attrs.items() if k != "corrects"}
        content = EventContent(e.type, e.at, e.subject, attrs)
        corrects = ids.get(e.attrs["corrects"]) if "corrects" in e.attrs else None
        row = cases.record_event(
            case=case, content=content, recorded_by=recorded_by, corrects=corrects
        )
        if row is not None:
            new += 1
        ids[position] = (
            row.pk if row is not None else cases.event_by_content(case.pk, content, corrects).pk
        )
    return ImportOutcome(case.pk, case.number, created, new)


@dataclass(frozen=True)
class FileOutcome:
    path: str
    outcome: ImportOutcome | None
    error: str = ""


def import_path(
    *,
    bureau_id: uuid.UUID,
    path: Path,
    default_unit: str = "",
    recorded_by: str = "import",
    progress: Callable[[int, int], None] | None = None,
) -> list[FileOutcome]:
    """Import one file or every *.json in a folder; each file in its own transaction, so a bad file
    is reported and leaves nothing behind while the good ones go in."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    results = []
    for n, file in enumerate(files, start=1):
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
            with transactions.piece():
                outcome = import_document(
                    bureau_id=bureau_id,
                    document=document,
                    default_unit=default_unit,
                    recorded_by=recorded_by,
                )
            results.append(FileOutcome(str(file), outcome))
        except (InterchangeError, ValidationFailed) as exc:
            results.append(FileOutcome(str(file), None, str(exc)))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            results.append(FileOutcome(str(file), None, f"not a readable JSON file: {exc}"))
        except (DatabaseError, OverflowError) as exc:  # nothing of this file was kept
            results.append(FileOutcome(str(file), None, f"refused by the database: {exc}"))
        if progress:
            progress(n, len(files))
    return results


# --- findings kept current (recompute and sweep: ``sweep``) -------------------------------
def _on_case_event(case_id: uuid.UUID) -> None:
    recompute_case(case_id, now=clock.now())


def connect() -> None:
    """Subscribe supervision's reactions (called from AppConfig.ready)."""
    bus.subscribe(cases.CASE_EVENT_RECORDED, _on_case_event)
    bus.subscribe(cases.CASE_CHANGED, _on_case_event)


# --- lists (scoped) ---------------------------------------------------------------------
def scope_findings(scope: Scope) -> QuerySet[Finding]:
    return Finding.objects.filter(case__in=cases.scope_cases(scope))


def scope_tickets(scope: Scope) -> QuerySet[Ticket]:
    return Ticket.objects.filter(case__in=cases.scope_cases(scope))


# Upcoming deadlines read soonest first; problems and everything else newest first.
UPCOMING = ("pending", "due_soon")


@dataclass(frozen=True)
class FindingFilter:
    """The findings list's filters (GET parameters): empty means any."""

    state: str = ""
    rule: str = ""
    unit: str = ""  # the unit's name
    officer: str = ""  # the lead officer's police number or name


def search_findings(scope: Scope, flt: FindingFilter) -> QuerySet[Finding]:
    """The caller's findings (scoped as :func:`scope_findings`) by state, rule, unit and lead
    officer; overdue and other problems newest first, upcoming deadlines soonest first."""
    qs = scope_findings(scope).select_related("case", "unit", "case__lead_officer")
    if flt.state:
        qs = qs.filter(state=flt.state)
    if flt.rule:
        qs = qs.filter(rule=flt.rule)
    if flt.unit:
        qs = qs.filter(unit__name=flt.unit)
    if flt.officer:
        qs = qs.filter(
            Q(case__lead_officer__police_number=flt.officer)
            | Q(case__lead_officer__name=flt.officer)
        )
    if flt.state in UPCOMING:
        return qs.order_by(F("due_at").asc(nulls_last=True), "rule", "pk")
    return qs.order_by(F("due_at").desc(nulls_last=True), "-trigger_at", "rule", "pk")


def finding_units(scope: Scope) -> list[str]:
    """Names of the units the caller's findings belong to, for the list's unit filter."""
    names = scope_findings(scope).order_by().values_list("unit__name", flat=True).distinct()
    return sorted(names)


def subject_names(scope: Scope, case_ids: Iterable[uuid.UUID]) -> dict[tuple[uuid.UUID, str], str]:
    """(case id, subject key) -> the person's name as the caller may read it (masked unless the
    role reads full identities, as identity numbers are)."""
    return cases.person_names(case_ids, full_identity=scope.role in can.FULL_IDENTITY_READERS)


def case_findings(scope: Scope, case_id: uuid.UUID) -> list[Finding]:
    cases.get_case(scope, case_id)
    return list(Finding.objects.filter(case_id=case_id).order_by("due_at", "rule", "subject"))


def finding_totals(scope: Scope, *, since: dt.datetime) -> dict[str, int]:
    """A whole bureau's findings triggered since ``since``, by state: what a province compares
    its cities by. Read from the findings alone (no cases: the province receives findings)."""
    if not scope.whole_bureau or not scope.reads_business_data or scope.bureau_id is None:
        return {}
    return dict(
        Finding.objects.filter(bureau_id=scope.bureau_id, trigger_at__gte=since)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )


def open_counts(scope: Scope) -> dict[str, int]:
    """Findings due soon and overdue now within the scope, in one query (a home's cards)."""
    counts = dict(
        scope_findings(scope)
        .filter(state__in=["due_soon", "overdue"])
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {"due_soon": counts.get("due_soon", 0), "overdue": counts.get("overdue", 0)}


def dashboard(scope: Scope, *, now: dt.datetime) -> dict[str, Any]:
    """Due soon and overdue now, by rule, unit and lead officer, and problem points by month (the
    last 24, in the bureau's zone): the numbers behind the supervision page."""
    tz = ZoneInfo(settings.TIME_ZONE)
    months: dict[tuple[int, int], int] = {}
    for (trigger_at,) in (
        scope_findings(scope)
        .filter(state__in=["late", "overdue", "violated"])
        .values_list("trigger_at")
    ):
        local = trigger_at.astimezone(tz)
        months[(local.year, local.month)] = months.get((local.year, local.month), 0) + 1
    trend = _month_axis(months, this=now.astimezone(tz), span=24)
    open_problems = scope_findings(scope).filter(state__in=["due_soon", "overdue"])
    return {
        **open_counts(scope),
        "by_rule": list(
            open_problems.values("rule", "title", "state")
            .annotate(n=Count("id"))
            .order_by("-n")[:20]
        ),
        "by_unit": list(
            open_problems.values("unit__name", "state").annotate(n=Count("id")).order_by("-n")[:20]
        ),
        "by_officer": list(
            open_problems.exclude(case__lead_officer=None)
            .values("case__lead_officer__name", "case__lead_officer__police_number", "state")
            .annotate(n=Count("id"))
            .order_by("-n")[:20]
        ),
        "open_tickets": scope_tickets(scope).exclude(state__in=FINAL).count(),
        "trend": {"months": [m for m, _n in trend], "counts": [n for _m, n in trend]},
    }


def _month_axis(
    counts: dict[tuple[int, int], int], *, this: dt.datetime, span: int
) -> list[tuple[str, int]]:
    """Every month ("YYYY-MM", count) from the first with a count — at most ``span`` months
    back — to this one (or the last with a count, if later), 0 where there was none: a time
    axis without gaps."""
    if not counts:
        return []
    index = {y * 12 + m - 1: n for (y, m), n in counts.items()}
    last = max(this.year * 12 + this.month - 1, max(index))
    first = max(min(index), last - span + 1)
    return [(f"{k // 12:04d}-{k % 12 + 1:02d}", index.get(k, 0)) for k in range(first, last + 1)]


# --- tickets ----------------------------------------------------------------------------
def move_ticket(
    scope: Scope, ticket_id: uuid.UUID, *, to_state: str, by: str, note: str = ""
) -> Ticket:
    if to_state not in TICKET_STATE_LABELS:
        raise ValidationFailed([FieldError("to_state", _("unknown ticket state"))])
    ticket = scope_tickets(scope).select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("ticket")
    if not may_move(ticket.state, to_state, scope.role):
        raise PermissionDenied(
            f"{scope.role} may not move a ticket from {ticket.state} to {to_state}"
        )
    if to_state == "accountability" and not note.strip():
        raise ValidationFailed([FieldError("note", _("accountability needs a reason"))])
    TicketStep.objects.create(
        bureau_id=ticket.bureau_id,
        ticket=ticket,
        from_state=ticket.state,
        to_state=to_state,
        by=by,
        note=note,
    )
    ticket.state = to_state
    ticket.save(update_fields=["state", "updated_at"])
    if to_state == "accountability":
        proposal = WarningProposal.objects.create(
            bureau_id=ticket.bureau_id,
            ticket=ticket,
            officer_id=ticket.lead_officer_id,
            reason=note,
        )
        bus.publish(
            WARNING_PROPOSED,
            proposal_id=proposal.pk,
            officer_id=ticket.lead_officer_id,
            ticket_id=ticket.pk,
        )
    return ticket


def warning_proposals(*, consumed: bool = False) -> QuerySet[WarningProposal]:
    """For the merit module's queue."""
    return WarningProposal.objects.filter(consumed_at__isnull=not consumed)


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days from ``first`` to ``last``, both included, on the official calendar."""
    days = (last - first).days + 1
    return sum(
        1 for n in range(max(days, 0)) if not calendar.is_holiday(first + dt.timedelta(days=n))
    )


def take_warning_proposal(proposal_id: uuid.UUID) -> WarningProposal | None:
    """Hand a warning proposal to the merit module once (None if it was taken already)."""
    proposal = (
        WarningProposal.objects.select_for_update()
        .select_related("ticket__finding")
        .filter(pk=proposal_id, consumed_at__isnull=True)
        .first()
    )
    if proposal is not None:
        proposal.consumed_at = clock.now()
        proposal.save(update_fields=["consumed_at", "updated_at"])
    return proposal


def problem_points(
    bureau_id: uuid.UUID, *, since: dt.datetime, until: dt.datetime
) -> dict[uuid.UUID, list[tuple[str, str, str]]]:
    """Problem points opened in [since, until) by lead officer: (ticket id, rule, case number)."""
    out: dict[uuid.UUID, list[tuple[str, str, str]]] = {}
    rows = (
        Ticket.objects.filter(
            bureau_id=bureau_id,
            created_at__gte=since,
            created_at__lt=until,
            lead_officer_id__isnull=False,
        )
        .exclude(finding__state=WITHDRAWN)
        .order_by("created_at", "pk")
        .values_list("lead_officer_id", "pk", "finding__rule", "case_id")
    )
    for officer_id, pk, rule, case_id in rows:
        out.setdefault(officer_id, []).append((str(pk), rule, str(case_id)))
    return out


# --- reviews ----------------------------------------------------------------------------
def add_review(
    scope: Scope,
    case_id: uuid.UUID,
    *,
    reviewer: str,
    summary: str,
    items: Iterable[tuple[str, str, str]],
) -> CaseReview:
    """A case review (解剖) with findings tagged good practice or problem (tag, rule, text)."""
    if scope.role not in can.REVIEWERS:
        raise PermissionDenied("only legal/supervision staff and leaders review cases")
    case = cases.get_case(scope, case_id)
    rows = list(items)
    errors = [
        FieldError(f"items[{i}].tag", _("must be good or problem"))
        for i, (tag, _r, _t) in enumerate(rows)
        if tag not in {"good", "problem"}
    ]
    errors += [
        FieldError(f"items[{i}].text", _("is required"))
        for i, (_g, _r, text) in enumerate(rows)
        if not text.strip()
    ]
    if not rows:
        errors.append(FieldError("items", _("a review records at least one finding")))
    errors += [
        FieldError(f"items[{i}].rule", _("unknown rule %(rule)s"), params={"rule": rule})
        for i, (_g, rule, _t) in enumerate(rows)
        if rule and rule not in RULE_IDS
    ]
    if errors:
        raise ValidationFailed(errors)
    review = CaseReview.objects.create(
        bureau_id=case.bureau_id, case=case, reviewer=reviewer, summary=summary
    )
    for tag, rule, text in rows:
        ReviewItem.objects.create(
            bureau_id=case.bureau_id, review=review, tag=tag, rule=rule[:8], text=text
        )
    return review


def good_practice(scope: Scope) -> QuerySet[ReviewItem]:
    """The bureau-wide library of good practice: every officer may read it."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return ReviewItem.objects.none()
    return (
        ReviewItem.objects.filter(bureau_id=scope.bureau_id, tag="good")
        .select_related("review")
        .order_by("-created_at")
    )
