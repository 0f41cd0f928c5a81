"""The rules that are not a plain period: custody expiry, renewable freezes, supplementary
investigation, recorded sessions, notice before a penalty, accept or transfer."""

import datetime as dt
from collections import defaultdict
from dataclasses import replace

from .model import Case, Event, Finding, LimitKind, Rule, State, on
from .periods import add_months, end_of
from .plain import (
    _EVENT_ORDER,
    CASE,
    _due,
    _finding,
    _first_after,
    _first_per_subject,
    _periods,
    _state,
    _subject,
)
from .settings import Settings


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
