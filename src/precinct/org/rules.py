"""Organisation rules: pure functions, no ORM, no clock (``today`` is always an argument)."""

import datetime as dt
import math
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _


class UnitKind(StrEnum):
    BUREAU = "bureau"
    DEPARTMENT = "department"
    SUB_BUREAU = "sub_bureau"
    STATION = "station"
    BRIGADE = "brigade"


# Which kinds may sit under which: bureau → departments, sub-bureaus, brigades; sub-bureau → stations.
ALLOWED_PARENTS: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.BUREAU: frozenset(),
    UnitKind.DEPARTMENT: frozenset({UnitKind.BUREAU, UnitKind.DEPARTMENT}),
    UnitKind.SUB_BUREAU: frozenset({UnitKind.BUREAU}),
    UnitKind.STATION: frozenset({UnitKind.SUB_BUREAU, UnitKind.BUREAU}),
    UnitKind.BRIGADE: frozenset({UnitKind.BUREAU, UnitKind.DEPARTMENT, UnitKind.SUB_BUREAU}),
}


class PostType(StrEnum):
    COMMUNITY = "community"
    CRIMINAL = "criminal"
    PUBLIC_ORDER = "public_order"
    CYBER = "cyber"
    TRAFFIC = "traffic"
    PATROL = "patrol"
    LEGAL = "legal"
    COMMAND = "command"
    POLITICAL = "political"
    OTHER = "other"


class OfficerStatus(StrEnum):
    ACTIVE = "active"
    SECOND_LINE = "second_line"
    RETIRED = "retired"


class Gender(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Party(StrEnum):
    CPC_MEMBER = "cpc_member"
    CPC_PROBATIONARY = "cpc_probationary"
    LEAGUE = "league"
    NONE = "none"


# Police ranks (警銜) of the People's Police, highest first.
RANKS: tuple[str, ...] = (
    "总警监",
    "副总警监",
    "一级警监",
    "二级警监",
    "三级警监",
    "一级警督",
    "二级警督",
    "三级警督",
    "一级警司",
    "二级警司",
    "三级警司",
    "一级警员",
    "二级警员",
)


class AgeBand(StrEnum):
    UNDER_30 = "u30"
    FROM_30 = "30-39"
    FROM_40 = "40-49"
    FROM_50 = "50-54"
    FROM_55 = "55+"


AGE_BAND_LIMITS: dict[AgeBand, tuple[int, int | None]] = {
    AgeBand.UNDER_30: (0, 29),
    AgeBand.FROM_30: (30, 39),
    AgeBand.FROM_40: (40, 49),
    AgeBand.FROM_50: (50, 54),
    AgeBand.FROM_55: (55, None),
}

POLICE_NUMBER = re.compile(r"^[0-9]{6}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def age_on(birth: dt.date, today: dt.date) -> int:
    """Completed years of age on ``today`` (a 29 February birthday counts on 1 March)."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def age_band(birth: dt.date, today: dt.date) -> AgeBand:
    age = age_on(birth, today)
    for band, (low, high) in AGE_BAND_LIMITS.items():
        if age >= low and (high is None or age <= high):
            return band
    raise AssertionError("age bands cover every age")  # pragma: no cover


def birth_range(band: AgeBand, today: dt.date) -> tuple[dt.date | None, dt.date]:
    """Birth dates (exclusive lower, inclusive upper) of people in ``band`` on ``today``."""
    low, high = AGE_BAND_LIMITS[band]
    latest = _years_before(today, low)  # born on or before this date: at least `low`
    earliest = None if high is None else _years_before(today, high + 1)  # born after: ≤ high
    return earliest, latest


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def child_path(parent_path: str, code: str) -> str:
    """Materialised path of a unit: the codes from the root, each closed by '/'."""
    return f"{parent_path}{code}/"


def check_unit_parent(kind: UnitKind, parent_kind: UnitKind | None) -> list[FieldError]:
    if parent_kind is None:
        if kind != UnitKind.BUREAU:
            return [FieldError("parent", _("only the bureau itself has no parent unit"))]
        return []
    if parent_kind not in ALLOWED_PARENTS[kind]:
        return [
            FieldError(
                "parent",
                _("a %(kind)s cannot be placed under a %(parent)s"),
                params={"kind": str(kind), "parent": str(parent_kind)},
            )
        ]
    return []


@dataclass(frozen=True)
class OfficerData:
    """An officer's editable fields after cleaning."""

    police_number: str
    name: str
    gender: Gender
    birth_date: dt.date
    hire_date: dt.date
    rank: str
    post_type: PostType
    status: OfficerStatus
    party: Party


def check_officer(data: OfficerData, today: dt.date) -> list[FieldError]:
    """Business checks beyond types: plausible dates, known rank, a police number's shape."""
    errors: list[FieldError] = []
    if not POLICE_NUMBER.match(data.police_number):
        errors.append(FieldError("police_number", _("must be exactly 6 digits")))
    if not data.name.strip() or len(data.name) > 40:
        errors.append(FieldError("name", _("is required (at most 40 characters)")))
    if data.rank not in RANKS:
        errors.append(FieldError("rank", _("unknown rank %(rank)s"), params={"rank": data.rank}))
    birth_ok = data.birth_date <= today and 16 <= age_on(data.birth_date, today) <= 80
    if data.birth_date > today:
        errors.append(FieldError("birth_date", _("is in the future")))
    elif not birth_ok:
        errors.append(FieldError("birth_date", _("gives an age outside 16–80")))
    if data.hire_date > today:
        errors.append(FieldError("hire_date", _("is in the future")))
    elif birth_ok and age_on(data.birth_date, data.hire_date) < 16:
        errors.append(FieldError("hire_date", _("is before the officer turned 16")))
    return errors


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date | None  # exclusive; None = open

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: "Period") -> bool:
        a_end = self.end or dt.date.max
        b_end = other.end or dt.date.max
        return self.start < b_end and other.start < a_end


MAX_DAYS_AHEAD = 366


def check_assignment(
    new: Period,
    existing: Iterable[Period],
    *,
    hire_date: dt.date | None = None,
    today: dt.date | None = None,
) -> list[FieldError]:
    """A new posting may not start inside a closed earlier one (an open one is closed at its start),
    before the officer was hired, or more than a year ahead."""
    errors: list[FieldError] = []
    if new.end is not None and new.end <= new.start:
        errors.append(FieldError("end", _("must be after the start")))
    if hire_date is not None and new.start < hire_date:
        errors.append(
            FieldError(
                "start",
                _("is before the hire date %(hire)s"),
                params={"hire": hire_date.isoformat()},
            )
        )
    if today is not None and (new.start - today).days > MAX_DAYS_AHEAD:
        errors.append(FieldError("start", _("is more than a year ahead")))
    for old in existing:
        if old.end is None:
            if new.start <= old.start:
                errors.append(
                    FieldError(
                        "start",
                        _("must be after the current posting's start %(start)s"),
                        params={"start": old.start.isoformat()},
                    )
                )
        elif new.overlaps(old):
            errors.append(
                FieldError(
                    "start",
                    _("overlaps the posting %(start)s – %(end)s"),
                    params={"start": old.start.isoformat(), "end": old.end.isoformat()},
                )
            )
    return errors


def current_period(periods: Mapping[str, Period], today: dt.date) -> str | None:
    """Key of the posting in force on ``today`` (the latest-starting one if several)."""
    live = [(p.start, k) for k, p in periods.items() if p.contains(today)]
    return max(live)[1] if live else None


# --- roster (Excel) -----------------------------------------------------------------------
# Column headers of the roster workbook, in order: (field, header). Headers are fixed Chinese
# labels so that a workbook exported in any UI language imports again.
ROSTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("police_number", "警号"),
    ("name", "姓名"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("hire_date", "参加工作日期"),
    ("rank", "警衔"),
    ("post_type", "警种"),
    ("status", "状态"),
    ("party", "政治面貌"),
    ("unit_code", "单位代码"),
    ("position", "职务"),
    ("start", "任职日期"),
)
ROSTER_OPTIONAL = frozenset({"start", "party", "status"})

ROSTER_VALUES: dict[str, dict[str, str]] = {
    "gender": {"男": "M", "女": "F"},
    "post_type": {
        "社区民警": "community",
        "刑警": "criminal",
        "治安警": "public_order",
        "网警": "cyber",
        "交警": "traffic",
        "巡警": "patrol",
        "法制": "legal",
        "指挥": "command",
        "政工": "political",
        "其他": "other",
    },
    "status": {"在职": "active", "退居二线": "second_line", "退休": "retired"},
    "party": {
        "中共党员": "cpc_member",
        "中共预备党员": "cpc_probationary",
        "共青团员": "league",
        "群众": "none",
    },
}
ROSTER_LABELS: dict[str, dict[str, str]] = {
    field: {code: label for label, code in values.items()}
    for field, values in ROSTER_VALUES.items()
}


@dataclass(frozen=True)
class RosterRow:
    row: int
    officer: OfficerData
    unit_code: str
    position: str
    start: dt.date | None


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat(text)


def parse_roster_row(
    row_no: int, raw: Mapping[str, object], today: dt.date
) -> tuple[RosterRow | None, list[FieldError]]:
    """Clean one roster row (header field → cell value); errors name the row and the column."""
    errors: list[FieldError] = []
    header = dict(ROSTER_COLUMNS)

    def err(field: str, message: str, **params: object) -> None:
        errors.append(FieldError(header.get(field, field), message, row=row_no, params=params))

    cells: dict[str, str] = {}
    dates: dict[str, dt.date] = {}
    for field, _label in ROSTER_COLUMNS:
        value = raw.get(field)
        empty = value is None or (isinstance(value, str) and not value.strip())
        if empty:
            if field not in ROSTER_OPTIONAL:
                err(field, _("is required"))
            continue
        if field in {"birth_date", "hire_date", "start"}:
            try:
                dates[field] = _as_date(value)
            except ValueError:
                err(field, _("%(value)s is not a date (YYYY-MM-DD)"), value=str(value))
            continue
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if field in ROSTER_VALUES:
            mapping = ROSTER_VALUES[field]
            if text in mapping:
                text = mapping[text]
            elif text not in mapping.values():
                err(
                    field,
                    _("%(value)s is not one of %(allowed)s"),
                    value=text,
                    allowed="、".join(mapping),
                )
                continue
        cells[field] = text
    if errors:
        return None, errors
    data = OfficerData(
        police_number=cells["police_number"].zfill(6)
        if cells["police_number"].isdigit()
        else cells["police_number"],
        name=cells["name"],
        gender=Gender(cells["gender"]),
        birth_date=dates["birth_date"],
        hire_date=dates["hire_date"],
        rank=cells["rank"],
        post_type=PostType(cells["post_type"]),
        status=OfficerStatus(cells.get("status", "active")),
        party=Party(cells.get("party", "none")),
    )
    for e in check_officer(data, today):
        err(e.field, e.message, **e.params)
    if not UNIT_CODE.match(cells["unit_code"]):
        err("unit_code", _("is not a unit code"))
    if len(cells["position"]) > 40:
        err("position", _("is longer than 40 characters"))
    if errors:
        return None, errors
    return RosterRow(row_no, data, cells["unit_code"], cells["position"], dates.get("start")), []


# --- photos -------------------------------------------------------------------------------
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": ("jpg", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("png", "image/png")}


def photo_type(content: bytes) -> tuple[str, str] | None:
    """(extension, content type) of a JPEG or PNG judged by its first bytes, else None."""
    for magic, kind in PHOTO_TYPES.items():
        if content.startswith(magic):
            return kind
    return None


def check_photo(content: bytes) -> list[FieldError]:
    if len(content) > MAX_PHOTO_BYTES:
        return [FieldError("photo", _("is larger than 2 MB"))]
    if photo_type(content) is None:
        return [FieldError("photo", _("must be a JPEG or PNG image"))]
    return []


# --- secondments (动态用警) -----------------------------------------------------------------
class SecondmentStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"  # approved: in force from its start until it is ended
    RETURNED = "returned"
    STAYED = "stayed"  # ended by an approved request to stay: the officer is posted there
    CANCELLED = "cancelled"


class StayDecision(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


S = SecondmentStatus
# The moves a secondment may make; every other move is refused.
SECONDMENT_MOVES: dict[SecondmentStatus, frozenset[SecondmentStatus]] = {
    S.PLANNED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.RETURNED, S.STAYED}),
    S.RETURNED: frozenset(),
    S.STAYED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Open secondments: those that hold the officer's time (a new plan may not overlap them).
OPEN_SECONDMENTS = frozenset({S.PLANNED, S.ACTIVE})
SECONDED_FROM = frozenset({UnitKind.DEPARTMENT})
SECONDED_TO = frozenset({UnitKind.STATION, UnitKind.SUB_BUREAU, UnitKind.BRIGADE})
MAX_SECONDMENT_YEARS = 5


def check_move(current: SecondmentStatus, target: SecondmentStatus) -> list[FieldError]:
    if target in SECONDMENT_MOVES[current]:
        return []
    return [
        FieldError(
            "status",
            _("a %(current)s secondment cannot become %(target)s"),
            params={"current": str(current), "target": str(target)},
        )
    ]


@dataclass(frozen=True)
class SecondmentDraft:
    """A secondment plan as the rules see it: kinds of the units, dates, and the officer's facts."""

    from_unit: object
    from_kind: UnitKind
    to_kind: UnitKind
    start: dt.date
    planned_end: dt.date
    purpose: str
    posted_unit: object | None  # the unit of the officer's posting in force on ``start``
    officer_status: OfficerStatus = OfficerStatus.ACTIVE


def years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_secondment(
    draft: SecondmentDraft, others: Iterable[Period], *, today: dt.date
) -> list[FieldError]:
    """A headquarters officer to a grassroots unit, for a bounded time that overlaps none of his
    other planned or active secondments (``others``: their [start, planned end))."""
    errors: list[FieldError] = []
    if draft.from_kind not in SECONDED_FROM:
        errors.append(FieldError("from_unit", _("must be a headquarters department")))
    if draft.to_kind not in SECONDED_TO:
        errors.append(
            FieldError("to_unit", _("must be a police station, a sub-bureau or a brigade"))
        )
    if draft.planned_end <= draft.start:
        errors.append(FieldError("planned_end", _("must be after the start")))
    elif draft.planned_end > years_after(draft.start, MAX_SECONDMENT_YEARS):
        errors.append(
            FieldError(
                "planned_end",
                _("is more than %(years)s years after the start"),
                params={"years": MAX_SECONDMENT_YEARS},
            )
        )
    if (draft.start - today).days > MAX_DAYS_AHEAD:
        errors.append(FieldError("start", _("is more than a year ahead")))
    if not draft.purpose.strip():
        errors.append(FieldError("purpose", _("is required")))
    elif len(draft.purpose) > 200:
        errors.append(FieldError("purpose", _("is longer than 200 characters")))
    if draft.officer_status != OfficerStatus.ACTIVE:
        errors.append(FieldError("officer", _("is not in active service")))
    elif draft.posted_unit is None or draft.posted_unit != draft.from_unit:
        errors.append(
            FieldError("officer", _("is not posted in this department on the start date"))
        )
    new = Period(draft.start, draft.planned_end)
    for old in others:
        if new.overlaps(old):
            errors.append(
                FieldError(
                    "start",
                    _("overlaps the officer's secondment %(start)s – %(end)s"),
                    params={
                        "start": old.start.isoformat(),
                        "end": old.end.isoformat() if old.end else "",
                    },
                )
            )
    return errors


def check_end(start: dt.date, on: dt.date, today: dt.date) -> list[FieldError]:
    """The day a secondment ends (return, or a granted stay): not before it began, not ahead."""
    if on < start:
        return [
            FieldError(
                "on", _("is before the start %(start)s"), params={"start": start.isoformat()}
            )
        ]
    if on > today:
        return [FieldError("on", _("is in the future"))]
    return []


@dataclass(frozen=True)
class SecondmentSpan:
    """A secondment as the share counts it. ``end`` is the day it ended (exclusive), if it has."""

    key: Hashable
    officer: Hashable
    status: SecondmentStatus
    start: dt.date
    end: dt.date | None = None


COUNTED = frozenset({S.ACTIVE, S.RETURNED, S.STAYED})


def in_force(span: SecondmentSpan, day: dt.date) -> bool:
    """Approved, begun and not ended on ``day``."""
    return span.status in COUNTED and span.start <= day and (span.end is None or day < span.end)


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class ShareRow(Generic[K]):
    unit: K
    hq_officers: int
    seconded: int

    @property
    def share(self) -> float:
        return self.seconded / self.hq_officers if self.hq_officers else 0.0


@dataclass(frozen=True)
class Share(Generic[K]):
    hq_officers: int
    seconded: int
    by_unit: list[ShareRow[K]]

    @property
    def share(self) -> float:
        return self.seconded / self.hq_officers if self.hq_officers else 0.0


def seconded_share(
    hq_officers: Mapping[K, Iterable[Hashable]],
    secondments: Iterable[SecondmentSpan],
    day: dt.date,
    *,
    what_if: Iterable[Hashable] = (),
) -> Share[K]:
    """Of the headquarters officers (by department, on their establishment posting), how many are
    on a secondment in force on ``day``: overall and by department. Each officer counts once.
    ``what_if`` names planned secondments to count as if approved and begun (a plan's effect is
    shown before it is approved, whatever its start date)."""
    assumed = set(what_if)
    seconded = {
        s.officer
        for s in secondments
        if in_force(s, day) or (s.status == S.PLANNED and s.key in assumed)
    }
    rows = []
    for unit, officers in hq_officers.items():
        people = set(officers)
        rows.append(ShareRow(unit, len(people), len(people & seconded)))
    return Share(
        hq_officers=sum(r.hq_officers for r in rows),
        seconded=sum(r.seconded for r in rows),
        by_unit=rows,
    )


def short_of_goal(hq_officers: int, seconded: int, goal: float) -> int:
    """How many more officers must be seconded to reach ``goal`` (0 when it is reached)."""
    needed = math.ceil(round(goal * hq_officers, 9))
    return max(needed - seconded, 0)
