"""Secondment rules (动态用警): the plan's checks, the state moves, the seconded share."""

import datetime as dt

import pytest

from precinct.org import rules
from precinct.org.rules import (
    OfficerStatus,
    Period,
    SecondmentDraft,
    SecondmentSpan,
    SecondmentStatus,
    UnitKind,
)

D = dt.date
TODAY = D(2026, 11, 26)
S = SecondmentStatus


def _draft(**over: object) -> SecondmentDraft:
    base: dict[str, object] = dict(
        from_unit="ZA",
        from_kind=UnitKind.DEPARTMENT,
        to_kind=UnitKind.STATION,
        start=D(2026, 12, 1),
        planned_end=D(2029, 12, 1),
        purpose="充实基层警力",
        posted_unit="ZA",
        officer_status=OfficerStatus.ACTIVE,
    )
    base.update(over)
    return SecondmentDraft(**base)  # type: ignore[arg-type]


def _fields(draft: SecondmentDraft, others: list[Period] | None = None) -> list[str]:
    return [e.field for e in rules.check_secondment(draft, others or [], today=TODAY)]


@pytest.mark.parametrize("to_kind", [UnitKind.STATION, UnitKind.SUB_BUREAU, UnitKind.BRIGADE])
def test_it_accepts_a_headquarters_officer_to_a_grassroots_unit(to_kind: UnitKind) -> None:
    assert _fields(_draft(to_kind=to_kind)) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from_kind": UnitKind.STATION}, "from_unit"),
        ({"from_kind": UnitKind.SUB_BUREAU}, "from_unit"),
        ({"from_kind": UnitKind.BUREAU}, "from_unit"),
        ({"to_kind": UnitKind.DEPARTMENT}, "to_unit"),
        ({"to_kind": UnitKind.BUREAU}, "to_unit"),
        ({"planned_end": D(2026, 12, 1)}, "planned_end"),  # the same day as the start
        ({"planned_end": D(2026, 11, 30)}, "planned_end"),
        ({"planned_end": D(2031, 12, 2)}, "planned_end"),  # five years and a day
        ({"start": D(2027, 12, 2), "planned_end": D(2028, 12, 1)}, "start"),  # > a year ahead
        ({"purpose": "  "}, "purpose"),
        ({"purpose": "x" * 201}, "purpose"),
        ({"posted_unit": "JJ"}, "officer"),  # posted in another department on the start date
        ({"posted_unit": None}, "officer"),  # not posted anywhere then (not yet hired)
        ({"officer_status": OfficerStatus.SECOND_LINE}, "officer"),
        ({"officer_status": OfficerStatus.RETIRED}, "officer"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, object], field: str) -> None:
    assert _fields(_draft(**change)) == [field]


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (D(2026, 12, 1), D(2031, 12, 1), True),  # exactly five years
        (D(2024, 2, 29), D(2029, 2, 28), True),  # from 29 February: five years end on the 28th
        (D(2024, 2, 29), D(2029, 3, 1), False),
        (D(2020, 1, 1), D(2022, 1, 1), True),  # recorded after the fact
    ],
)
def test_at_most_five_years(start: dt.date, end: dt.date, ok: bool) -> None:
    assert (_fields(_draft(start=start, planned_end=end)) == []) == ok


@pytest.mark.parametrize(
    ("other", "overlaps"),
    [
        (Period(D(2025, 1, 1), D(2026, 12, 1)), False),  # ends the day this one starts
        (Period(D(2025, 1, 1), D(2026, 12, 2)), True),
        (Period(D(2029, 12, 1), D(2030, 6, 1)), False),  # starts the day this one ends
        (Period(D(2029, 11, 30), D(2030, 6, 1)), True),
        (Period(D(2027, 1, 1), D(2027, 6, 1)), True),  # inside
        (Period(D(2020, 1, 1), D(2035, 1, 1)), True),  # around
    ],
)
def test_no_two_open_secondments_of_an_officer_overlap(other: Period, overlaps: bool) -> None:
    assert _fields(_draft(), [other]) == (["start"] if overlaps else [])


def test_all_the_problems_are_reported_at_once() -> None:
    draft = _draft(
        from_kind=UnitKind.STATION,
        to_kind=UnitKind.DEPARTMENT,
        planned_end=D(2026, 1, 1),
        purpose="",
        posted_unit="JJ",
    )
    assert _fields(draft) == ["from_unit", "to_unit", "planned_end", "purpose", "officer"]


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        (S.PLANNED, S.ACTIVE, True),
        (S.PLANNED, S.CANCELLED, True),
        (S.PLANNED, S.RETURNED, False),
        (S.PLANNED, S.STAYED, False),
        (S.ACTIVE, S.RETURNED, True),
        (S.ACTIVE, S.STAYED, True),
        (S.ACTIVE, S.CANCELLED, False),
        (S.ACTIVE, S.PLANNED, False),
        (S.RETURNED, S.ACTIVE, False),
        (S.RETURNED, S.STAYED, False),
        (S.STAYED, S.RETURNED, False),
        (S.CANCELLED, S.ACTIVE, False),
    ],
)
def test_the_state_moves(current: S, target: S, ok: bool) -> None:
    errors = rules.check_move(current, target)
    assert (errors == []) == ok
    assert all(e.field == "status" for e in errors)


def test_every_state_is_in_the_move_table() -> None:
    assert set(rules.SECONDMENT_MOVES) == set(S)
    assert set(rules.OPEN_SECONDMENTS) == {S.PLANNED, S.ACTIVE}


@pytest.mark.parametrize(
    ("on", "field"),
    [
        (D(2026, 1, 1), None),
        (D(2025, 6, 1), None),  # the day it started
        (TODAY, None),
        (D(2025, 5, 31), "on"),
        (D(2026, 11, 27), "on"),  # tomorrow
    ],
)
def test_the_end_of_a_secondment(on: dt.date, field: str | None) -> None:
    errors = rules.check_end(D(2025, 6, 1), on, TODAY)
    assert [e.field for e in errors] == ([field] if field else [])


def _span(key: str, officer: str, status: S, start: dt.date, end: dt.date | None = None):
    return SecondmentSpan(key, officer, status, start, end)


@pytest.mark.parametrize(
    ("span", "counted"),
    [
        (_span("a", "o", S.ACTIVE, D(2025, 1, 1)), True),
        (_span("a", "o", S.ACTIVE, TODAY), True),  # from its first day
        (_span("a", "o", S.ACTIVE, D(2026, 11, 27)), False),  # approved, starts tomorrow
        (_span("a", "o", S.PLANNED, D(2025, 1, 1)), False),  # not approved
        (_span("a", "o", S.CANCELLED, D(2025, 1, 1)), False),
        (_span("a", "o", S.RETURNED, D(2025, 1, 1), TODAY), False),  # back today
        (_span("a", "o", S.RETURNED, D(2025, 1, 1), D(2026, 11, 27)), True),  # back tomorrow
        (_span("a", "o", S.STAYED, D(2023, 1, 1), D(2026, 1, 1)), False),
    ],
)
def test_which_secondments_are_in_force(span: SecondmentSpan, counted: bool) -> None:
    assert rules.in_force(span, TODAY) == counted


HQ = {"ZA": ["za1", "za2", "za3", "za4"], "JJ": ["jj1", "jj2"], "BZ": []}


@pytest.mark.parametrize(
    ("spans", "what_if", "overall", "by_unit"),
    [
        ([], [], (6, 0), {"ZA": (4, 0), "JJ": (2, 0), "BZ": (0, 0)}),
        (
            [
                _span("1", "za1", S.ACTIVE, D(2024, 1, 1)),
                _span("2", "za2", S.ACTIVE, D(2025, 1, 1)),
                _span("3", "za3", S.PLANNED, D(2026, 12, 1)),
                _span("4", "jj1", S.ACTIVE, D(2023, 12, 1)),
            ],
            [],
            (6, 3),
            {"ZA": (4, 2), "JJ": (2, 1), "BZ": (0, 0)},
        ),
        (  # the what-if counts the chosen plan, even one that starts later
            [
                _span("1", "za1", S.ACTIVE, D(2024, 1, 1)),
                _span("3", "za3", S.PLANNED, D(2026, 12, 1)),
                _span("5", "jj2", S.PLANNED, D(2026, 12, 1)),
            ],
            ["3"],
            (6, 2),
            {"ZA": (4, 2), "JJ": (2, 0), "BZ": (0, 0)},
        ),
        (  # an officer counts once: an active secondment and a follow-on plan
            [
                _span("1", "za1", S.ACTIVE, D(2024, 1, 1)),
                _span("6", "za1", S.PLANNED, D(2027, 1, 1)),
            ],
            ["6"],
            (6, 1),
            {"ZA": (4, 1), "JJ": (2, 0), "BZ": (0, 0)},
        ),
        (  # officers who are no longer in headquarters (stayed) are not counted
            [_span("7", "xy9", S.ACTIVE, D(2024, 1, 1))],
            [],
            (6, 0),
            {"ZA": (4, 0), "JJ": (2, 0), "BZ": (0, 0)},
        ),
    ],
)
def test_the_seconded_share(spans, what_if, overall, by_unit) -> None:
    share = rules.seconded_share(HQ, spans, TODAY, what_if=what_if)
    assert (share.hq_officers, share.seconded) == overall
    assert {r.unit: (r.hq_officers, r.seconded) for r in share.by_unit} == by_unit
    assert share.share == pytest.approx(overall[1] / overall[0])
    assert next(r for r in share.by_unit if r.unit == "BZ").share == 0.0  # no officers: 0


def test_an_empty_headquarters_has_a_share_of_zero() -> None:
    share = rules.seconded_share({}, [], TODAY)
    assert (share.hq_officers, share.seconded, share.share, share.by_unit) == (0, 0, 0.0, [])


@pytest.mark.parametrize(
    ("hq", "seconded", "goal", "short"),
    [
        (100, 60, 0.6, 0),
        (100, 59, 0.6, 1),
        (560, 300, 0.6, 36),
        (7, 4, 0.6, 1),  # 4.2 → 5 officers
        (10, 6, 0.6, 0),  # 0.6 × 10 is 6 exactly, despite floating point
        (0, 0, 0.6, 0),
        (10, 10, 1.0, 0),
    ],
)
def test_how_many_are_short_of_the_goal(hq: int, seconded: int, goal: float, short: int) -> None:
    assert rules.short_of_goal(hq, seconded, goal) == short
