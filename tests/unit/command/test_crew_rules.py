"""The crew terminal's buttons and shifts (pure)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from precinct.command import rules
from precinct.command.rules import crew

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("status", "assigned", "buttons"),
    [
        ("dispatched", True, ("en_route", "on_scene")),
        ("en_route", True, ("on_scene",)),
        ("on_scene", True, ("clear",)),
        ("available", False, ("off_duty",)),
        ("returning", False, ("available", "off_duty")),
        ("off_duty", False, ("available",)),
        ("on_scene", False, ("available",)),  # busy with nothing to clear: back on patrol
        ("available", True, ()),
    ],
)
def test_a_crew_sees_the_buttons_of_its_cars_status(status, assigned, buttons) -> None:
    assert crew.crew_buttons(status, assigned=assigned) == buttons


def test_every_button_is_a_move_the_unit_lifecycle_allows() -> None:
    table = crew.button_table()
    assert set(table) == {"assigned", "free"} and set(table["free"]) == set(rules.UNIT_MOVES)
    for by_status in table.values():
        for status, buttons in by_status.items():
            for button in buttons:
                assert crew.STEP_STATUS[button] in rules.UNIT_MOVES[status], (status, button)


@pytest.mark.parametrize(
    ("local", "name", "start", "end"),
    [
        (dt.datetime(2026, 3, 1, 8, 0), "day", (3, 1, 8), (3, 1, 20)),
        (dt.datetime(2026, 3, 1, 19, 59), "day", (3, 1, 8), (3, 1, 20)),
        (dt.datetime(2026, 3, 1, 20, 0), "night", (3, 1, 20), (3, 2, 8)),
        (dt.datetime(2026, 3, 2, 7, 59), "night", (3, 1, 20), (3, 2, 8)),  # the night began
        (dt.datetime(2026, 2, 28, 23, 0), "night", (2, 28, 20), (3, 1, 8)),  # month end
    ],
)
def test_the_shift_window_of_a_local_time(local, name, start, end) -> None:
    got = crew.shift_window(local.replace(tzinfo=TZ))
    assert got[0] == name
    assert got[1] == dt.datetime(2026, *start, tzinfo=TZ)
    assert got[2] == dt.datetime(2026, *end, tzinfo=TZ)
