import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from precinct.org import rules
from precinct.org.rules import AgeBand, OfficerData, Period

D = dt.date


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (D(1970, 5, 10), D(2026, 5, 9), 55),
        (D(1970, 5, 10), D(2026, 5, 10), 56),
        (D(2000, 2, 29), D(2026, 2, 28), 25),
        (D(2000, 2, 29), D(2026, 3, 1), 26),
    ],
)
def test_it_counts_completed_years(birth: dt.date, today: dt.date, age: int) -> None:
    assert rules.age_on(birth, today) == age


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (22, AgeBand.UNDER_30),
        (29, AgeBand.UNDER_30),
        (30, AgeBand.FROM_30),
        (49, AgeBand.FROM_40),
        (50, AgeBand.FROM_50),
        (54, AgeBand.FROM_50),
        (55, AgeBand.FROM_55),
        (61, AgeBand.FROM_55),
    ],
)
def test_it_puts_ages_in_bands(age: int, band: AgeBand) -> None:
    today = D(2026, 11, 26)
    assert rules.age_band(D(2026 - age, 6, 1), today) == band


@given(
    birth=st.dates(D(1950, 1, 1), D(2005, 12, 31)), today=st.dates(D(2024, 1, 1), D(2030, 12, 31))
)
def test_birth_range_agrees_with_age_band(birth: dt.date, today: dt.date) -> None:
    band = rules.age_band(birth, today)
    for other in AgeBand:
        earliest, latest = rules.birth_range(other, today)
        inside = birth <= latest and (earliest is None or birth > earliest)
        assert inside == (other == band), (other, earliest, latest)


def _officer(**over: object) -> OfficerData:
    base: dict[str, object] = dict(
        police_number="230001",
        name="王伟",
        gender=rules.Gender.MALE,
        birth_date=D(1980, 1, 1),
        hire_date=D(2002, 7, 1),
        rank="一级警司",
        post_type=rules.PostType.CRIMINAL,
        status=rules.OfficerStatus.ACTIVE,
        party=rules.Party.CPC_MEMBER,
    )
    base.update(over)
    return OfficerData(**base)  # type: ignore[arg-type]


def test_a_good_officer_passes() -> None:
    assert rules.check_officer(_officer(), D(2026, 11, 26)) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"police_number": "23001"}, "police_number"),
        ({"police_number": "23000A"}, "police_number"),
        ({"name": "  "}, "name"),
        ({"rank": "大将"}, "rank"),
        ({"birth_date": D(2027, 1, 1)}, "birth_date"),
        ({"birth_date": D(2015, 1, 1)}, "birth_date"),
        ({"hire_date": D(2027, 1, 1)}, "hire_date"),
        ({"hire_date": D(1990, 1, 1)}, "hire_date"),
    ],
)
def test_bad_officer_fields_are_named(change: dict[str, object], field: str) -> None:
    errors = rules.check_officer(_officer(**change), D(2026, 11, 26))
    assert [e.field for e in errors] == [field]


def test_a_new_posting_must_follow_the_open_one() -> None:
    open_one = Period(D(2024, 1, 1), None)
    assert rules.check_assignment(Period(D(2025, 1, 1), None), [open_one]) == []
    errors = rules.check_assignment(Period(D(2023, 6, 1), None), [open_one])
    assert errors and errors[0].field == "start"


def test_a_new_posting_may_not_overlap_a_closed_one() -> None:
    closed = Period(D(2022, 1, 1), D(2024, 1, 1))
    assert rules.check_assignment(Period(D(2023, 1, 1), D(2023, 6, 1)), [closed])
    assert rules.check_assignment(Period(D(2024, 1, 1), None), [closed]) == []


def test_the_current_posting_is_the_one_in_force() -> None:
    periods = {"a": Period(D(2020, 1, 1), D(2024, 1, 1)), "b": Period(D(2024, 1, 1), None)}
    assert rules.current_period(periods, D(2023, 12, 31)) == "a"
    assert rules.current_period(periods, D(2024, 1, 1)) == "b"
    assert rules.current_period(periods, D(2019, 1, 1)) is None


def test_unit_parents_follow_the_tree() -> None:
    K = rules.UnitKind
    assert rules.check_unit_parent(K.STATION, K.SUB_BUREAU) == []
    assert rules.check_unit_parent(K.STATION, K.STATION)
    assert rules.check_unit_parent(K.SUB_BUREAU, None)
    assert rules.check_unit_parent(K.BUREAU, None) == []


GOOD_ROW = {
    "police_number": "230099",
    "name": "李娜",
    "gender": "女",
    "birth_date": "1990-03-04",
    "hire_date": dt.datetime(2012, 7, 1),
    "rank": "二级警司",
    "post_type": "社区民警",
    "status": "在职",
    "party": "中共党员",
    "unit_code": "XY01",
    "position": "民警",
    "start": None,
}


def test_a_roster_row_is_cleaned() -> None:
    row, errors = rules.parse_roster_row(5, GOOD_ROW, D(2026, 11, 26))
    assert errors == []
    assert row is not None
    assert row.officer.gender == rules.Gender.FEMALE
    assert row.officer.post_type == rules.PostType.COMMUNITY
    assert row.officer.hire_date == D(2012, 7, 1)
    assert row.start is None


def test_roster_errors_name_the_row_and_column() -> None:
    bad = dict(GOOD_ROW, gender="X", birth_date="1990-13-01", name="")
    row, errors = rules.parse_roster_row(7, bad, D(2026, 11, 26))
    assert row is None
    assert {(e.row, e.field) for e in errors} == {(7, "性别"), (7, "出生日期"), (7, "姓名")}
