"""The plain period: a rule's due time from its trigger (extended, with excluded days left out),
met by the first follow-up, waived by a lawful exception; one finding per subject."""

import datetime as dt
import functools
from operator import attrgetter

from .model import Case, Event, Finding, Limit, LimitKind, Match, Rule, State
from .periods import Unit, due_at
from .settings import Settings

CASE = "case"


_EVENT_ORDER = attrgetter("at", "seq")


# --- the plain period -------------------------------------------------------------------
def _subject(e: Event) -> str:
    return e.subject or CASE


def _first_per_subject(triggers: list[Event]) -> dict[str, Event]:
    first: dict[str, Event] = {}
    for e in triggers:
        first.setdefault(e.subject or CASE, e)
    return first


def _first_after(
    match: Match, by_type: dict[str, list[Event]], start: Event, subject: str
) -> Event | None:
    """The earliest event matching ``match`` for ``subject`` at or after ``start`` (not itself).
    A follow-up for a person or item must name it; a case-level follow-up serves everyone."""
    best: Event | None = None
    plain = match.plain
    start_at, start_seq = start.at, start.seq
    for t in match.types:
        for e in by_type.get(t, ()):
            if e is start or e.at < start_at or (e.at == start_at and e.seq < start_seq):
                continue
            if e.subject is not None and subject != CASE and e.subject != subject:
                continue
            if not plain and not match(e):
                continue
            if best is None or (e.at, e.seq) < (best.at, best.seq):
                best = e
            break  # lists are in time order: the first match of this type is the earliest
    return best


def _limit(
    rule: Rule, case: Case, trigger: Event, by_type: dict[str, list[Event]], subject: str
) -> Limit | None:
    base = rule.limit_for(case, trigger) if rule.limit_for else rule.limit
    if base is None or rule.extension is None:
        return base
    granted = [
        e
        for t in rule.extension.types
        for e in by_type.get(t, ())
        if rule.extension(e)
        and e.at >= trigger.at
        and (e.subject is None or subject == CASE or e.subject == subject)
    ]
    granted.sort(key=lambda e: (e.at, e.seq))
    if rule.max_extensions is not None:
        granted = granted[: rule.max_extensions]
    amount = base.amount
    cap = rule.extension_cap
    if rule.total_cap_for is not None:
        cap = rule.total_cap_for(case)
    for e in granted:
        value = int(e.get(rule.extension_attr, 0) or 0)
        if cap is not None:
            value = min(value, cap)  # no approval grants more than the law allows
        amount = max(amount, value) if rule.extension_mode == "total" else amount + value
    if rule.extension_total_cap is not None:
        amount = min(amount, base.amount + rule.extension_total_cap)
    return Limit(amount, base.unit)


def _excluded_days(
    rule: Rule,
    limit: Limit,
    trigger: Event,
    by_type: dict[str, list[Event]],
    subject: str,
    now: dt.datetime,
    tz: dt.tzinfo,
) -> tuple[int, dt.date | None]:
    """Whole days that do not count towards the period (``rule.excluded``), and the day the clock
    stopped if it is stopped still. A span runs from a start event after the trigger to its end
    event, or to the follow-up; one with neither yet is still running (the clock is stopped).
    Overlapping spans count once. Days are calendar dates in the bureau's zone, the start's day
    counting and the end's not (commissioned 03-05, received 03-12: 7 days). A span that starts
    after the period (as extended by the spans before it) has run out excuses nothing: the time
    was already over."""
    assert rule.excluded is not None and limit.unit is Unit.DAYS
    start_match, end_match = rule.excluded
    done = _first_after(rule.follow_up, by_type, trigger, subject)
    bound = done.at if done is not None else now
    spans: list[tuple[dt.date, dt.date, bool]] = []  # (first day, end day, still running)
    for t in start_match.types:
        for e in by_type.get(t, ()):
            if e.at < trigger.at or e.at >= bound or not start_match(e):
                continue
            if e.subject is not None and subject != CASE and e.subject != subject:
                continue
            end = _first_after(end_match, by_type, e, subject)
            ended = end is not None and end.at <= bound
            stop = end.at if ended and end is not None else bound
            running = not ended and done is None
            spans.append((e.at.astimezone(tz).date(), stop.astimezone(tz).date(), running))
    day0 = trigger.at.astimezone(tz).date()  # the trigger's day does not count
    total, reach = 0, dt.date.min
    stopped: dt.date | None = None
    for first, last, running in sorted(spans):
        if (first - day0).days > limit.amount + total:
            break  # started after the (extended) period's last day
        if running:
            stopped = first if stopped is None else min(stopped, first)
            continue
        first = max(first, reach)
        if last > first:
            total += (last - first).days
            reach = last
    return total, stopped


def _due(rule: Rule, limit: Limit | None, trigger: Event, settings: Settings) -> dt.datetime:
    if rule.kind is LimitKind.IMMEDIATE or limit is None:
        return trigger.at + settings.immediate_grace
    return due_at(
        trigger.at,
        limit,
        tz=settings.tz,
        is_holiday=settings.is_holiday,
        in_custody=rule.in_custody,
    )


def _state(
    trigger_at: dt.datetime,
    due: dt.datetime,
    met: Event | None,
    now: dt.datetime,
    settings: Settings,
) -> State:
    if met is not None:
        return State.MET if met.at <= due else State.LATE
    if now > due:
        return State.OVERDUE
    window = min((due - trigger_at) * settings.warn_fraction, settings.warn_cap)
    return State.DUE_SOON if now >= due - window else State.PENDING


def _finding(
    rule: Rule,
    subject: str,
    trigger: Event,
    due: dt.datetime | None,
    state: State,
    met: Event | None,
    reason: str = "",
) -> Finding:
    return Finding(
        rule=rule.id,
        subject=subject,
        trigger_at=trigger.at,
        due_at=due,
        state=state,
        met_at=met.at if met else None,
        severity=rule.severity,
        basis=rule.basis,
        kind=rule.kind,
        title=rule.title,
        reason=reason,
        version=rule.version,
    )


def _periods(
    rule: Rule,
    case: Case,
    triggers: list[Event],
    by_type: dict[str, list[Event]],
    now: dt.datetime,
    settings: Settings,
) -> list[Finding]:
    """The plain period: the hot path of the engine, kept lean (see bench/supervision.py)."""
    out: list[Finding] = []
    seen: set[str] = set()
    for trigger in triggers:
        subject = trigger.subject or CASE
        if subject in seen:
            continue
        seen.add(subject)
        excluded_note = ""
        if rule.kind is LimitKind.IMMEDIATE:
            due = trigger.at + settings.immediate_grace
        else:
            if rule.limit_for is None and rule.extension is None:
                limit = rule.limit
            else:
                limit = _limit(rule, case, trigger, by_type, subject)
            assert limit is not None
            if rule.excluded is not None:
                skipped, stopped_since = _excluded_days(
                    rule, limit, trigger, by_type, subject, now, settings.tz
                )
                if stopped_since is not None:
                    # The clock is stopped (an opinion is awaited): no due time until it runs
                    # again. A due time that moved with "now" would change every day without an
                    # event (and the sweep's fingerprints rightly assume it does not).
                    out.append(
                        Finding(
                            rule.id,
                            subject,
                            trigger.at,
                            None,
                            State.PENDING,
                            None,
                            rule.severity,
                            rule.basis,
                            rule.kind,
                            rule.title,
                            f"clock stopped since {stopped_since:%Y-%m-%d} (excluded time)",
                            rule.version,
                        )
                    )
                    continue
                if skipped:
                    limit = Limit(limit.amount + skipped, limit.unit)
                    excluded_note = f"{skipped} day(s) not counted (excluded time)"
            if limit.unit is Unit.HOURS:
                due = trigger.at + _hours(limit.amount)
            else:
                due = due_at(
                    trigger.at,
                    limit,
                    tz=settings.tz,
                    is_holiday=settings.is_holiday,
                    in_custody=rule.in_custody,
                )
        waiver = (
            _first_after(rule.waiver, by_type, trigger, subject)
            if rule.waiver is not None
            else None
        )
        if waiver is not None and waiver.at > due:
            waiver = None  # an exception is recorded within the period, not to excuse it afterwards
        met = _first_after(rule.follow_up, by_type, trigger, subject)
        reason = ""
        if waiver is not None and (met is None or waiver.at <= met.at):
            # A lawful exception to the notice (notified later, when it lapses). Where the rule also
            # requires another step, that step is still due.
            reason = str(waiver.get("reason", ""))
            if rule.also_required is None:
                out.append(
                    Finding(
                        rule.id,
                        subject,
                        trigger.at,
                        due,
                        State.WAIVED,
                        None,
                        rule.severity,
                        rule.basis,
                        rule.kind,
                        rule.title,
                        reason,
                        rule.version,
                    )
                )
                continue
            met = _first_after(rule.also_required, by_type, trigger, subject)
        elif met is not None and rule.also_required is not None:
            other = _first_after(rule.also_required, by_type, trigger, subject)
            met = None if other is None else max(met, other, key=lambda e: (e.at, e.seq))
        if met is not None:
            state = State.MET if met.at <= due else State.LATE
        else:
            state = _state(trigger.at, due, None, now, settings)
        if (
            not reason
            and settings.calendar_years is not None
            and rule.kind is LimitKind.DEADLINE
            and not rule.in_custody
            and due.year not in settings.calendar_years
            and (rule.limit is None or rule.limit.unit is not Unit.HOURS)
        ):
            reason = f"holiday calendar for {due.year} not available: weekends only"
        if excluded_note and not reason:
            reason = excluded_note
        out.append(
            Finding(
                rule.id,
                subject,
                trigger.at,
                due,
                state,
                met.at if met else None,
                rule.severity,
                rule.basis,
                rule.kind,
                rule.title,
                reason,
                rule.version,
            )
        )
    return out


@functools.lru_cache(maxsize=256)
def _hours(n: int) -> dt.timedelta:
    return dt.timedelta(hours=n)
