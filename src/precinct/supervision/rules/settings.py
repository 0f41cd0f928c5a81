"""The engine's settings: the zone, the holiday calendar, the grace for "immediately", when a
period is due soon, the rule table."""

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .model import Rule
from .periods import IsHoliday, weekends
from .table import RULES

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Settings:
    tz: ZoneInfo = SHANGHAI
    is_holiday: IsHoliday = weekends
    immediate_grace: dt.timedelta = dt.timedelta(hours=2)
    warn_fraction: float = 0.25  # due_soon inside the last quarter of the period ...
    warn_cap: dt.timedelta = dt.timedelta(hours=24)  # ... but never more than 24 hours before
    rules: Sequence[Rule] = RULES
    calendar_years: Collection[int] | None = None  # years the holiday calendar knows; None: all
    calendar_version: str = ""  # which entered holiday schedules ``is_holiday`` answers from
