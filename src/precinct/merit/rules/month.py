"""Months, and a unit's month against the 三一 mechanism."""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --- months -------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field_name: str = "month") -> "Month":
        m = MONTH_RE.match(text or "")
        if not m or not 2000 <= int(m.group(1)) <= 2100:
            raise ValidationFailed([FieldError(field_name, _("a month as YYYY-MM, e.g. 2026-10"))])
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> "Month":
        return cls(day.year, day.month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return self.next().first - dt.timedelta(days=1)

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def minus(self, months: int) -> "Month":
        n = self.year * 12 + self.month - 1 - months
        return Month(n // 12, n % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- the 三一 month -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ThreeOnes:
    """A unit's month against "one warning, one star creation, one incentive"."""

    warning_case: str
    warning_published: bool
    star_officers: int  # officers with a star in the closed month
    paid: int  # of them, those whose star bonus is paid

    @property
    def warning_done(self) -> bool:
        return bool(self.warning_case.strip()) and self.warning_published

    @property
    def stars_done(self) -> bool:
        return self.star_officers > 0

    @property
    def incentive_done(self) -> bool:
        return self.star_officers > 0 and self.paid >= self.star_officers

    @property
    def done(self) -> bool:
        return self.warning_done and self.stars_done and self.incentive_done


def has_points(points: float, lines: Sequence[object]) -> bool:
    """Whether an officer of an open month is ranked: only those with points so far (or with
    a line that cancelled them out); the rest have nothing to rank by until the month closes."""
    return bool(points) or bool(lines)
