"""Counting periods: hours to the minute, days and months without the trigger day, holidays."""

import datetime as dt

import pytest

from precinct.supervision import calendar
from precinct.supervision.rules.periods import Limit, Unit, add_months, due_at, weekends

from .helpers import TZ, t


def due(trigger: str, amount: int, unit: Unit, custody: bool = False) -> dt.datetime:
    return due_at(
        t(trigger), Limit(amount, unit), tz=TZ, is_holiday=calendar.is_holiday, in_custody=custody
    )


def test_hours_run_from_the_exact_trigger_time() -> None:
    assert due("2026-03-02 09:30", 24, Unit.HOURS) == t("2026-03-03 09:30")


def test_days_do_not_count_the_trigger_day() -> None:
    assert due("2026-03-02 09:30", 3, Unit.DAYS) == t("2026-03-06 00:00")  # 24:00 on 03-05
    assert due("2026-03-02 00:00", 3, Unit.DAYS) == t("2026-03-06 00:00")
    assert due("2026-03-02 23:59", 3, Unit.DAYS) == t("2026-03-06 00:00")


@pytest.mark.parametrize(
    ("start", "n", "last"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2026-03-02", 2, "2026-05-02"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-05-31", 6, "2026-11-30"),
    ],
)
def test_months_end_on_the_same_day_or_the_months_last(start: str, n: int, last: str) -> None:
    assert add_months(dt.date.fromisoformat(start), n) == dt.date.fromisoformat(last)


def test_a_period_ending_on_a_holiday_runs_to_the_next_working_day() -> None:
    # bail from 2025-10-01 for 12 months: the last day, 2026-10-01, is National Day (1–7 October)
    assert due("2025-10-01 10:00", 12, Unit.MONTHS) == t("2026-10-09 00:00")  # end of 10-08


def test_an_adjusted_working_saturday_is_not_a_holiday() -> None:
    # last day Saturday 2026-10-10 is an official working day: no extension
    assert due("2026-10-07 10:00", 3, Unit.DAYS) == t("2026-10-11 00:00")


def test_an_ordinary_weekend_extends_the_period() -> None:
    # last day Sunday 2026-03-08 -> Monday 03-09
    assert due("2026-03-05 10:00", 3, Unit.DAYS) == t("2026-03-10 00:00")


def test_no_extension_while_the_person_is_in_custody() -> None:
    assert due("2026-09-28 10:00", 3, Unit.DAYS, custody=True) == t("2026-10-02 00:00")
    assert due("2026-09-28 10:00", 3, Unit.DAYS) == t("2026-10-09 00:00")


def test_hours_never_move_for_holidays() -> None:
    assert due("2026-10-01 08:00", 24, Unit.HOURS) == t("2026-10-02 08:00")


def test_days_are_counted_in_the_bureau_zone() -> None:
    # 2026-03-02 17:30 UTC is 03-03 01:30 in Beijing: the trigger day is 03-03
    trigger = dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC)
    got = due_at(trigger, Limit(3, Unit.DAYS), tz=TZ, is_holiday=weekends, in_custody=True)
    assert got == t("2026-03-07 00:00")


def test_years_the_calendar_does_not_know_fall_back_to_weekends() -> None:
    assert calendar.is_holiday(dt.date(2030, 6, 1))  # a Saturday
    assert not calendar.is_holiday(dt.date(2030, 6, 3))
    assert 2026 in calendar.known_years()
