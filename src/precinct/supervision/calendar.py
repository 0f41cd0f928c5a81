"""The official Chinese working-day calendar (holidays and adjusted working days).

Two sources: the State Council's schedules the legal department has entered for a year (page
`/supervision/holidays/`, `precinct supervision holidays import`), which win for that year, and
the `chinese-calendar` package for the years it knows. For any other year rest days are the
weekends, and the engine says so in the finding (`known_years()` tells which years are covered).
The entered schedules are installed into this module by ``supervision.holidays.refresh()``."""

import datetime as dt
import functools
from collections.abc import Mapping

import chinese_calendar

from .rules import holidays as rules
from .rules import periods

_entered: dict[dt.date, str] = {}  # day → rules.REST / rules.WORK, for the entered years
_entered_years: frozenset[int] = frozenset()
_version = ""  # what was installed: the refresh compares before it reads the schedules again


def install(entered: Mapping[int, Mapping[dt.date, str]], version: str) -> None:
    """Use these entered years (year → day → kind) from now on, in this process."""
    global _entered, _entered_years, _version
    _entered = {day: kind for days in entered.values() for day, kind in days.items()}
    _entered_years = frozenset(entered)
    _version = version
    is_holiday.cache_clear()
    periods._calendar_due.cache_clear()  # due dates were counted with the old schedule


def version() -> str:
    return _version


def entered_years() -> frozenset[int]:
    return _entered_years


@functools.lru_cache(maxsize=4096)
def is_holiday(day: dt.date) -> bool:
    """True on a non-working day: a public holiday or a weekend that is not an adjusted workday."""
    if day.year in _entered_years:
        return rules.is_rest_day(day, _entered)
    try:
        return bool(chinese_calendar.is_holiday(day))
    except NotImplementedError:
        return day.weekday() >= 5


@functools.cache
def package_years() -> frozenset[int]:
    return frozenset(
        {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    )


def known_years() -> tuple[int, ...]:
    """The years whose schedule is known, from the package or entered."""
    return tuple(sorted(package_years() | _entered_years))


PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _name(raw: object) -> str:
    text = str(getattr(raw, "value", raw))
    return PACKAGE_NAMES.get(text, text)


def package_schedule(year: int) -> list[rules.ScheduleDay]:
    """The package's schedule of one year, as a starting point for checking or entering it."""
    out: list[rules.ScheduleDay] = []
    for day, name in sorted(chinese_calendar.holidays.items()):
        if day.year == year:
            out.append(rules.ScheduleDay(day, rules.REST, _name(name)))
    for day, name in sorted(chinese_calendar.workdays.items()):
        if day.year == year and day.weekday() >= 5:
            out.append(rules.ScheduleDay(day, rules.WORK, _name(name)))
    return sorted(out, key=lambda d: d.day)
