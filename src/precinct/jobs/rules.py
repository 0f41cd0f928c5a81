"""Pure rules of background work: which states are live, when a job is stale, when a daily job's
next slot is due. No Django, no clock (time is an argument)."""

import datetime as dt
from dataclasses import dataclass

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LIVE = (QUEUED, RUNNING)  # at most one live job per key: the same work is never started twice
MAX_ATTEMPTS = 3  # a job whose worker died is run again, up to this many times in all


@dataclass(frozen=True)
class Daily:
    """A job the worker starts once a day at a local time (the sweep, the units' refresh…)."""

    kind: str
    at: dt.time


def parse_daily(kind: str, at: str) -> Daily:
    """``"02:30"`` → 02:30 local time; a bad time names the job."""
    try:
        hours, minutes = (int(x) for x in at.split(":"))
        return Daily(kind, dt.time(hours, minutes))
    except ValueError:
        raise ValueError(f"{kind}: the time of day must be HH:MM, not {at!r}") from None


def slot(daily: Daily, now_local: dt.datetime) -> dt.date:
    """The day whose run is due by ``now_local``: today once its time has come, else yesterday
    (a worker started late still runs the day's work it missed, once)."""
    today = now_local.date()
    return today if now_local.time() >= daily.at else today - dt.timedelta(days=1)


def once_key(daily: Daily, day: dt.date) -> str:
    return f"{daily.kind}@{day.isoformat()}"


def is_stale(beat: dt.datetime | None, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """A running job that has given no sign of life for ``stale_after`` lost its worker."""
    return beat is None or now - beat > stale_after


def fraction(done: int, total: int) -> float:
    """Progress as a fraction in [0, 1]; an unknown total counts as nothing done yet."""
    if total <= 0:
        return 0.0
    return min(max(done / total, 0.0), 1.0)
