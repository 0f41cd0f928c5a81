"""Evaluate a case's events against the rule table: one finding per rule and subject.

Pure and deterministic: the same case, events, ``now`` and settings give the same findings, in any
order of arrival (events are sorted by time here).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from .model import Case, Event, Finding, Limit, LimitKind, Rule, State
from .periods import IsHoliday, Unit, due_at, weekends
from .table import RULES

CASE = "case"


@dataclass(frozen=True)
class Settings:
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    is_holiday: IsHoliday = weekends
    immediate_grace: dt.timedelta = dt.timedelta(hours=2)
    warn_fraction: float = 0.25  # due_soon inside the last quarter of the period ...
    warn_cap: dt.timedelta = dt.timedelta(hours=24)  # ... but never more than 24 hours before
    rules: Sequence[Rule] = RULES


def evaluate(case: Case, events: Iterable[Event], now: dt.datetime, settings: Settings) -> list[Finding]:
    """All findings for one case as of ``now``, sorted by due time (mandatory-step findings,
    which have their trigger as due time, sort in with the rest)."""
    ordered = sorted(events, key=lambda e: (e.at, e.seq))
    by_type: dict[str, list[Event]] = defaultdict(list)
    for e in ordered:
        by_type[e.type].append(e)
    findings: dict[tuple[str, str], Finding] = {}
    for rule in settings.rules:
        if rule.case_kind is not case.kind:
            continue
        if rule.applies is not None and not rule.applies(case, ordered):
            continue
        triggers = [e for t in rule.trigger.types for e in by_type.get(t, ()) if rule.trigger(e)]
        if not triggers:
            continue
        triggers = [e for e in triggers if rule.in_force(e.at)]
        if not triggers:
            continue
        triggers.sort(key=lambda e: (e.at, e.seq))
        special = SPECIAL.get(rule.evaluator)
        produced = (
            special(rule, case, triggers, by_type, now, settings)
            if special
            else _periods(rule, case, triggers, by_type, now, settings)
        )
        for f in produced:
            key = (f.rule, f.subject)
            if key not in findings or f.trigger_at < findings[key].trigger_at:
                findings[key] = f
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(findings.values(), key=lambda f: (f.due_at or far, f.rule, f.subject))


# --- the plain period -------------------------------------------------------------------
def _subject(e: Event) -> str:
    return e.subject or CASE


def _first_per_subject(triggers: list[Event]) -> dict[str, Event]:
    first: dict[str, Event] = {}
    for e in triggers:
        first.setdefault(_subject(e), e)
    return first


def _same_subject(e: Event, subject: str) -> bool:
    """A follow-up for a person or item must name it; a case-level follow-up serves everyone."""
    return e.subject is None or subject == CASE or e.subject == subject


def _first_after(
    match_types: Iterable[str], match: object, by_type: dict[str, list[Event]], start: Event,
    subject: str,
) -> Event | None:
    best: Event | None = None
    for t in match_types:
        for e in by_type.get(t, ()):
            if (e.at, e.seq) < (start.at, start.seq) or e is start:
                continue
            if not match(e) or not _same_subject(e, subject):  # type: ignore[operator]
                continue
            if best is None or (e.at, e.seq) < (best.at, best.seq):
                best = e
            break  # lists are in time order: the first match of this type is the earliest
    return best


def _limit(rule: Rule, case: Case, trigger: Event, by_type: dict[str, list[Event]], subject: str) -> Limit | None:
    base = rule.limit_for(case, trigger) if rule.limit_for else rule.limit
    if base is None or rule.extension is None:
        return base
    granted = [
        e for t in rule.extension.types for e in by_type.get(t, ())
        if rule.extension(e) and e.at >= trigger.at and _same_subject(e, subject)
    ]
    granted.sort(key=lambda e: (e.at, e.seq))
    if rule.max_extensions is not None:
        granted = granted[: rule.max_extensions]
    amount = base.amount
    for e in granted:
        value = int(e.get(rule.extension_attr, 0) or 0)
        amount = max(amount, value) if rule.extension_mode == "total" else amount + value
    return Limit(amount, base.unit)


def _due(rule: Rule, limit: Limit | None, trigger: Event, settings: Settings) -> dt.datetime:
    if rule.kind is LimitKind.IMMEDIATE or limit is None:
        return trigger.at + settings.immediate_grace
    return due_at(trigger.at, limit, tz=settings.tz, is_holiday=settings.is_holiday,
                  in_custody=rule.in_custody)


def _state(trigger_at: dt.datetime, due: dt.datetime, met: Event | None, now: dt.datetime,
           settings: Settings) -> State:
    if met is not None:
        return State.MET if met.at <= due else State.LATE
    if now > due:
        return State.OVERDUE
    window = min((due - trigger_at) * settings.warn_fraction, settings.warn_cap)
    return State.DUE_SOON if now >= due - window else State.PENDING


def _finding(rule: Rule, subject: str, trigger: Event, due: dt.datetime | None, state: State,
             met: Event | None, reason: str = "") -> Finding:
    return Finding(
        rule=rule.id, subject=subject, trigger_at=trigger.at, due_at=due, state=state,
        met_at=met.at if met else None, severity=rule.severity, basis=rule.basis, kind=rule.kind,
        title=rule.title, reason=reason, version=rule.version,
    )


def _periods(rule: Rule, case: Case, triggers: list[Event], by_type: dict[str, list[Event]],
             now: dt.datetime, settings: Settings) -> list[Finding]:
    out = []
    for subject, trigger in _first_per_subject(triggers).items():
        limit = _limit(rule, case, trigger, by_type, subject)
        due = _due(rule, limit, trigger, settings)
        met = _first_after(rule.follow_up.types, rule.follow_up, by_type, trigger, subject)
        if met is not None and rule.also_required is not None:
            other = _first_after(rule.also_required.types, rule.also_required, by_type, trigger, subject)
            met = None if other is None else max(met, other, key=lambda e: (e.at, e.seq))
        if met is None and rule.waiver is not None:
            waiver = _first_after(rule.waiver.types, rule.waiver, by_type, trigger, subject)
            if waiver is not None:
                out.append(_finding(rule, subject, trigger, due, State.WAIVED, None,
                                    reason=str(waiver.get("reason", ""))))
                continue
        out.append(_finding(rule, subject, trigger, due, _state(trigger.at, due, met, now, settings), met))
    return out


# --- rules that are not a plain period --------------------------------------------------
def _before_expiry(rule: Rule, case: Case, triggers: list[Event], by_type: dict[str, list[Event]],
                   now: dt.datetime, settings: Settings) -> list[Finding]:
    """C13: the extension request is due 7 days before investigative custody expires."""
    out = []
    for subject, trigger in _first_per_subject(triggers).items():
        expiry = _due(rule, rule.limit, trigger, settings)
        due = expiry - dt.timedelta(days=7)
        met = _first_after(rule.follow_up.types, rule.follow_up, by_type, trigger, subject)
        out.append(_finding(rule, subject, trigger, due, _state(trigger.at, due, met, now, settings), met))
    return out


def _supplementary(rule: Rule, case: Case, triggers: list[Event], by_type: dict[str, list[Event]],
                   now: dt.datetime, settings: Settings) -> list[Finding]:
    """C32: each return for supplementary investigation gives one month to resubmit; at most two
    returns — a third is itself a finding."""
    out = []
    for n, trigger in enumerate(triggers, start=1):
        subject = f"return-{n}"
        if n > 2:
            out.append(_finding(rule, subject, trigger, trigger.at, State.VIOLATED, None,
                                reason="more than two returns for supplementary investigation"))
            continue
        due = _due(rule, rule.limit, trigger, settings)
        met = _first_after(rule.follow_up.types, rule.follow_up, by_type, trigger, CASE)
        out.append(_finding(rule, subject, trigger, due, _state(trigger.at, due, met, now, settings), met))
    return out


def _recorded(rule: Rule, case: Case, triggers: list[Event], by_type: dict[str, list[Event]],
              now: dt.datetime, settings: Settings) -> list[Finding]:
    """C33, A24: every session must be recorded on audio-video; per person, the first session
    without a recording is the violation, otherwise the rule is met."""
    out = []
    for subject, sessions in _group(triggers).items():
        bad = [e for e in sessions if not rule.follow_up(e)]
        first = bad[0] if bad else sessions[0]
        state = State.VIOLATED if bad else State.MET
        out.append(_finding(rule, subject, first, first.at, state, None if bad else sessions[-1]))
    return out


def _before_decision(rule: Rule, case: Case, triggers: list[Event], by_type: dict[str, list[Event]],
                     now: dt.datetime, settings: Settings) -> list[Finding]:
    """A16: before a penalty is decided the person is told the facts, reasons and law."""
    decision = triggers[0]
    notices = [e for e in by_type.get("penalty_notice_given", ()) if (e.at, e.seq) <= (decision.at, decision.seq)]
    state = State.MET if notices else State.VIOLATED
    return [_finding(rule, _subject(decision), decision, decision.at, state, notices[-1] if notices else None)]


def _accept_or_transfer(rule: Rule, case: Case, triggers: list[Event], by_type: dict[str, list[Event]],
                        now: dt.datetime, settings: Settings) -> list[Finding]:
    """A01: accept at once; a report for another unit is transferred within 24 hours instead."""
    trigger = triggers[0]
    transfers = [e for e in by_type.get("case_transferred", ()) if e.at >= trigger.at]
    if transfers:
        due = trigger.at + dt.timedelta(hours=24)
        met = transfers[0]
        plain = replace(rule, kind=LimitKind.DEADLINE)
        return [_finding(plain, CASE, trigger, due, _state(trigger.at, due, met, now, settings), met)]
    return _periods(rule, case, [trigger], by_type, now, settings)


def _group(events: list[Event]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        out[_subject(e)].append(e)
    return out


SPECIAL = {
    "before_expiry": _before_expiry,
    "supplementary": _supplementary,
    "recorded": _recorded,
    "before_decision": _before_decision,
    "accept_or_transfer": _accept_or_transfer,
}

__all__ = ["Settings", "evaluate", "Unit"]
