"""The 24-hour patrol roster: shifts, and officers taking turns on the cars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# --- the 24-hour roster ------------------------------------------------------------------------
SHIFTS = (("day", 8), ("night", 20))  # (name, start hour); each runs 12 hours


@dataclass(frozen=True)
class RosterSlot:
    day: dt.date
    shift: str  # "day" or "night"
    car: int  # index of the car
    officer: Any


def roster(officers: Sequence[Any], cars: int, first: dt.date, days: int) -> list[RosterSlot]:
    """One brigade officer per car per 12-hour shift, 24 hours a day, for ``days`` days: officers
    take turns in a fixed rotation, nobody works two shifts in a row (a night is followed by at
    least a day off duty before the next shift). Needs at least 2 × cars + cars officers (the
    night crew rests through the next day shift); raises ValueError naming the shortfall."""
    need = 3 * cars
    if len(officers) < need:
        raise ValueError(
            f"a 24-hour roster of {cars} cars needs at least {need} officers (got {len(officers)})"
        )
    out: list[RosterSlot] = []
    queue = list(officers)
    resting: list[Any] = []  # off the last night: not on the next day shift
    for d in range(days):
        day = first + dt.timedelta(days=d)
        for name, _start in SHIFTS:
            on = [o for o in queue if o not in resting][:cars]
            for car, officer in enumerate(on):
                out.append(RosterSlot(day, name, car, officer))
            # those on shift go to the back of the line
            queue = [o for o in queue if o not in on] + on
            resting = on if name == "night" else []
    return out


def shift_at(at: dt.datetime) -> tuple[dt.date, str]:
    """The roster day and shift of a local time (a night shift belongs to the day it began)."""
    hour = at.hour
    if 8 <= hour < 20:
        return at.date(), "day"
    if hour >= 20:
        return at.date(), "night"
    return at.date() - dt.timedelta(days=1), "night"
