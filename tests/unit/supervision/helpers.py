import datetime as dt
from zoneinfo import ZoneInfo

from precinct.supervision import calendar
from precinct.supervision.rules import Case, CaseKind, Event, Finding, Settings, evaluate

TZ = ZoneInfo("Asia/Shanghai")
SETTINGS = Settings(tz=TZ, is_holiday=calendar.is_holiday)


def t(text: str) -> dt.datetime:
    """A local Beijing time: '2026-03-02 09:30'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def ev(type_: str, at: str, subject: str | None = "p1", **attrs: object) -> Event:
    return Event(type_, t(at), subject, attrs)


def run(kind: str, events: list[Event], now: str, **flags: bool) -> dict[tuple[str, str], Finding]:
    case = Case("T-1", CaseKind(kind), flags)
    numbered = [Event(e.type, e.at, e.subject, e.attrs, seq=i) for i, e in enumerate(events)]
    return {(f.rule, f.subject): f for f in evaluate(case, numbered, t(now), SETTINGS)}


def state(
    kind: str, events: list[Event], now: str, rule: str, subject: str = "p1", **flags: bool
) -> str:
    found = run(kind, events, now, **flags)
    return found[(rule, subject)].state.value if (rule, subject) in found else "absent"
