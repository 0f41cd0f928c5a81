"""Evaluate a case's events against the rule table: one finding per rule and subject.

Pure and deterministic: the same case, events, ``now`` and settings give the same findings, in any
order of arrival (events are sorted by time here).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .model import Case, CaseKind, Event, Finding, Rule
from .periods import Unit
from .plain import _EVENT_ORDER, _periods
from .settings import Settings
from .special import SPECIAL


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


__all__ = ["Settings", "Unit", "evaluate"]
