"""The car crew's terminal: which buttons a crew sees for its car's status, what each one asks
of the server, the shift a moment falls in. Pure: no Django, no clock."""

from __future__ import annotations

import datetime as dt

from .incidents import AVAILABLE, EN_ROUTE, OFF_DUTY, U_DISPATCHED, U_ON_SCENE, UNIT_MOVES
from .roster import SHIFTS, shift_at

# the crew's buttons: 出发, 到达现场, 处置完毕 (clearing with a disposition), 空闲, 离线
SET_OFF, ARRIVE, CLEAR, FREE, OFFLINE = "en_route", "on_scene", "clear", "available", "off_duty"
CREW_STEPS = (SET_OFF, ARRIVE, CLEAR, FREE, OFFLINE)
# the unit status each button asks for (处置完毕 is "available" with a disposition)
STEP_STATUS = {
    SET_OFF: EN_ROUTE,
    ARRIVE: U_ON_SCENE,
    CLEAR: AVAILABLE,
    FREE: AVAILABLE,
    OFFLINE: OFF_DUTY,
}

# A car working an incident moves it on (a car sent may report on scene without "on its way"
# first); it leaves it only by clearing with a disposition, or when the centre recalls it.
_ASSIGNED: dict[str, tuple[str, ...]] = {
    U_DISPATCHED: (SET_OFF, ARRIVE),
    EN_ROUTE: (ARRIVE,),
    U_ON_SCENE: (CLEAR,),
}
# A car without an incident: on patrol, coming back, off duty (or a busy status left over).
_FREE: dict[str, tuple[str, ...]] = {
    AVAILABLE: (OFFLINE,),
    "returning": (FREE, OFFLINE),
    OFF_DUTY: (FREE,),
    U_DISPATCHED: (FREE,),
    EN_ROUTE: (FREE,),
    U_ON_SCENE: (FREE,),
}


def crew_buttons(status: str, *, assigned: bool) -> tuple[str, ...]:
    """The buttons a crew sees for its car in ``status`` (with an incident or without): only
    moves the unit lifecycle allows (:data:`UNIT_MOVES`)."""
    table = _ASSIGNED if assigned else _FREE
    return tuple(b for b in table.get(status, ()) if STEP_STATUS[b] in UNIT_MOVES.get(status, ()))


def button_table() -> dict[str, dict[str, list[str]]]:
    """Every status's buttons, with and without an incident (what the terminal's script uses to
    show the buttons of a step it has queued but not sent)."""
    return {
        kind: {s: list(crew_buttons(s, assigned=kind == "assigned")) for s in UNIT_MOVES}
        for kind in ("assigned", "free")
    }


def shift_window(at: dt.datetime) -> tuple[str, dt.datetime, dt.datetime]:
    """The shift running at a local time: its name ("day" 08–20, "night" 20–08), its start and
    its end (in ``at``'s zone)."""
    day, name = shift_at(at)
    start_hour = dict(SHIFTS)[name]
    start = dt.datetime.combine(day, dt.time(start_hour), tzinfo=at.tzinfo)
    return name, start, start + dt.timedelta(hours=12)
