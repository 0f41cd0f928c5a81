"""Campaign checklists: flags by due date, progress, the moves an item may make, a new
campaign's fields named when wrong."""

import datetime as dt

import pytest

from precinct.campaigns import rules as r
from precinct.core.errors import ValidationFailed

TODAY = dt.date(2026, 6, 15)
D = dt.date


@pytest.mark.parametrize(
    ("status", "due", "done_on", "flag"),
    [
        ("done", D(2026, 6, 10), D(2026, 6, 9), "done"),
        ("done", D(2026, 6, 10), D(2026, 6, 10), "done"),  # on the day is on time
        ("done", D(2026, 6, 10), D(2026, 6, 11), "late_done"),
        ("open", D(2026, 6, 14), None, "overdue"),
        ("in_progress", D(2026, 6, 14), None, "overdue"),
        ("open", D(2026, 6, 15), None, "due_soon"),  # due today is not yet overdue
        ("open", D(2026, 6, 18), None, "due_soon"),  # three days ahead
        ("open", D(2026, 6, 19), None, "open"),
    ],
)
def test_item_flags(status: str, due: dt.date, done_on: dt.date | None, flag: str) -> None:
    assert r.item_flag(r.ItemFacts(status, due, "u", done_on), TODAY) == flag


ITEMS = [
    r.ItemFacts("done", D(2026, 6, 1), "A", D(2026, 5, 30)),
    r.ItemFacts("done", D(2026, 6, 1), "A", D(2026, 6, 3)),  # late
    r.ItemFacts("open", D(2026, 6, 2), "B"),  # overdue
    r.ItemFacts("in_progress", D(2026, 6, 16), "B"),  # due soon
    r.ItemFacts("open", D(2026, 7, 1), "A"),
]


def test_progress_counts_and_shares() -> None:
    p = r.progress(ITEMS, TODAY)
    assert (p.total, p.done, p.overdue, p.due_soon, p.late_done) == (5, 2, 1, 1, 1)
    assert p.share == pytest.approx(2 / 5)
    # due by now: the two done and the overdue one; one of them in time
    assert p.on_time == pytest.approx(1 / 3)
    empty = r.progress([], TODAY)
    assert empty.share is None and empty.on_time is None


def test_progress_by_owner_keeps_first_seen_order() -> None:
    by = r.progress_by_owner(ITEMS, TODAY)
    assert list(by) == ["A", "B"]
    assert (by["A"].total, by["A"].done) == (3, 2)
    assert (by["B"].total, by["B"].overdue) == (2, 1)


@pytest.mark.parametrize(
    ("today", "closed", "phase"),
    [
        (D(2026, 4, 30), False, "planned"),
        (D(2026, 5, 1), False, "active"),
        (D(2026, 8, 8), False, "active"),
        (D(2026, 8, 9), False, "ended"),
        (D(2026, 5, 5), True, "closed"),
    ],
)
def test_phase(today: dt.date, closed: bool, phase: str) -> None:
    assert r.phase(D(2026, 5, 1), D(2026, 8, 8), closed, today) == phase


def _fields(errors: list) -> list[str]:
    return [e.field for e in errors]


def test_done_needs_evidence_and_reopening_is_for_managers_with_a_reason() -> None:
    assert _fields(r.check_move("open", "done", evidence=" ", reason="", manager=False)) == [
        "evidence"
    ]
    assert r.check_move("open", "done", evidence="台账已录入", reason="", manager=False) == []
    assert r.check_move("open", "in_progress", evidence="", reason="", manager=False) == []
    assert _fields(r.check_move("done", "open", evidence="", reason="x", manager=False)) == [
        "status"
    ]
    assert _fields(r.check_move("done", "open", evidence="", reason="", manager=True)) == ["reason"]
    assert r.check_move("done", "open", evidence="", reason="证据不足", manager=True) == []
    assert _fields(r.check_move("open", "open", evidence="", reason="", manager=True)) == ["status"]
    assert _fields(r.check_move("open", "finished", evidence="", reason="", manager=True)) == [
        "status"
    ]
    long = "x" * (r.MAX_EVIDENCE + 1)
    assert _fields(r.check_move("open", "done", evidence=long, reason="", manager=True)) == [
        "evidence"
    ]


def test_a_campaigns_fields_are_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        r.check_campaign({"code": "", "name": "x" * 101, "level": "county",
                          "starts": D(2026, 5, 1), "ends": D(2026, 4, 1)})  # fmt: skip
    assert _fields(caught.value.errors) == ["code", "name", "level", "ends"]
    with pytest.raises(ValidationFailed) as caught:
        r.check_campaign({"code": "A", "name": "B", "starts": None, "ends": D(2026, 4, 1)})
    assert _fields(caught.value.errors) == ["starts"]
    with pytest.raises(ValidationFailed) as caught:
        r.check_campaign({"code": "A", "name": "B", "starts": D(2026, 1, 1),
                          "ends": D(2030, 1, 1)})  # fmt: skip
    assert _fields(caught.value.errors) == ["ends"]
    clean = r.check_campaign({"code": " YJ-2026 ", "name": "云剑", "starts": D(2026, 1, 1),
                              "ends": D(2026, 8, 1)})  # fmt: skip
    assert clean["code"] == "YJ-2026" and clean["level"] == "city" and clean["goal"] == ""


def test_items_fall_within_the_campaign_and_are_named_by_row() -> None:
    s, e = D(2026, 5, 1), D(2026, 8, 8)
    assert r.check_item("排查", D(2026, 5, 1), starts=s, ends=e) == []
    errors = r.check_item("", D(2026, 9, 1), starts=s, ends=e, row=3)
    assert [(x.field, x.row) for x in errors] == [("task", 3), ("due", 3)]
    assert _fields(r.check_item("排查", None, starts=s, ends=e)) == ["due"]


def test_targets() -> None:
    assert _fields(r.check_target("", "votes", 0)) == ["name", "metric", "goal"]
    assert r.check_target("破案", "cases", 10) == []
    assert r.target_share(15, 10) == 1.5 and r.target_share(3, 0) == 0.0
