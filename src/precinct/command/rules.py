"""Command and patrol rules: incident and unit lifecycles, intake validation, the idempotency
digest, the ranking of recommendations and the masking of callers' numbers. Pure: no I/O, no
clock (times are arguments)."""

from __future__ import annotations

import bisect
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
# dispositions: handled on the street by patrol, handed to a station, to criminal investigation,
# transferred as non-police
STREET, TO_STATION, TO_CID, NON_POLICE = "street", "station", "criminal_investigation", "non_police"
DISPOSITIONS = (STREET, TO_STATION, TO_CID, NON_POLICE)

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
    )


def body_digest(body: Mapping[str, Any]) -> str:
    """What an idempotency key is bound to: the request body, canonical (key order and
    whitespace do not matter; values do)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits, for roles that need no more."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 and a mobile number
    if len(digits) <= 4:
        return "*" * len(digits)
    head = digits[:3] if len(digits) >= 8 else ""
    return head + "*" * (len(digits) - len(head) - 4) + digits[-4:]


def can_move(moves: Mapping[str, Sequence[str]], current: str, target: str) -> bool:
    return target in moves.get(current, ())


# --- recommendation ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    unit_id: Any
    call_sign: str
    status: str
    seconds: float | None  # road-network travel to the incident; None: no position / unreachable
    meters: float | None
    position_age_s: float | None  # how old the unit's last position is


@dataclass(frozen=True)
class Recommendation:
    rank: int
    unit_id: Any
    call_sign: str
    eta_seconds: float
    meters: float
    why: tuple[tuple[str, dict[str, Any]], ...]  # (message template, params) to translate

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "unit_id": self.unit_id,
            "call_sign": self.call_sign,
            "eta_seconds": round(self.eta_seconds, 1),
            "distance_m": round(self.meters),
            "why": [message % params if params else message for message, params in self.why],
        }


STALE_POSITION_S = 300.0


def recommend(candidates: Sequence[Candidate], *, limit: int = 5) -> list[Recommendation]:
    """Available units by travel time (call sign breaks ties), each with why: the nearest
    available; which busy units are closer; a position too old to trust."""
    reachable = [c for c in candidates if c.seconds is not None and c.meters is not None]
    reachable.sort(key=lambda c: (c.seconds, c.call_sign))
    available = [c for c in reachable if c.status == AVAILABLE]
    out: list[Recommendation] = []
    for rank, c in enumerate(available[:limit], start=1):
        assert c.seconds is not None and c.meters is not None
        why: list[tuple[str, dict[str, Any]]] = []
        if rank == 1:
            why.append((_("nearest available unit"), {}))
        else:
            ahead = out[0]
            why.append(
                (
                    _("%(s)s s slower than %(first)s"),
                    {"s": round(c.seconds - ahead.eta_seconds), "first": ahead.call_sign},
                )
            )
        closer_busy = [
            b.call_sign
            for b in reachable
            if b.status in BUSY and b.seconds is not None and b.seconds < c.seconds
        ]
        if closer_busy and rank == 1:
            why.append((_("closer units busy: %(units)s"), {"units": ", ".join(closer_busy[:5])}))
        if c.position_age_s is not None and c.position_age_s > STALE_POSITION_S:
            why.append((_("last position %(m)s min old"), {"m": round(c.position_age_s / 60)}))
        out.append(Recommendation(rank, c.unit_id, c.call_sign, c.seconds, c.meters, tuple(why)))
    return out


def seconds_between(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds()


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


# --- figures ----------------------------------------------------------------------------------
# Street-handling rate (街面警情处置率): of the police incidents closed in the period — every
# incident except those transferred as non-police — the share closed by the patrol on the street
# (disposition "street"), i.e. not handed to a station or to criminal investigation.
PLAN_CARS_PER_HOUR = (48,) * 24  # the 24-hour patrol: every car on the road every hour


@dataclass(frozen=True)
class IncidentFacts:
    received_at: dt.datetime  # local time (the bureau's zone)
    dispatched_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    closed_at: dt.datetime | None
    category: str
    priority: int
    disposition: str
    station: str


def street_handling(rows: Sequence[IncidentFacts]) -> tuple[int, int, float | None]:
    """(handled on the street, police incidents closed, rate); rate None when there are none."""
    police = [
        r for r in rows if r.closed_at is not None and r.disposition and r.disposition != NON_POLICE
    ]
    street = sum(1 for r in police if r.disposition == STREET)
    return street, len(police), (street / len(police) if police else None)


RESPONSE_BANDS = (3.0, 5.0, 8.0, 12.0, 20.0)  # minutes from the call to the first car on scene


def street_by_response(
    rows: Sequence[IncidentFacts], bands: Sequence[float] = RESPONSE_BANDS
) -> list[tuple[float | None, int, int]]:
    """Street handling by how soon a car was on scene (received → on scene): for each band, its
    upper bound in minutes (None: the open last band), the police incidents closed that were
    handled on the street and all of them. Incidents no car reached are left out."""
    street = [0] * (len(bands) + 1)
    police = [0] * (len(bands) + 1)
    for r in rows:
        if r.closed_at is None or not r.disposition or r.disposition == NON_POLICE:
            continue
        seconds = seconds_between(r.received_at, r.on_scene_at)
        if seconds is None:
            continue
        band = bisect.bisect_left(bands, seconds / 60)
        police[band] += 1
        street[band] += r.disposition == STREET
    uppers: list[float | None] = [*bands, None]
    return list(zip(uppers, street, police, strict=True))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): a value that occurred, no interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _spans(
    rows: Sequence[IncidentFacts],
) -> tuple[list[tuple[IncidentFacts, float]], list[tuple[IncidentFacts, float]]]:
    to_dispatch = [
        (r, s) for r in rows if (s := seconds_between(r.received_at, r.dispatched_at)) is not None
    ]
    to_scene = [
        (r, s) for r in rows if (s := seconds_between(r.dispatched_at, r.on_scene_at)) is not None
    ]
    return to_dispatch, to_scene


def response_percentiles(
    rows: Sequence[IncidentFacts], key: Any
) -> dict[Any, dict[str, float | int | None]]:
    """By ``key(row)``: count and p50/p90/p95 seconds of received→dispatched and
    dispatched→on scene."""
    to_dispatch, to_scene = _spans(rows)
    groups: dict[Any, tuple[list[float], list[float]]] = {}
    for r, s in to_dispatch:
        groups.setdefault(key(r), ([], []))[0].append(s)
    for r, s in to_scene:
        groups.setdefault(key(r), ([], []))[1].append(s)
    out: dict[Any, dict[str, float | int | None]] = {}
    for k in sorted(groups, key=lambda x: (str(type(x)), x)):
        a, b = groups[k]
        out[k] = {
            "n": len(a),
            "dispatch_p50": percentile(a, 50),
            "dispatch_p90": percentile(a, 90),
            "dispatch_p95": percentile(a, 95),
            "n_scene": len(b),
            "scene_p50": percentile(b, 50),
            "scene_p90": percentile(b, 90),
            "scene_p95": percentile(b, 95),
        }
    return out


def on_scene_within(rows: Sequence[IncidentFacts], minutes: float) -> tuple[int, int, float | None]:
    """Of the incidents a unit reached, how many it reached within ``minutes`` of the call
    (received → on scene)."""
    reached = [s for r in rows if (s := seconds_between(r.received_at, r.on_scene_at)) is not None]
    ok = sum(1 for s in reached if s <= minutes * 60)
    return ok, len(reached), (ok / len(reached) if reached else None)


def zero_call_days(
    rows: Sequence[IncidentFacts], stations: Sequence[str], first: dt.date, last: dt.date
) -> dict[str, int]:
    """Days in [first, last] on which a station's area had no incident at all."""
    busy: dict[str, set[dt.date]] = {s: set() for s in stations}
    for r in rows:
        day = r.received_at.date()
        if r.station in busy and first <= day <= last:
            busy[r.station].add(day)
    days = (last - first).days + 1
    return {s: days - len(busy[s]) for s in stations}


def coverage_by_hour(
    cars: int,
    off_spells: Sequence[tuple[dt.datetime, dt.datetime]],
    first: dt.datetime,
    last: dt.datetime,
    plan: Sequence[int] = PLAN_CARS_PER_HOUR,
) -> list[dict[str, float]]:
    """Cars on the road per hour of the day (mean over the days of [first, last), local times),
    against the plan: every car counts except for the part of the hour it was off duty."""
    hours = int((last - first).total_seconds() // 3600)
    if hours <= 0:
        return [
            {"hour": h, "mean": float(cars), "min": float(cars), "plan": plan[h]} for h in range(24)
        ]
    off = [0.0] * hours  # car-seconds off duty in each hour slot
    for start, end in off_spells:
        s, e = max(start, first), min(end, last)
        while s < e:
            slot = int((s - first).total_seconds() // 3600)
            slot_end = first + dt.timedelta(hours=slot + 1)
            step = min(e, slot_end)
            off[slot] += (step - s).total_seconds()
            s = step
    by_hour: dict[int, list[float]] = {h: [] for h in range(24)}
    for slot in range(hours):
        h = (first + dt.timedelta(hours=slot)).hour
        by_hour[h].append(cars - off[slot] / 3600)
    return [
        {
            "hour": h,
            "mean": (sum(v) / len(v)) if v else float(cars),
            "min": min(v) if v else float(cars),
            "plan": plan[h],
        }
        for h, v in by_hour.items()
    ]


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
