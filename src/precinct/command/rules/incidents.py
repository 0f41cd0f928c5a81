"""Incident and unit lifecycles, intake validation, the idempotency digest, callers' numbers masked,
whether a point lies in a zone."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

SOURCES = ("call_110", "walk_in", "patrol", "transfer_12345")
CATEGORIES = ("criminal", "public_order", "traffic", "dispute", "help", "non_police")
PRIORITIES = (1, 2, 3)  # 1 is the most urgent

# incident lifecycle: received → dispatched → acknowledged → on_scene → closed
RECEIVED, DISPATCHED, ACKNOWLEDGED, ON_SCENE, CLOSED = (
    "received",
    "dispatched",
    "acknowledged",
    "on_scene",
    "closed",
)
INCIDENT_STATES = (RECEIVED, DISPATCHED, ACKNOWLEDGED, ON_SCENE, CLOSED)
INCIDENT_MOVES = {
    RECEIVED: (DISPATCHED, CLOSED),  # closed without a car: non-police, transferred, duplicate
    DISPATCHED: (ACKNOWLEDGED, ON_SCENE, RECEIVED, CLOSED),  # RECEIVED: the car was recalled
    ACKNOWLEDGED: (ON_SCENE, RECEIVED, CLOSED),
    ON_SCENE: (CLOSED,),
    CLOSED: (),
}
# dispositions: handled on the street by patrol, handed to a station, to criminal investigation
# (became a case), transferred as non-police, a false alarm; cancelled by the dispatcher (a
# duplicate call, the caller withdrew) with a reason
STREET, TO_STATION, TO_CID, NON_POLICE = "street", "station", "criminal_investigation", "non_police"
FALSE_ALARM, CANCELLED = "false_alarm", "cancelled"
DISPOSITIONS = (STREET, TO_STATION, TO_CID, NON_POLICE, FALSE_ALARM)  # chosen when closing
# closed without police work to count: left out of the street-handling rate's denominator
NOT_POLICE_WORK = frozenset({NON_POLICE, FALSE_ALARM, CANCELLED})
MAX_NOTE = 500

# the steps of an incident's timeline (IncidentEvent.kind)
EV_RECEIVED, EV_DISPATCHED, EV_EN_ROUTE, EV_ON_SCENE = (
    "received",
    "dispatched",
    "en_route",
    "on_scene",
)
EV_CLEARED, EV_RECALLED, EV_CLOSED, EV_CANCELLED = "cleared", "recalled", "closed", "cancelled"
EVENT_KINDS = (
    EV_RECEIVED,
    EV_DISPATCHED,
    EV_EN_ROUTE,
    EV_ON_SCENE,
    EV_CLEARED,
    EV_RECALLED,
    EV_CLOSED,
    EV_CANCELLED,
)

# patrol units
AVAILABLE, U_DISPATCHED, EN_ROUTE, U_ON_SCENE, RETURNING, OFF_DUTY = (
    "available",
    "dispatched",
    "en_route",
    "on_scene",
    "returning",
    "off_duty",
)
UNIT_STATES = (AVAILABLE, U_DISPATCHED, EN_ROUTE, U_ON_SCENE, RETURNING, OFF_DUTY)
UNIT_MOVES = {
    AVAILABLE: (U_DISPATCHED, OFF_DUTY),
    U_DISPATCHED: (EN_ROUTE, U_ON_SCENE, AVAILABLE),
    EN_ROUTE: (U_ON_SCENE, AVAILABLE),
    U_ON_SCENE: (RETURNING, AVAILABLE),
    RETURNING: (AVAILABLE, U_DISPATCHED, OFF_DUTY),
    OFF_DUTY: (AVAILABLE,),
}
BUSY = frozenset({U_DISPATCHED, EN_ROUTE, U_ON_SCENE})
# a unit's status moves the incident it works on
INCIDENT_FOR_UNIT = {EN_ROUTE: ACKNOWLEDGED, U_ON_SCENE: ON_SCENE}

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,22}$")
MAX_SUMMARY = 2000
MAX_ADDRESS = 300


@dataclass(frozen=True)
class IntakeData:
    category: str
    priority: int
    lat: float
    lon: float
    address: str
    summary: str
    caller_phone: str
    source: str
    caller_name: str = ""


def _number(
    body: Mapping[str, Any], name: str, low: float, high: float, errors: list[FieldError]
) -> float:
    """A finite number in [low, high], or a named error (and 0.0)."""
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(FieldError(name, _("must be a number")))
        return 0.0
    if not math.isfinite(value) or not low <= value <= high:
        errors.append(
            FieldError(
                name,
                _("must be between %(low)s and %(high)s"),
                None,
                {"low": low, "high": high},
            )
        )
    return float(value)


def check_position(lon: Any, lat: Any) -> tuple[float, float]:
    """A point on the earth (a ping, an incident's place); every bad coordinate named."""
    errors: list[FieldError] = []
    point = {"lon": lon, "lat": lat}
    x = _number(point, "lon", -180, 180, errors)
    y = _number(point, "lat", -90, 90, errors)
    if errors:
        raise ValidationFailed(errors)
    return x, y


# a terminal's clock may run a little ahead of the server's; more than this is a wrong clock
PING_CLOCK_SKEW = dt.timedelta(minutes=2)


def check_ping_time(at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A position ping's time. One from the future is refused: kept, it would outrank every true
    ping until the clock reached it, and the car would stand still on the board."""
    if at > now + PING_CLOCK_SKEW:
        raise ValidationFailed([FieldError("at", _("is ahead of the server's clock"))])
    return at


def check_intake(body: Mapping[str, Any]) -> IntakeData:
    """An intake body checked field by field; every problem named, nothing accepted half."""
    errors: list[FieldError] = []

    def number(name: str, low: float, high: float) -> float:
        return _number(body, name, low, high, errors)

    def text(name: str, limit: int, *, required: bool) -> str:
        value = body.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(FieldError(name, _("must be text")))
            return ""
        value = value.strip()
        if required and not value:
            errors.append(FieldError(name, _("is required")))
        if len(value) > limit:
            errors.append(
                FieldError(name, _("is longer than %(n)s characters"), None, {"n": limit})
            )
        return value

    category = body.get("category")
    if category not in CATEGORIES:
        errors.append(
            FieldError(
                "category",
                _("must be one of %(choices)s"),
                None,
                {"choices": ", ".join(CATEGORIES)},
            )
        )
    priority = body.get("priority")
    if isinstance(priority, bool) or priority not in PRIORITIES:
        errors.append(FieldError("priority", _("must be 1, 2 or 3")))
    lat = number("lat", -90, 90)
    lon = number("lon", -180, 180)
    address = text("address", MAX_ADDRESS, required=True)
    summary = text("summary", MAX_SUMMARY, required=True)
    phone = text("caller_phone", 24, required=False)
    name = text("caller_name", 60, required=False)
    if phone and not _PHONE.match(phone):
        errors.append(FieldError("caller_phone", _("is not a telephone number")))
    source = body.get("source", "call_110")
    if source not in SOURCES:
        errors.append(
            FieldError(
                "source", _("must be one of %(choices)s"), None, {"choices": ", ".join(SOURCES)}
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return IntakeData(
        str(category),
        int(priority),  # type: ignore[arg-type]
        lat,
        lon,
        address,
        summary,
        phone,
        str(source),
        name,
    )


def body_digest(body: Mapping[str, Any]) -> str:
    """What an idempotency key is bound to: the request body, canonical (key order and
    whitespace do not matter; values do)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_note(value: Any, field: str, *, required: bool) -> str:
    """A free-text note of a step (a cancellation's reason, a disposition's note)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed([FieldError(field, _("must be text"))])
    value = value.strip()
    if required and not value:
        raise ValidationFailed([FieldError(field, _("is required"))])
    if len(value) > MAX_NOTE:
        raise ValidationFailed(
            [FieldError(field, _("is longer than %(n)s characters"), None, {"n": MAX_NOTE})]
        )
    return value


# a step queued on a terminal without a network may arrive hours later; its time is the press's
STEP_MAX_AGE = dt.timedelta(hours=12)


def check_step_time(
    at: dt.datetime | None, now: dt.datetime, after: dt.datetime | None
) -> dt.datetime:
    """When a status step happened: the terminal's time of the press (a step queued offline
    arrives late), kept when it is plausible — not ahead of the server's clock beyond the skew,
    not older than :data:`STEP_MAX_AGE` — and never before the unit's last step; else now."""
    if at is None:
        return now
    if at > now + PING_CLOCK_SKEW:
        raise ValidationFailed([FieldError("at", _("is ahead of the server's clock"))])
    at = min(at, now)
    if at < now - STEP_MAX_AGE:
        raise ValidationFailed([FieldError("at", _("is more than 12 hours old"))])
    return max(at, after) if after is not None else at


@dataclass(frozen=True)
class Step:
    """One line of an incident's timeline."""

    kind: str
    at: dt.datetime
    unit: str = ""  # call sign
    by: str = ""
    disposition: str = ""
    note: str = ""


def steps_from_record(
    received_at: dt.datetime,
    closed_at: dt.datetime | None,
    disposition: str,
    dispatches: Sequence[tuple[dt.datetime, str, str]],
    statuses: Sequence[tuple[dt.datetime, str, str]],
) -> list[Step]:
    """The timeline of an incident recorded before steps were kept one by one (a bulk-loaded
    history): received, each dispatch (at, call sign, dispatcher), each unit status on it (at,
    call sign, status) that is a step, the closing."""
    out = [Step(EV_RECEIVED, received_at)]
    out += [Step(EV_DISPATCHED, at, sign, by) for at, sign, by in dispatches]
    out += [
        Step(status, at, sign)
        for at, sign, status in statuses
        if status in (EV_EN_ROUTE, EV_ON_SCENE)
    ]
    if closed_at is not None:
        kind = EV_CANCELLED if disposition == CANCELLED else EV_CLOSED
        out.append(Step(kind, closed_at, disposition=disposition))
    return sorted(out, key=lambda s: (s.at, EVENT_KINDS.index(s.kind)))


def next_actions(status: str) -> tuple[str, ...]:
    """What the dispatcher can do next with an incident in this state (the board's buttons)."""
    if status == CLOSED:
        return ()
    if status == ON_SCENE:
        return ("close", "dispatch", "cancel")
    return ("dispatch", "cancel", "close")


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits, for roles that need no more."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 and a mobile number
    if len(digits) <= 4:
        return "*" * len(digits)
    head = digits[:3] if len(digits) >= 8 else ""
    return head + "*" * (len(digits) - len(head) - 4) + digits[-4:]


def mask_name(name: str) -> str:
    """张** : the family name only, for roles that need no more."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def can_move(moves: Mapping[str, Sequence[str]], current: str, target: str) -> bool:
    return target in moves.get(current, ())


def point_in_polygon(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting: is (lon, lat) inside the ring [[lon, lat], ...]?"""
    inside, j = False, len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside
