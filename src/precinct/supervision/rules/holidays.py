"""The State Council's holiday schedule for one year (国务院办公厅关于某年部分节假日安排的通知), as
the legal department enters it: rest days (放假) and adjusted working days (调休上班).

One row a line: ``date or first..last, kind, name``, e.g. ``2027-02-06..2027-02-13, 休, 春节`` and
``2027-02-14, 班, 春节``. Kinds: 休/放假/holiday and 班/上班/workday. Pure: no Django, no clock."""

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

REST, WORK = "rest", "work"
KINDS = {
    "休": REST,
    "放假": REST,
    "假": REST,
    "rest": REST,
    "holiday": REST,
    "班": WORK,
    "上班": WORK,
    "调休上班": WORK,
    "work": WORK,
    "workday": WORK,
}
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DAYS = 80  # a year's schedule holds about 30 rest days and 6–8 adjusted working days


@dataclass(frozen=True)
class ScheduleDay:
    day: dt.date
    kind: str  # REST or WORK
    name: str


def _date(text: str, row: int) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(
            [FieldError("date", _("Not a date (YYYY-MM-DD): %(value)s"), row, {"value": text})]
        ) from None


def parse_schedule(year: int, text: str) -> list[ScheduleDay]:
    """The days of ``text`` (CSV: date or range, kind, name), sorted; every problem named by row.
    Nothing is returned unless every row is right."""
    errors: list[FieldError] = []
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(
            [FieldError("year", _("The year must lie between %(first)s and %(last)s."),
                        None, {"first": FIRST_YEAR, "last": LAST_YEAR})]
        )  # fmt: skip
    days: dict[dt.date, ScheduleDay] = {}
    rows = list(csv.reader(io.StringIO(text.replace("，", ",").lstrip("\ufeff"))))
    for n, cells in enumerate(rows, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if len(cells) < 2:
            errors.append(FieldError("kind", _("Each row needs a date, a kind and a name."), n))
            continue
        try:
            first_text, _sep, last_text = cells[0].partition("..")
            first = _date(first_text, n)
            last = _date(last_text, n) if last_text else first
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        kind = KINDS.get(cells[1].lower())
        name = cells[2] if len(cells) > 2 else ""
        if kind is None:
            errors.append(
                FieldError("kind", _("The kind must be 休 (rest day) or 班 (working day), not %(value)s."),
                           n, {"value": cells[1]})
            )  # fmt: skip
            continue
        if last < first:
            errors.append(FieldError("date", _("The range ends before it starts."), n))
            continue
        if first.year != year or last.year != year:
            errors.append(
                FieldError("date", _("Every day must lie in %(year)s."), n, {"year": year})
            )
            continue
        if not name:
            errors.append(FieldError("name", _("Name the holiday (e.g. 春节)."), n))
            continue
        day = first
        while day <= last:
            if day in days:
                errors.append(
                    FieldError("date", _("%(day)s is listed twice."), n, {"day": day.isoformat()})
                )
            elif kind == WORK and day.weekday() < 5:
                errors.append(
                    FieldError("kind", _("%(day)s is a weekday: only a weekend day can be an adjusted working day."),
                               n, {"day": day.isoformat()})
                )  # fmt: skip
            else:
                days[day] = ScheduleDay(day, kind, name[:40])
            day += dt.timedelta(days=1)
    if not errors and not any(d.kind == REST for d in days.values()):
        errors.append(FieldError("days", _("The schedule lists no rest day.")))
    if len(days) > MAX_DAYS:
        errors.append(
            FieldError("days", _("More than %(max)s days: is this one year's schedule?"),
                       None, {"max": MAX_DAYS})
        )  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    return sorted(days.values(), key=lambda d: d.day)


def as_stored(days: list[ScheduleDay]) -> dict[str, list[str]]:
    """The form kept in the database: ISO day → [kind, name]."""
    return {d.day.isoformat(): [d.kind, d.name] for d in days}


def from_stored(stored: Mapping[str, list[str]]) -> list[ScheduleDay]:
    return sorted(
        (ScheduleDay(dt.date.fromisoformat(k), v[0], v[1]) for k, v in stored.items()),
        key=lambda d: d.day,
    )


def as_text(days: list[ScheduleDay]) -> str:
    """The schedule as rows for editing: consecutive days of one holiday and kind as a range."""
    out: list[str] = []
    run: list[ScheduleDay] = []

    def flush() -> None:
        if run:
            span = run[0].day.isoformat()
            if len(run) > 1:
                span += ".." + run[-1].day.isoformat()
            out.append(f"{span},{'休' if run[0].kind == REST else '班'},{run[0].name}")

    for d in days:
        if run and (
            d.kind != run[-1].kind
            or d.name != run[-1].name
            or d.day != run[-1].day + dt.timedelta(days=1)
        ):
            flush()
            run = []
        run.append(d)
    flush()
    return "\n".join(out)


def is_rest_day(day: dt.date, entered: Mapping[dt.date, str]) -> bool:
    """In a year whose schedule is entered: a listed day is what the schedule says; any other
    day rests on the weekend and works on weekdays."""
    kind = entered.get(day)
    if kind is not None:
        return kind == REST
    return day.weekday() >= 5
