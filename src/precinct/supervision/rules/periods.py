"""Counting legal periods (CPL 105, 行規 35). Pure: the holiday calendar is passed in.

- hours: due = trigger + N hours, to the minute;
- days: the trigger day does not count; due = 24:00 (local) of trigger date + N days;
- months: the trigger day does not count; due = 24:00 of the same day-of-month N months later
  (the month's last day where that day does not exist);
- a day or month period whose last day is a public holiday (a non-working day of the official
  calendar, adjusted working days included) ends on the first working day after it — except while
  the person is in custody.
"""

import calendar
import datetime as dt
import functools
from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

IsHoliday = Callable[[dt.date], bool]


def weekends(day: dt.date) -> bool:
    return day.weekday() >= 5


class Unit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"


class Limit(NamedTuple):
    """A period: an amount of hours, days or months (a named tuple: hashed often, cheaply)."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def end_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """24:00 local of ``day`` (= 00:00 of the next day), as an aware datetime."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def due_at(
    trigger: dt.datetime,
    limit: Limit,
    *,
    tz: ZoneInfo,
    is_holiday: IsHoliday,
    in_custody: bool,
) -> dt.datetime:
    """When a period that starts at ``trigger`` expires (the follow-up is in time at or before it)."""
    if limit.unit is Unit.HOURS:
        return trigger + dt.timedelta(hours=limit.amount)
    return _calendar_due(trigger.astimezone(tz).date(), limit, tz, is_holiday, in_custody)


@functools.lru_cache(maxsize=65536)
def _calendar_due(
    start: dt.date, limit: Limit, tz: ZoneInfo, is_holiday: IsHoliday, in_custody: bool
) -> dt.datetime:
    if limit.unit is Unit.DAYS:
        day = start + dt.timedelta(days=limit.amount)
    else:
        day = add_months(start, limit.amount)
    if not in_custody:
        for _ in range(60):  # the longest run of rest days is far shorter
            if not is_holiday(day):
                break
            day += dt.timedelta(days=1)
    return end_of(day, tz)
