"""Supervision use cases. The engine is pure; here it gets the bureau's zone and the official
holiday calendar."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from . import calendar
from .rules import Finding, Settings, evaluate, parse


def engine_settings(time_zone: str | None = None) -> Settings:
    return Settings(tz=ZoneInfo(time_zone or settings.TIME_ZONE), is_holiday=calendar.is_holiday)


def check_document(
    document: Any, *, now: dt.datetime, time_zone: str | None = None
) -> list[Finding]:
    """Findings for one interchange document as of ``now`` (raises InterchangeError on bad input)."""
    case, events = parse(document)
    return evaluate(case, events, now, engine_settings(time_zone))
