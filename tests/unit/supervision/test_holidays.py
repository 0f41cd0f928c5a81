"""The State Council's holiday schedule as the legal department enters it (rules/holidays.py), and
the calendar that prefers an entered year over the built-in package."""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from precinct.core.errors import ValidationFailed
from precinct.supervision import calendar
from precinct.supervision.rules import holidays as rules
from precinct.supervision.rules.periods import Limit, Unit, due_at

SPRING_2027 = """\ufeff# 2027 (an example schedule: the test's, not the State Council's)
2027-01-01..2027-01-03，休，元旦
2027-02-06..2027-02-13,休,春节
2027-02-14,班,春节
2027-02-20, 班 , 春节
"""
TZ = ZoneInfo("Asia/Shanghai")


def last_day(due: dt.datetime) -> dt.date:
    """A period ends at the end of its last day (midnight after it)."""
    return (due - dt.timedelta(microseconds=1)).date()


def test_rows_become_days_with_ranges_full_width_commas_and_a_bom() -> None:
    days = rules.parse_schedule(2027, SPRING_2027)
    assert [d.day for d in days][:3] == [
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 2),
        dt.date(2027, 1, 3),
    ]
    assert sum(d.kind == rules.REST for d in days) == 11
    assert [d.day for d in days if d.kind == rules.WORK] == [
        dt.date(2027, 2, 14),
        dt.date(2027, 2, 20),
    ]
    assert rules.from_stored(rules.as_stored(days)) == days
    # edited as text and read back, the schedule is the same
    assert rules.parse_schedule(2027, rules.as_text(days)) == days
    assert rules.as_text(days).splitlines()[1] == "2027-02-06..2027-02-13,休,春节"


@pytest.mark.parametrize(
    ("text", "row", "field"),
    [
        ("2027-13-01,休,元旦", 1, "date"),
        ("2027-01-01,休,元旦\n2027-02-30..2027-03-01,休,春节", 2, "date"),
        ("2027-01-01,放假,元旦\n2027-01-01,休,元旦", 2, "date"),  # listed twice
        ("2027-01-01,休,元旦\n2027-02-15,班,春节", 2, "kind"),  # a Monday cannot be 调休上班
        ("2027-01-01,休,元旦\n2028-01-01,休,元旦", 2, "date"),  # another year
        ("2027-01-01,rest,元旦\n2027-01-02,maybe,元旦", 2, "kind"),
        ("2027-01-01,休", 1, "name"),
        ("2027-01-05..2027-01-02,休,元旦", 1, "date"),
    ],
)
def test_a_wrong_row_is_named_and_nothing_is_taken(text: str, row: int, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        rules.parse_schedule(2027, text)
    assert (exc.value.errors[0].row, exc.value.errors[0].field) == (row, field)


def test_a_schedule_needs_rest_days_and_a_sane_year() -> None:
    with pytest.raises(ValidationFailed) as exc:
        rules.parse_schedule(2027, "2027-02-14,班,春节")
    assert exc.value.errors[0].field == "days"
    with pytest.raises(ValidationFailed) as exc:
        rules.parse_schedule(1999, SPRING_2027)
    assert exc.value.errors[0].field == "year"


@pytest.fixture
def entered_2027() -> Iterator[None]:
    before = calendar.version()
    days = rules.parse_schedule(2027, SPRING_2027)
    calendar.install({2027: {d.day: d.kind for d in days}}, "test-2027")
    yield
    calendar.install({}, before)


def test_an_entered_year_wins_and_moves_deadlines_that_end_on_its_holidays(entered_2027) -> None:
    assert 2027 in calendar.known_years() and calendar.version() == "test-2027"
    assert calendar.is_holiday(dt.date(2027, 2, 8))  # a Monday inside the Spring Festival
    assert not calendar.is_holiday(dt.date(2027, 2, 14))  # a Sunday worked instead
    assert calendar.is_holiday(dt.date(2027, 3, 6))  # any other weekend rests
    trigger = dt.datetime(2027, 1, 9, 10, 0, tzinfo=TZ)  # 30 days end on Monday 8 February
    due = due_at(
        trigger, Limit(30, Unit.DAYS), tz=TZ, is_holiday=calendar.is_holiday, in_custody=False
    )
    assert last_day(due) == dt.date(2027, 2, 14)
    # in custody the period is never extended for holidays
    held = due_at(
        trigger, Limit(30, Unit.DAYS), tz=TZ, is_holiday=calendar.is_holiday, in_custody=True
    )
    assert last_day(held) == dt.date(2027, 2, 8)


def test_without_the_year_only_weekends_rest() -> None:
    if 2027 in calendar.package_years():
        pytest.skip("the installed chinese-calendar already knows 2027")
    assert 2027 not in calendar.known_years()
    assert not calendar.is_holiday(dt.date(2027, 2, 8))
    trigger = dt.datetime(2027, 1, 9, 10, 0, tzinfo=TZ)
    due = due_at(
        trigger, Limit(30, Unit.DAYS), tz=TZ, is_holiday=calendar.is_holiday, in_custody=False
    )
    assert last_day(due) == dt.date(2027, 2, 8)


def test_the_package_years_read_back_with_chinese_names() -> None:
    days = calendar.package_schedule(2026)
    assert {d.name for d in days} >= {"元旦", "春节", "国庆节"}
    assert rules.parse_schedule(2026, rules.as_text(days)) == days
