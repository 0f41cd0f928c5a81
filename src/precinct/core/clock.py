"""The one place that reads the clock. Rules take time as an argument; entry points call these."""

import datetime as dt
import zoneinfo


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today(tz: str) -> dt.date:
    return now().astimezone(zoneinfo.ZoneInfo(tz)).date()
