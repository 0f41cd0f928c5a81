"""The official Chinese working-day calendar (holidays and adjusted working days), from the
`chinese-calendar` package. For years the package does not know yet, rest days are the weekends;
`known_years()` tells which years are covered."""

import datetime as dt
import functools

import chinese_calendar


@functools.lru_cache(maxsize=4096)
def is_holiday(day: dt.date) -> bool:
    """True on a non-working day: a public holiday or a weekend that is not an adjusted workday."""
    try:
        return bool(chinese_calendar.is_holiday(day))
    except NotImplementedError:
        return day.weekday() >= 5


@functools.cache
def known_years() -> range:
    years = sorted(
        {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    )
    return range(years[0], years[-1] + 1)
