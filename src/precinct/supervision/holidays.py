"""Use cases of the holiday schedule (节假日安排): the legal department enters or imports the State
Council's schedule for a year; it extends or overrides the `chinese-calendar` package, every
process picks it up, and the cases whose legal deadlines it can move are recomputed."""

import datetime as dt
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Q

from precinct.cases import services as cases
from precinct.core import capabilities as can
from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from . import calendar
from .models import Finding, HolidaySchedule
from .rules import holidays as rules

ENTERERS = can.HOLIDAY_ENTERERS  # the policy's own name (core.capabilities): one source
# A deadline counted in working days can start up to about two months before the days it counts
# (the longest working-day limits) and end after them: cases whose findings start or fall due
# within this margin of the year are recomputed.
MARGIN = dt.timedelta(days=62)


_table_seen = False  # the schedules' table exists (once seen, it is not looked for again)


def _have_table() -> bool:
    """`precinct supervision check FILE.json` runs the engine with no database set up: then there
    are no entered schedules, and the package's calendar stands."""
    global _table_seen
    if not _table_seen:
        try:
            _table_seen = HolidaySchedule._meta.db_table in connection.introspection.table_names()
        except DatabaseError:
            return False
    return _table_seen


def refresh() -> None:
    """Install the entered schedules into this process's calendar if they changed (one small
    query when they did not). Called before the engine's settings are built."""
    if not _have_table():
        return
    stamp = HolidaySchedule.objects.aggregate(n=Count("id"), last=Max("entered_at"), top=Max("id"))
    version = f"{stamp['n']}:{stamp['top']}:{stamp['last'].isoformat() if stamp['last'] else ''}"
    if version == calendar.version():
        return
    entered = {
        s.year: {day.day: day.kind for day in rules.from_stored(s.days)}
        for s in HolidaySchedule.objects.all()
    }
    calendar.install(entered, version)


@dataclass(frozen=True)
class YearRow:
    year: int
    source: str  # "entered", "package" or "missing"
    rest_days: int
    working_days: int  # adjusted working days (调休上班)
    entered_by: str = ""
    entered_at: dt.datetime | None = None
    note: str = ""


def years(*, today: dt.date) -> list[YearRow]:
    """Each year the engine may need (the entered ones, last year to next year, and the package's
    recent years) and where its schedule comes from; a missing year counts weekends only."""
    refresh()
    stored = {s.year: s for s in HolidaySchedule.objects.all()}
    recent = {y for y in calendar.package_years() if y >= today.year - 2}  # older ones: history
    wanted = recent | set(stored) | {today.year - 1, today.year, today.year + 1}
    out = []
    for year in sorted(wanted, reverse=True):
        if year in stored:
            s = stored[year]
            days = rules.from_stored(s.days)
            out.append(YearRow(year, "entered", sum(d.kind == rules.REST for d in days),
                               sum(d.kind == rules.WORK for d in days), s.entered_by,
                               s.entered_at, s.source))  # fmt: skip
        elif year in calendar.package_years():
            days = calendar.package_schedule(year)
            out.append(YearRow(year, "package", sum(d.kind == rules.REST for d in days),
                               sum(d.kind == rules.WORK for d in days)))  # fmt: skip
        else:
            out.append(YearRow(year, "missing", 0, 0))
    return out


def schedule_text(year: int) -> str:
    """The year's schedule as rows to edit: the entered one, else the package's, else empty."""
    stored = HolidaySchedule.objects.filter(year=year).first()
    if stored is not None:
        return rules.as_text(rules.from_stored(stored.days))
    return rules.as_text(calendar.package_schedule(year))


@dataclass(frozen=True)
class Entered:
    year: int
    rest_days: int
    working_days: int
    cases_marked: int  # cases whose findings the next sweep (or catch-up) recomputes


def enter(scope: Scope, year: int, text: str, *, source: str, by: str, now: dt.datetime) -> Entered:
    """Enter (or replace) the schedule of ``year`` from rows of text (rules/holidays.py), all or
    nothing; mark the cases it can change for recompute. The caller owns the transaction."""
    if scope.role not in ENTERERS:
        raise PermissionDenied("only the legal department enters the holiday schedule")
    days = rules.parse_schedule(year, text)
    if len(source) > 200:
        raise ValidationFailed([FieldError("source", _("At most 200 characters."))])
    schedule = HolidaySchedule.objects.select_for_update().filter(year=year).first()
    if schedule is None:
        schedule = HolidaySchedule(year=year)
    schedule.days = rules.as_stored(days)
    schedule.source = source.strip()
    schedule.entered_by = by
    schedule.entered_at = now
    schedule.save()  # audited, with the schedule before and after
    transaction.on_commit(refresh)
    refresh()
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC) - MARGIN
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC) + MARGIN
    touched = (
        Finding.objects.filter(Q(due_at__range=(start, end)) | Q(trigger_at__range=(start, end)))
        .values_list("case_id", flat=True)
        .distinct()
    )
    marked = cases.mark_findings_due(touched)
    return Entered(
        year,
        sum(d.kind == rules.REST for d in days),
        sum(d.kind == rules.WORK for d in days),
        marked,
    )
