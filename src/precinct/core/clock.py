"""The one place that reads the clock. Rules take time as an argument; entry points call these.

The clock can be moved by whole days (refused in production by the settings): with
``PRECINCT_TODAY=2028-02-29`` the process lives on that day in the bureau's zone
(``PRECINCT_TZ``), the time of day stays real and time still passes, so a test run, a training
server or a demonstration can live on 31 December, 29 February or inside the Spring Festival
holiday. The day is turned into a whole number of days once, written to
``PRECINCT_CLOCK_SHIFT_DAYS``, and every process started from this one inherits that number, so
a test run's workers and servers agree on the day even across midnight. While the clock is
moved, Django's own ``timezone.now`` follows it too (the settings), so sessions, sign-in times
and record stamps live on the same day as the rules."""

import datetime as dt
import os
import zoneinfo

SHIFT_VARIABLE = "PRECINCT_CLOCK_SHIFT_DAYS"
TODAY_VARIABLE = "PRECINCT_TODAY"


def real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def shift_to(day: dt.date, tz: str) -> int:
    """The whole days to add to the real clock so that today, in ``tz``, is ``day``."""
    return (day - real_now().astimezone(zoneinfo.ZoneInfo(tz)).date()).days


def _read_shift() -> dt.timedelta:
    raw = os.environ.get(SHIFT_VARIABLE, "").strip()
    if not raw and os.environ.get(TODAY_VARIABLE, "").strip():
        wanted = os.environ[TODAY_VARIABLE].strip()
        try:
            day = dt.date.fromisoformat(wanted)
        except ValueError:
            raise ValueError(
                f"{TODAY_VARIABLE} must be a date (YYYY-MM-DD), not {wanted!r}"
            ) from None
        raw = str(shift_to(day, os.environ.get("PRECINCT_TZ", "Asia/Shanghai")))
        os.environ[SHIFT_VARIABLE] = raw  # children (workers, servers) keep the same day
    if not raw:
        return dt.timedelta(0)
    try:
        return dt.timedelta(days=int(raw))
    except ValueError:
        raise ValueError(f"{SHIFT_VARIABLE} must be a whole number of days, not {raw!r}") from None


_SHIFT = _read_shift()


def shift() -> dt.timedelta:
    """How far this process's clock is moved from the real one (zero in production)."""
    return _SHIFT


def now() -> dt.datetime:
    return real_now() + _SHIFT


def today(tz: str) -> dt.date:
    return now().astimezone(zoneinfo.ZoneInfo(tz)).date()
