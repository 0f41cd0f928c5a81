"""Properties of the engine over generated cases (hypothesis)."""

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from precinct.supervision.rules import RULES, Case, CaseKind, Event, LimitKind, evaluate
from precinct.supervision.rules.interchange import EVENT_TYPES

from .helpers import SETTINGS, TZ

START = dt.datetime(2025, 12, 1, 8, 0, tzinfo=TZ)
ATTRS = {
    "family_notified": {"measure": "detention"},
    "notice_exempted": {"measure": "arrest", "reason": "r"},
    "detention_extended": {"days": 7},
    "custody_extended": {"months": 1},
    "case_extended": {"days": 30},
    "seizure_extended": {"days": 30},
}
TRIGGER_TYPES = {t for r in RULES for t in r.trigger.types}
# Follow-ups that start nothing themselves: adding one can only settle a deadline.
PURE_FOLLOW_UPS = sorted(
    {t for r in RULES for t in r.follow_up.types} - TRIGGER_TYPES - {"penalty_notice_given"}
)
TYPES = sorted(EVENT_TYPES)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Case, list[Event]]:
    kind = draw(st.sampled_from(list(CaseKind)))
    flags = draw(
        st.dictionaries(
            st.sampled_from(
                ["major", "life_or_death", "many_suspects", "detention_possible", "public_order"]
            ),
            st.booleans(),
        )
    )
    n = draw(st.integers(1, 14))
    events = []
    for i in range(n):
        etype = draw(st.sampled_from(TYPES))
        minutes = draw(st.integers(0, 60 * 24 * 120))
        subject = draw(st.sampled_from(["p1", "p2", None]))
        attrs = dict(ATTRS.get(etype, {}))
        if etype == "interrogated":
            attrs["av_recorded"] = draw(st.booleans())
        events.append(Event(etype, START + dt.timedelta(minutes=minutes), subject, attrs, seq=i))
    return Case("P-1", kind, flags), events


NOW = st.integers(0, 60 * 24 * 200).map(lambda m: START + dt.timedelta(minutes=m))


def _problems(case: Case, events: list[Event], now: dt.datetime) -> set[tuple[str, str]]:
    return {(f.rule, f.subject) for f in evaluate(case, events, now, SETTINGS) if f.problem}


@settings(max_examples=300, deadline=None)
@given(cases(), NOW, st.randoms(use_true_random=False))
def test_the_order_of_arrival_does_not_change_the_findings(
    case_events, now, rnd: random.Random
) -> None:
    case, events = case_events
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert evaluate(case, events, now, SETTINGS) == evaluate(case, shuffled, now, SETTINGS)


@settings(max_examples=300, deadline=None)
@given(
    cases(),
    NOW,
    st.sampled_from(PURE_FOLLOW_UPS),
    st.integers(0, 60 * 24 * 150),
    st.sampled_from(["p1", "p2", None]),
)
def test_adding_a_follow_up_never_adds_a_problem_point(
    case_events, now, follow, minutes, subject
) -> None:
    case, events = case_events
    before = _problems(case, events, now)
    extra = Event(
        follow,
        START + dt.timedelta(minutes=minutes),
        subject,
        dict(ATTRS.get(follow, {})),
        seq=len(events),
    )
    after = _problems(case, [*events, extra], now)
    assert after <= before


@settings(max_examples=200, deadline=None)
@given(cases(), NOW)
def test_one_finding_per_rule_and_subject(case_events, now) -> None:
    case, events = case_events
    found = evaluate(case, events, now, SETTINGS)
    keys = [(f.rule, f.subject) for f in found]
    assert len(keys) == len(set(keys))
    periods = [f for f in found if f.kind is not LimitKind.MANDATORY]
    assert all(f.met_at is None or f.met_at >= f.trigger_at for f in periods)
