"""Evaluate a case's events against the rule table: one finding per rule and subject.

Pure and deterministic: the same case, events, ``now`` and settings give the same findings, in any
order of arrival (events are sorted by time here).
"""

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from zoneinfo import ZoneInfo

from .model import Case, CaseKind, Event, Finding, Limit, LimitKind, Match, Rule, State, on
from .periods import IsHoliday, Unit, add_months, due_at, end_of, weekends
from .table import RULES

CASE = "case"


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


@dataclass(frozen=True)
class _Compiled:
    """A rule prepared for the hot path."""

    rule: Rule
    special: Callable[..., list[Finding]] | None
    fast: bool  # triggers match on type alone and the rule is always in force
    versioned: bool  # the id has several versions: findings need de-duplication


_Index = dict[CaseKind, dict[str, tuple[int, ...]]]


def _compile(rules: Sequence[Rule]) -> tuple[_Index, list[_Compiled]]:
    """Rules by case kind and trigger event type (positions in table order), compiled once per
    rule table."""
    cached = _INDEX.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1], cached[2]
    counts: dict[str, int] = defaultdict(int)
    for r in rules:
        counts[r.id] += 1
    compiled = [
        _Compiled(
            r, SPECIAL.get(r.evaluator), r.trigger.plain and r.always_in_force, counts[r.id] > 1
        )
        for r in rules
    ]
    lists: dict[CaseKind, dict[str, list[int]]] = {k: defaultdict(list) for k in CaseKind}
    for n, rule in enumerate(rules):
        for t in rule.trigger.types:
            lists[rule.case_kind][t].append(n)
    index = {k: {t: tuple(v) for t, v in d.items()} for k, d in lists.items()}
    _INDEX[id(rules)] = (rules, index, compiled)
    return index, compiled


_INDEX: dict[int, tuple[Sequence[Rule], _Index, list[_Compiled]]] = {}
_EVENT_ORDER = attrgetter("at", "seq")


def _FINDING_ORDER(f: Finding) -> tuple[dt.datetime, str, str]:
    return (f.due_at or f.trigger_at, f.rule, f.subject)


def evaluate(
    case: Case, events: Iterable[Event], now: dt.datetime, settings: Settings
) -> list[Finding]:
    """All findings for one case as of ``now``, sorted by due time (mandatory-step findings,
    which have their trigger as due time, sort in with the rest)."""
    # In the zone the events are in: comparing datetimes of one tzinfo object skips the
    # zone arithmetic that comparing across zones costs (a tenth of the time).
    now = now.astimezone(settings.tz)
    # As of ``now``: what is recorded for later has not happened yet.
    ordered = [e for e in events if e.at <= now]
    ordered.sort(key=_EVENT_ORDER)
    by_type: dict[str, list[Event]] = defaultdict(list)
    for e in ordered:
        by_type[e.type].append(e)
    index, compiled = _compile(settings.rules)
    by_trigger = index[case.kind]
    numbers: set[int] = set()
    for t in by_type:
        hit = by_trigger.get(t)
        if hit:
            numbers.update(hit)
    found: list[Finding] = []
    versioned: dict[tuple[str, str], Finding] = {}
    for n in sorted(numbers):
        c = compiled[n]
        rule = c.rule
        if rule.applies is not None and not rule.applies(case, ordered):
            continue
        match = rule.trigger
        if c.fast:
            if len(match.types) == 1:
                (t,) = match.types
                triggers = by_type[t]
            else:
                triggers = [e for t in match.types for e in by_type.get(t, ())]
                triggers.sort(key=_EVENT_ORDER)
        else:
            plain, since, until = match.plain, rule.valid_from, rule.valid_to
            triggers = [
                e
                for t in match.types
                for e in by_type.get(t, ())
                if (plain or match(e))
                and (since is None or e.at >= since)
                and (until is None or e.at < until)
            ]
            if len(match.types) > 1:
                triggers.sort(key=_EVENT_ORDER)
        if not triggers:
            continue
        produced = (
            c.special(rule, case, triggers, by_type, now, settings)
            if c.special
            else _periods(rule, case, triggers, by_type, now, settings)
        )
        if not c.versioned:
            found.extend(produced)  # one finding per subject by construction
            continue
        for f in produced:  # versions of one rule: the earliest trigger wins
            key = (f.rule, f.subject)
            if key not in versioned or f.trigger_at < versioned[key].trigger_at:
                versioned[key] = f
    found.extend(versioned.values())
    # by due time (mandatory steps: the trigger; a stopped clock: the trigger)
    found.sort(key=_FINDING_ORDER)
    return found


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


# --- rules that are not a plain period --------------------------------------------------
def _before_expiry(
    rule: Rule,
    case: Case,
    triggers: list[Event],
    by_type: dict[str, list[Event]],
    now: dt.datetime,
    settings: Settings,
) -> list[Finding]:
    """C13: if custody is to run past its expiry (2 months from arrest), the extension request is
    due 7 days before it. A case concluded (transferred or released) by the expiry needs no
    request. Each approved extension (``custody_extended``, ``months``) moves the expiry, and the
    next request is due 7 days before the new one. One finding per person: the first request that
    was late, or else the one due now (or the last, met)."""
    out = []
    request_match = on("custody_extension_requested")
    extended_match = on("custody_extended")
    concluded = on("transferred_for_prosecution", "released")
    for subject, trigger in _first_per_subject(triggers).items():
        expiry = _due(rule, rule.limit, trigger, settings)
        end = _first_after(concluded, by_type, trigger, subject)
        start = trigger
        for _ in range(12):  # extensions are few; the bound only guards against bad data
            due = expiry - dt.timedelta(days=7)
            request = _first_after(request_match, by_type, start, subject)
            if end is not None and end.at <= expiry and (request is None or end.at <= request.at):
                met, state = end, State.MET
            elif request is not None:
                met, state = request, (State.MET if request.at <= due else State.LATE)
                extension = _first_after(extended_match, by_type, request, subject)
                if state is State.MET and extension is not None:
                    added = int(extension.get("months", 0) or 0)
                    if added > 0:  # custody runs on: the next expiry needs its own request
                        expiry = end_of(
                            add_months(expiry.astimezone(settings.tz).date(), added)
                            - dt.timedelta(days=1),
                            settings.tz,
                        )
                        start = extension
                        continue
            elif end is not None:
                met, state = end, State.LATE  # concluded only after custody had expired
            else:
                met, state = None, _state(start.at, due, None, now, settings)
            break
        out.append(_finding(rule, subject, start, due, state, met))
    return out


def _renewable(
    rule: Rule,
    case: Case,
    triggers: list[Event],
    by_type: dict[str, list[Event]],
    now: dt.datetime,
    settings: Settings,
) -> list[Finding]:
    """C29: a freeze runs for its period from the freeze, and again from each renewal; every period
    must end in a renewal or a release by its expiry. One finding per account: the first period
    that ended late, or else the period running now (or the last, released)."""
    out = []
    renewed, released = on("freeze_renewed"), on("freeze_released")
    for subject, trigger in _first_per_subject(triggers).items():
        start = trigger
        while True:
            limit = rule.limit_for(case, start) if rule.limit_for else rule.limit
            due = _due(rule, limit, start, settings)
            renewal = _first_after(renewed, by_type, start, subject)
            release = _first_after(released, by_type, start, subject)
            nxt = min(
                (e for e in (renewal, release) if e is not None),
                key=_EVENT_ORDER,
                default=None,
            )
            if nxt is None:
                met, state = None, _state(start.at, due, None, now, settings)
            elif nxt.at > due:
                met, state = nxt, State.LATE
            elif nxt is release:
                met, state = release, State.MET
            else:  # renewed in time: the next period runs from the renewal
                start = nxt
                continue
            break
        out.append(_finding(rule, subject, start, due, state, met))
    return out


def _supplementary(
    rule: Rule,
    case: Case,
    triggers: list[Event],
    by_type: dict[str, list[Event]],
    now: dt.datetime,
    settings: Settings,
) -> list[Finding]:
    """C32: each return for supplementary investigation gives one month to resubmit; at most two
    returns — a third is itself a finding."""
    out = []
    for n, trigger in enumerate(triggers, start=1):
        subject = f"return-{n}"
        if n > 2:
            out.append(
                _finding(
                    rule,
                    subject,
                    trigger,
                    trigger.at,
                    State.VIOLATED,
                    None,
                    reason="more than two returns for supplementary investigation",
                )
            )
            continue
        due = _due(rule, rule.limit, trigger, settings)
        met = _first_after(rule.follow_up, by_type, trigger, CASE)
        out.append(
            _finding(rule, subject, trigger, due, _state(trigger.at, due, met, now, settings), met)
        )
    return out


def _recorded(
    rule: Rule,
    case: Case,
    triggers: list[Event],
    by_type: dict[str, list[Event]],
    now: dt.datetime,
    settings: Settings,
) -> list[Finding]:
    """C33, A24: every session must be recorded on audio-video; per person, the first session
    without a recording is the violation, otherwise the rule is met."""
    out = []
    for subject, sessions in _group(triggers).items():
        bad = [e for e in sessions if not rule.follow_up(e)]
        first = bad[0] if bad else sessions[0]
        state = State.VIOLATED if bad else State.MET
        out.append(_finding(rule, subject, first, first.at, state, None if bad else sessions[-1]))
    return out


def _before_decision(
    rule: Rule,
    case: Case,
    triggers: list[Event],
    by_type: dict[str, list[Event]],
    now: dt.datetime,
    settings: Settings,
) -> list[Finding]:
    """A16: before a penalty is decided the person is told the facts, reasons and law."""
    decision = triggers[0]
    notices = [
        e
        for e in by_type.get("penalty_notice_given", ())
        if (e.at, e.seq) <= (decision.at, decision.seq)
    ]
    state = State.MET if notices else State.VIOLATED
    return [
        _finding(
            rule, _subject(decision), decision, decision.at, state, notices[-1] if notices else None
        )
    ]


def _accept_or_transfer(
    rule: Rule,
    case: Case,
    triggers: list[Event],
    by_type: dict[str, list[Event]],
    now: dt.datetime,
    settings: Settings,
) -> list[Finding]:
    """A01: accept at once; a report for another unit is transferred within 24 hours instead."""
    trigger = triggers[0]
    transfers = [e for e in by_type.get("case_transferred", ()) if e.at >= trigger.at]
    if transfers:
        due = trigger.at + dt.timedelta(hours=24)
        met = transfers[0]
        plain = replace(rule, kind=LimitKind.DEADLINE)
        return [
            _finding(plain, CASE, trigger, due, _state(trigger.at, due, met, now, settings), met)
        ]
    return _periods(rule, case, [trigger], by_type, now, settings)


def _group(events: list[Event]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        out[_subject(e)].append(e)
    return out


SPECIAL = {
    "before_expiry": _before_expiry,
    "renewable": _renewable,
    "supplementary": _supplementary,
    "recorded": _recorded,
    "before_decision": _before_decision,
    "accept_or_transfer": _accept_or_transfer,
}

__all__ = ["Settings", "Unit", "evaluate"]
