"""Discipline: measures and sanctions, and the days each is in force."""

import datetime as dt
from enum import StrEnum

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _


# --- discipline ---------------------------------------------------------------------------------
class Measure(StrEnum):
    # lighter measures (not sanctions)
    TALK_REMINDER = "talk_reminder"  # 談話提醒
    CRITICISM = "criticism"  # 批評教育
    SELF_EXAMINATION = "self_examination"  # 責令檢查
    ADMONITION = "admonition"  # 誡勉
    WARNING_EDUCATION = "warning_education"  # 警示教育 (the month's warning case)
    # sanctions (處分)
    CAUTION = "caution"  # 警告 (the glossary's name; "warning" is 警示教育)
    DEMERIT = "demerit"  # 記過
    MAJOR_DEMERIT = "major_demerit"  # 記大過
    DEMOTION = "demotion"  # 降級
    DISMISSAL_FROM_POST = "dismissal_from_post"  # 撤職
    EXPULSION = "expulsion"  # 開除
    # police-specific
    SUSPENSION = "suspension"  # 停止執行職務, 10–60 days
    CONFINEMENT = "confinement"  # 禁閉, 1–7 days
    INVESTIGATION = "investigation"  # under investigation (立案審查), open until closed


SANCTION_MONTHS = {
    Measure.CAUTION: 6,
    Measure.DEMERIT: 12,
    Measure.MAJOR_DEMERIT: 18,
    Measure.DEMOTION: 24,
    Measure.DISMISSAL_FROM_POST: 24,
}
SANCTIONS = frozenset({*SANCTION_MONTHS, Measure.EXPULSION})
DAY_RANGES = {Measure.SUSPENSION: (10, 60), Measure.CONFINEMENT: (1, 7)}
BLOCKING = SANCTIONS | {Measure.INVESTIGATION, Measure.SUSPENSION, Measure.CONFINEMENT}


def add_months(day: dt.date, months: int) -> dt.date:
    n = day.year * 12 + day.month - 1 + months
    y, m = divmod(n, 12)
    last = (dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m + 1, min(day.day, last))


def measure_end(measure: str, start: dt.date, days: int | None = None) -> dt.date | None:
    """The last day a measure is in force (None: no end — expulsion, or an open investigation).
    Lighter measures are for the record only and end the day they are given."""
    m = Measure(measure)
    if m in SANCTION_MONTHS:
        return add_months(start, SANCTION_MONTHS[m]) - dt.timedelta(days=1)
    if m in DAY_RANGES:
        low, high = DAY_RANGES[m]
        if days is None or not low <= days <= high:
            raise ValidationFailed(
                [
                    FieldError(
                        "days",
                        _("between %(low)s and %(high)s days"),
                        params={"low": low, "high": high},
                    )
                ]
            )
        return start + dt.timedelta(days=days - 1)
    if m in (Measure.EXPULSION, Measure.INVESTIGATION):
        return None
    return start
