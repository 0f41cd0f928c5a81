"""Officers: post types, status, ranks, age bands, an officer's fields checked, and photos."""

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _


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
