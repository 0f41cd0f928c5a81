"""The car profile: what a patrol car may drive and how fast, read from OpenStreetMap tags. Pure
data and pure functions (no I/O); a bureau gives its own as JSON (``precinct network load FILE
--profile profile.json``), anything it leaves out is taken from :data:`DEFAULT`.

- **Speed** of an edge: the patrol speed of its road class, capped by the legal limit where the
  way has one (``maxspeed``, ``maxspeed:forward``/``maxspeed:backward``; km/h, ``mph``,
  ``knots``; zone codes such as ``CN:urban``; ``walk``; ``none`` = no cap; ``50;30`` = the lowest).
- **Access**: ``access`` < ``vehicle`` < ``motor_vehicle`` < ``motorcar`` (< the categories the
  bureau's cars are exempt as, e.g. ``emergency``): the most specific tag with a known value wins,
  a direction-specific one (``motor_vehicle:forward``) before the plain one. Open, closed, or
  destination-only (driven only to start or end a trip).
- **One-ways**: ``oneway`` (and ``oneway:motorcar`` …), ``reversible`` (closed unless a condition
  says when), ``alternating`` (both ways), ``oneway:conditional`` by time of day.
- **Turn restrictions**: which ``restriction`` tag applies to our cars and whether ``except=``
  exempts them.
- **Barriers**: which ``barrier=*`` nodes a car cannot pass (bollards, blocks; not gates unless
  they say ``access=no``).

Time conditions (``yes @ (Mo-Fr 07:00-09:00)``) are read into a mask of the 24 hours of a day: a
direction is open in an hour only if it is open during all of that hour on every day of the week.
A condition that closes a direction counts on every day it may apply (its weekdays are ignored), one
that opens a direction only where it holds every day; one that cannot be read is taken as always in
force when it closes and never when it opens. Rush-hour closures are kept; nothing is ever opened
that might be closed."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Any

from .graph import ALL_HOURS, DEFAULT_SPEED_KMH, RoadClass

FORWARD, BACKWARD = "forward", "backward"
MPH = 1.609344
KNOT = 1.852


class ProfileError(ValueError):
    """A car profile that cannot be used; the message names the field."""


class Access(IntEnum):
    CLOSED = 0
    DESTINATION = 1  # private, destination, customers, delivery: only to start or end a trip
    OPEN = 2


# Legal default limits by zone code (``maxspeed=<country>:<zone>``), km/h; None: no limit.
# From the OSM wiki's "Default speed limits" and "Key:maxspeed" pages; China from the Road Traffic
# Safety Law's implementing regulation (道路交通安全法实施条例), art. 45 (no signs: urban road 30 km/h
# without a centre line, 50 with one lane each way; highway 40 and 70) and art. 78 (expressway at
# most 120 km/h). A code with no lane information takes the higher figure: it is only a cap.
ZONES_KMH: dict[str, float | None] = {
    "CN:urban": 50.0,
    "CN:rural": 70.0,
    "CN:motorway": 120.0,
    "CN:expressway": 120.0,
    "DE:urban": 50.0,
    "DE:rural": 100.0,
    "DE:motorway": None,  # no general limit (130 advisory)
    "DE:living_street": 7.0,  # walking pace
    "DE:bicycle_road": 30.0,
    "FI:urban": 50.0,
    "FI:rural": 80.0,
    "FI:motorway": 120.0,
    "FI:living_street": 20.0,  # pihakatu
    "RU:urban": 60.0,
    "RU:rural": 90.0,
    "RU:motorway": 110.0,
    "RU:living_street": 20.0,
    "FR:urban": 50.0,
    "FR:rural": 80.0,
    "FR:motorway": 130.0,
    "IT:urban": 50.0,
    "IT:rural": 90.0,
    "IT:motorway": 130.0,
    "GB:nsl_single": 60 * MPH,
    "GB:nsl_dual": 70 * MPH,
    "GB:motorway": 70 * MPH,
}
WALK_KMH = 7.0  # "walking pace": no legal figure in Germany or Austria; courts say 4 to 7 km/h
ACCESS_KEYS = ("access", "vehicle", "motor_vehicle", "motorcar")
ACCESS_OPEN = ("yes", "permissive", "designated", "official", "discouraged")
ACCESS_DESTINATION = ("destination", "private", "customers", "delivery", "permit")
ACCESS_CLOSED = (
    "no",
    "agricultural",
    "forestry",
    "psv",
    "bus",
    "emergency",
    "military",
    "restricted",
    "use_sidepath",
)
# barriers a car cannot pass unless the node's own access tags open it (``barrier=gate`` and
# ``lift_gate`` are passable unless they say ``access=no``)
BARRIERS_CLOSED = (
    "block",
    "bollard",
    "bus_trap",
    "chain",
    "cycle_barrier",
    "debris",
    "fence",
    "full-height_turnstile",
    "jersey_barrier",
    "kissing_gate",
    "log",
    "motorcycle_barrier",
    "planter",
    "rope",
    "stile",
    "sump_buster",
    "turnstile",
    "wall",
)
TIMED = ("always", "never")
_CLASS_NAMES = {c.name.lower(): c for c in RoadClass}


@dataclass(frozen=True)
class CarProfile:
    """How a bureau's patrol cars use the roads. ``patrol_kmh``: the speed kept on each road
    class (the legal limit caps it); ``zones_kmh``: zone codes' legal limits (None: no limit);
    ``exempt``: the categories our cars count as for ``except=`` on turn restrictions and as the
    most specific access tag (``["emergency"]``: ``emergency=yes`` opens a bus street,
    ``except=emergency`` lifts a turn restriction); ``timed_restrictions``: ``always`` (a turn
    restriction that holds only at some hours is kept all day) or ``never`` (left out);
    ``barriers_closed``: the ``barrier=*`` kinds a car cannot pass."""

    patrol_kmh: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {c.name.lower(): float(DEFAULT_SPEED_KMH[c]) for c in RoadClass}
        )
    )
    zones_kmh: Mapping[str, float | None] = field(
        default_factory=lambda: MappingProxyType(dict(ZONES_KMH))
    )
    walk_kmh: float = WALK_KMH
    access_keys: tuple[str, ...] = ACCESS_KEYS
    access_open: tuple[str, ...] = ACCESS_OPEN
    access_destination: tuple[str, ...] = ACCESS_DESTINATION
    access_closed: tuple[str, ...] = ACCESS_CLOSED
    exempt: tuple[str, ...] = ()
    timed_restrictions: str = "always"
    barriers_closed: tuple[str, ...] = BARRIERS_CLOSED

    # --- JSON --------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, *, base: CarProfile | None = None) -> CarProfile:
        """A profile from JSON-like data; what it leaves out comes from ``base`` (the default).
        Zone codes are added to the base's table (a code set to null has no limit)."""
        start = base if base is not None else DEFAULT
        if not isinstance(data, Mapping):
            raise ProfileError("profile: must be a JSON object")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise ProfileError(f"{unknown[0]}: not a field of the car profile")
        patrol = dict(start.patrol_kmh)
        if "patrol_kmh" in data:
            got = data["patrol_kmh"]
            if not isinstance(got, Mapping):
                raise ProfileError("patrol_kmh: must be an object of road class: km/h")
            for key, value in got.items():
                if key not in _CLASS_NAMES:
                    raise ProfileError(
                        f"patrol_kmh.{key}: not a road class ({', '.join(_CLASS_NAMES)})"
                    )
                patrol[key] = _speed(f"patrol_kmh.{key}", value)
        zones = dict(start.zones_kmh)
        if "zones_kmh" in data:
            got = data["zones_kmh"]
            if not isinstance(got, Mapping):
                raise ProfileError("zones_kmh: must be an object of zone code: km/h or null")
            for key, value in got.items():
                if not isinstance(key, str) or ":" not in key:
                    raise ProfileError(f"zones_kmh.{key}: a zone code is COUNTRY:zone")
                zones[key] = None if value is None else _speed(f"zones_kmh.{key}", value)
        walk = _speed("walk_kmh", data["walk_kmh"]) if "walk_kmh" in data else start.walk_kmh
        lists = {
            name: _words(name, data[name]) if name in data else getattr(start, name)
            for name in (
                "access_keys",
                "access_open",
                "access_destination",
                "access_closed",
                "exempt",
                "barriers_closed",
            )
        }
        if not lists["access_keys"]:
            raise ProfileError("access_keys: give at least one key (e.g. access)")
        timed = data.get("timed_restrictions", start.timed_restrictions)
        if timed not in TIMED:
            raise ProfileError(f"timed_restrictions: must be one of {', '.join(TIMED)}")
        return cls(
            patrol_kmh=MappingProxyType(patrol),
            zones_kmh=MappingProxyType(zones),
            walk_kmh=walk,
            timed_restrictions=timed,
            **lists,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "patrol_kmh": dict(self.patrol_kmh),
            "zones_kmh": dict(self.zones_kmh),
            "walk_kmh": self.walk_kmh,
            "access_keys": list(self.access_keys),
            "access_open": list(self.access_open),
            "access_destination": list(self.access_destination),
            "access_closed": list(self.access_closed),
            "exempt": list(self.exempt),
            "timed_restrictions": self.timed_restrictions,
            "barriers_closed": list(self.barriers_closed),
        }

    # --- speed -------------------------------------------------------------------------------
    def patrol(self, road_class: int) -> float:
        return float(self.patrol_kmh[RoadClass(road_class).name.lower()])

    def legal_kmh(self, value: str | None) -> tuple[float | None, bool]:
        """The legal limit a ``maxspeed`` value gives (None: no limit or none given) and whether
        it was understood (False: an unknown code or word; no limit is taken)."""
        if value is None or not value.strip():
            return None, True
        lowest: float | None = None
        understood = True
        for part in value.split(";"):
            kmh, ok = self._one_limit(part.strip())
            understood = understood and ok
            if kmh is not None and (lowest is None or kmh < lowest):
                lowest = kmh
        return lowest, understood

    def _one_limit(self, text: str) -> tuple[float | None, bool]:
        low = text.lower()
        if low in ("none", "unlimited"):
            return None, True
        if low in ("walk", "walking", "walking_pace"):
            return self.walk_kmh, True
        if low in ("signals", "variable"):
            return None, True  # shown on signs that change: no fixed limit to cap with
        m = _LIMIT.match(low)
        if m:
            number = float(m.group(1))
            if number <= 0:
                return None, False
            unit = m.group(2) or ""
            return number * (MPH if unit == "mph" else KNOT if unit == "knots" else 1.0), True
        if ":" in text:
            for code, kmh in self.zones_kmh.items():
                if code.lower() == low:
                    return kmh, True
            zone = text.partition(":")[2]
            m = _LIMIT.match(zone.strip().lower())
            if m and float(m.group(1)) > 0:  # "DE:30", a 30 zone
                return float(m.group(1)), True
        return None, False

    def limit_for(self, tags: Mapping[str, str], direction: str) -> tuple[float | None, bool]:
        """The legal limit in one direction of a way: ``maxspeed:<direction>`` before
        ``maxspeed``; a zone code in ``maxspeed:type``/``source:maxspeed`` where no number is
        given."""
        for key in (f"maxspeed:{direction}", "maxspeed", "maxspeed:type", "source:maxspeed"):
            value = tags.get(key)
            if value is None:
                continue
            if key in ("maxspeed:type", "source:maxspeed") and ":" not in value:
                continue  # "sign", "survey": where the figure came from, not a figure
            kmh, ok = self.legal_kmh(value)
            if key in ("maxspeed:type", "source:maxspeed") and not ok:
                continue
            return kmh, ok
        return None, True

    def speed_kmh(self, road_class: int, tags: Mapping[str, str], direction: str) -> float:
        """The patrol speed of the class, capped by the legal limit in that direction."""
        legal, _ok = self.limit_for(tags, direction)
        patrol = self.patrol(road_class)
        return patrol if legal is None else min(patrol, legal)

    # --- access ------------------------------------------------------------------------------
    def _keys(self) -> tuple[str, ...]:
        return self.access_keys + tuple(k for k in self.exempt if k not in self.access_keys)

    def _value(self, value: str) -> Access | None:
        for word in value.split(";"):
            word = word.strip().lower()
            if word in self.access_open:
                return Access.OPEN
            if word in self.access_destination:
                return Access.DESTINATION
            if word in self.access_closed:
                return Access.CLOSED
        return None  # unknown: the next, less specific tag decides

    def access(self, tags: Mapping[str, str], direction: str) -> Access:
        """May our car drive the way in this direction: the most specific access tag with a known
        value decides (open when none does)."""
        for key in reversed(self._keys()):
            for name in (f"{key}:{direction}", key):
                value = tags.get(name)
                if value is not None:
                    got = self._value(value)
                    if got is not None:
                        return got
        return Access.OPEN

    def barrier_closed(self, tags: Mapping[str, str]) -> bool:
        """Whether a barrier node stops our car: its own access tags decide where they say (a
        bollard with ``motor_vehicle=yes`` lets it by, a gate with ``access=no`` does not),
        otherwise the kind of barrier."""
        kind = tags.get("barrier")
        if kind is None:
            return False
        for key in reversed(self._keys()):
            value = tags.get(key)
            if value is not None:
                got = self._value(value)
                if got is not None:
                    return got == Access.CLOSED
        return kind in self.barriers_closed

    # --- turn restrictions -------------------------------------------------------------------
    def restriction(self, tags: Mapping[str, str]) -> tuple[str | None, str]:
        """The restriction a relation puts on our cars: (``no_*``/``only_*`` value, "") or
        (None, why not: ``exempt``, ``other_vehicle``, ``timed``, ``invalid``). A timed one
        (``restriction:conditional``, ``time``, ``day_on``, ``hour_on``) is ("value", "timed")
        when the profile keeps it all day."""
        kind = tags.get("type", "")
        if kind != "restriction":
            vehicle = kind.partition(":")[2]
            if not kind.startswith("restriction:") or vehicle not in self._keys():
                return None, "other_vehicle"
        excepted = {w.strip() for w in tags.get("except", "").split(";") if w.strip()}
        if excepted & set(self.exempt):
            return None, "exempt"
        value = None
        for key in reversed(self._keys()):
            value = tags.get(f"restriction:{key}")
            if value is not None:
                break
        if value is None:
            value = tags.get("restriction")
        timed = any(k in tags for k in ("time", "day_on", "day_off", "hour_on", "hour_off"))
        if value is None:
            conditional = tags.get("restriction:conditional")
            if conditional is not None:
                value, timed = conditional.partition("@")[0].strip(), True
            elif any(k.startswith("restriction:") for k in tags):
                return None, "other_vehicle"
        if value == "none":  # ``restriction:motorcar=none``: cars may
            return None, "other_vehicle"
        if value is None or not value.startswith(("no_", "only_")):
            return None, "invalid"
        if timed:
            return (value, "timed") if self.timed_restrictions == "always" else (None, "timed")
        return value, ""

    # --- direction and hours -----------------------------------------------------------------
    def direction_hours(self, tags: Mapping[str, str], highway: str) -> tuple[int, int, set[str]]:
        """Hours of the day (24-bit masks) a way is open forward and backward by its one-way
        tags, and notes: ``reversible`` (no usable time), ``weekdays`` (a condition's days were
        widened or ignored), ``unparsed`` (a condition not understood)."""
        notes: set[str] = set()
        base = _oneway_state(_most_specific(tags, "oneway", self._keys()), tags, highway)
        if base is None:
            base = (False, False)
            notes.add("reversible")
        conditional = _most_specific(tags, "oneway:conditional", self._keys(), suffix=True)
        if not conditional:
            fwd, bwd = base
            return (ALL_HOURS if fwd else 0), (ALL_HOURS if bwd else 0), notes
        rules = []
        for value, condition in _conditions(conditional):
            state = _oneway_state(value, {}, "")
            if state is None:
                state = (False, False)
            minutes, days_named, ok = _minutes(condition)
            if not ok:
                notes.add("unparsed")
            elif days_named:
                notes.add("weekdays")
            rules.append((state, minutes, ok))
        masks = []
        for side in (0, 1):
            open_now = [base[side]] * _DAY
            for state, minutes, ok in rules:
                opens = state[side]
                # not understood: a closing always holds, an opening never; else a closing on
                # any day it names, an opening only where it holds every day
                match = [not opens] * _DAY if not ok else minutes[0] if opens else minutes[1]
                for m in range(_DAY):
                    if match[m]:
                        open_now[m] = opens
            mask = 0
            for h in range(24):
                if all(open_now[h * 60 : (h + 1) * 60]):
                    mask |= 1 << h
            masks.append(mask)
        if base == (False, False) and masks == [0, 0]:
            notes.add("reversible")
        else:
            notes.discard("reversible")
        return masks[0], masks[1], notes


_FIELDS = (
    "patrol_kmh",
    "zones_kmh",
    "walk_kmh",
    "access_keys",
    "access_open",
    "access_destination",
    "access_closed",
    "exempt",
    "timed_restrictions",
    "barriers_closed",
)
_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_DAY = 24 * 60
_WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")


def _speed(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProfileError(f"{name}: must be a number of km/h")
    if value <= 0:
        raise ProfileError(f"{name}: must be above 0 km/h")
    return float(value)


def _words(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{name}: must be a list of words")
    return tuple(v.strip() for v in value if v.strip())


def _most_specific(
    tags: Mapping[str, str], key: str, vehicles: Iterable[str], *, suffix: bool = False
) -> str | None:
    """``oneway:motorcar`` before ``oneway:motor_vehicle`` … before ``oneway`` (``suffix``: the
    vehicle goes before ``:conditional``)."""
    stem, _, tail = key.partition(":") if suffix else (key, "", "")
    for vehicle in reversed(tuple(vehicles)):
        if vehicle == "access":
            continue
        name = f"{stem}:{vehicle}:{tail}" if suffix else f"{key}:{vehicle}"
        if name in tags:
            return tags[name]
    return tags.get(key)


def _oneway_state(
    value: str | None, tags: Mapping[str, str], highway: str
) -> tuple[bool, bool] | None:
    """(forward open, backward open); None for a reversible way (direction changes, not said
    when)."""
    v = (value or "").strip().lower()
    if v in ("yes", "true", "1"):
        return True, False
    if v in ("-1", "reverse"):
        return False, True
    if v in ("no", "false", "0", "alternating"):
        return True, True
    if v == "reversible":
        return None
    if highway in ("motorway", "motorway_link") or tags.get("junction") in (
        "roundabout",
        "circular",
    ):
        return True, False
    return True, True


def _conditions(text: str) -> list[tuple[str, str]]:
    """``value @ (condition); value @ condition`` split at semicolons outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == ";" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    out = []
    for part in parts:
        value, at, condition = part.partition("@")
        if not at:
            continue
        condition = condition.strip()
        if condition.startswith("(") and condition.endswith(")"):
            condition = condition[1:-1]
        out.append((value.strip(), condition.strip()))
    return out


_TIME = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_DAYS = re.compile(r"^(mo|tu|we|th|fr|sa|su|ph)(?:\s*-\s*(mo|tu|we|th|fr|sa|su))?$")


def _minutes(condition: str) -> tuple[tuple[list[bool], list[bool]], bool, bool]:
    """When a time condition holds, by minute of the day: (holds every day, holds on some day),
    whether it names days, and whether it was understood. Understood: rules separated by ``;``
    of optional weekdays (``Mo-Fr``, ``Sa,Su``, ``PH``) and time spans (``07:00-09:00``,
    ``22:00-06:00``, ``24h``, ``24/7``); a ``,`` adds days or spans to the rule before it."""
    every = [False] * _DAY  # on every day of the week
    some = [False] * _DAY  # on at least one day
    per_day = [[False] * _DAY for _ in range(8)]  # Mo..Su, PH
    named = False
    text = re.sub(r"\s*-\s*", "-", re.sub(r"24\s*h\b", "24h", condition.lower()))
    rules = [r.strip() for r in text.split(";") if r.strip()]
    if not rules:
        return (every, some), False, False
    for rule in rules:
        days: list[int] = []
        spans: list[tuple[int, int]] = []
        for token in rule.replace(",", " ").split():
            if token in ("24/7", "24h"):
                spans.append((0, _DAY))
                continue
            m = _DAYS.match(token)
            if m:
                named = True
                if m.group(1) == "ph":
                    days.append(7)
                    continue
                a = _WEEKDAYS.index(m.group(1))
                b = _WEEKDAYS.index(m.group(2)) if m.group(2) else a
                days.extend((a + k) % 7 for k in range(((b - a) % 7) + 1))
                continue
            m = _TIME.match(token)
            if m:
                h1, m1, h2, m2 = (int(x) for x in m.groups())
                if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                    return (every, some), named, False
                spans.append((h1 * 60 + m1, h2 * 60 + m2))
                continue
            return (every, some), named, False
        if not days and not spans:
            return (every, some), named, False
        for d in days or range(7):
            for a, b in spans or [(0, _DAY)]:
                # past midnight: to the end of the day and from its start
                for lo, hi in [(a, _DAY), (0, b)] if b <= a else [(a, b)]:
                    for minute in range(lo, min(hi, _DAY)):
                        per_day[d][minute] = True
    for minute in range(_DAY):
        week = [per_day[d][minute] for d in range(7)]
        every[minute] = all(week)
        some[minute] = any(week) or per_day[7][minute]
    return (every, some), named, True


DEFAULT = CarProfile()
