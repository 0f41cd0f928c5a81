"""Every rule at its boundaries: exactly at due, a minute late, overdue, extensions, waivers, the
2026 switch of the public-order law, and the mandatory steps."""

import pytest

from precinct.supervision.rules import RULE_IDS, RULES, LimitKind

from .helpers import ev, run, state, t

C, A = "criminal", "administrative"
DET = "2026-03-02 09:30"  # a Monday


# --- one minimal case per rule: every id in the table is exercised -------------------------
TRIGGERS = {
    "C01": (C, [ev("summoned", DET)]),
    "C02": (C, [ev("detained", DET)]),
    "C03": (C, [ev("detained", DET)]),
    "C04": (C, [ev("detained", DET)]),
    "C05": (C, [ev("detained", DET)]),
    "C06": (C, [ev("arrest_requested", DET)]),
    "C06R": (C, [ev("arrest_refused", DET)]),
    "C08": (C, [ev("arrest_approved", DET)]),
    "C08R": (C, [ev("arrest_approved", DET)]),
    "C09": (C, [ev("arrested", DET)]),
    "C10": (C, [ev("arrested", DET)]),
    "C11": (C, [ev("arrested", DET)]),
    "C12": (C, [ev("arrested", DET)]),
    "C13": (C, [ev("arrested", DET)]),
    "C16": (C, [ev("bail_started", DET)]),
    "C17": (C, [ev("surveillance_started", DET)]),
    "C17N": (C, [ev("surveillance_started", DET, designated_residence=True)]),
    "C18": (C, [ev("measure_change_requested", DET)]),
    "C20": (C, [ev("report_received", DET, None)]),
    "C21": (C, [ev("case_accepted", DET, None)]),
    "C24": (C, [ev("report_received", DET, None), ev("case_not_filed", "2026-03-03 10:00", None)]),
    "C26": (C, [ev("case_withdrawn", DET, None)]),
    "C27": (C, [ev("expert_opinion_received", DET, None)]),
    "C28": (C, [ev("property_found_unrelated", DET, "item1")]),
    "C29": (C, [ev("account_frozen", DET, "acct1")]),
    "C30": (C, [ev("property_seized", DET, "item1")]),
    "C32": (C, [ev("returned_for_supplementary_investigation", DET, None)]),
    "C33": (C, [ev("interrogated", DET, av_recorded=True)]),
    "A01": (A, [ev("report_received", DET, None)]),
    "A03": (A, [ev("summoned", DET)]),
    "A04": (A, [ev("summoned", DET)]),
    "A05": (A, [ev("continued_questioning", DET)]),
    "A06": (A, [ev("coercive_measure_on_the_spot", DET)]),
    "A08": (A, [ev("case_filed", DET, None)]),
    "A09": (A, [ev("case_filed", DET, None)]),
    "A10": (A, [ev("fast_track", DET)]),
    "A11": (A, [ev("expert_opinion_received", DET, None)]),
    "A12": (A, [ev("items_registered", DET, "item1")]),
    "A13": (A, [ev("items_seized", DET, "item1")]),
    "A14": (A, [ev("property_seized", DET, "item1")]),
    "A16": (A, [ev("decision_made", DET, None)]),
    "A19": (A, [ev("decision_made", DET, None)]),
    "A20": (A, [ev("admin_detention_decided", DET)]),
    "A21": (A, [ev("on_the_spot_penalty", DET, None)]),
    "A24": (A, [ev("interrogated", DET, single_officer=True, av_recorded=True)]),
}
FLAGS = {"C33": {"life_or_death": True}, "A09": {"public_order": False}}


def test_every_rule_in_the_table_has_a_case_here() -> None:
    assert set(TRIGGERS) == set(RULE_IDS)


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_each_rule_produces_its_finding(rule_id: str) -> None:
    kind, events = TRIGGERS[rule_id]
    found = run(kind, events, "2026-03-04 00:00", **FLAGS.get(rule_id, {}))
    assert any(r == rule_id for r, _s in found), sorted(found)


def test_every_rule_names_its_legal_basis_and_severity() -> None:
    for rule in RULES:
        assert rule.basis and rule.severity and rule.title
        assert (
            rule.limit is not None
            or rule.kind in (LimitKind.IMMEDIATE, LimitKind.MANDATORY)
            or rule.evaluator
        )


# --- hours: exactly at due, a minute late, overdue, due soon -------------------------------
@pytest.mark.parametrize(
    ("follow", "now", "expected"),
    [
        ("2026-03-03 09:30", "2026-03-04 00:00", "met"),  # exactly at due
        ("2026-03-03 09:31", "2026-03-04 00:00", "late"),  # one minute late
        (None, "2026-03-03 09:30", "due_soon"),  # at due, not yet past it
        (None, "2026-03-03 09:31", "overdue"),
        (None, "2026-03-03 03:29", "pending"),  # 24 h period: warned in the last 6 h
        (None, "2026-03-03 03:30", "due_soon"),
    ],
)
def test_c02_delivery_within_24_hours(follow: str | None, now: str, expected: str) -> None:
    events = [ev("detained", DET)]
    if follow:
        events.append(ev("delivered_to_detention_centre", follow))
    assert state(C, events, now, "C02") == expected


def test_a_follow_up_for_another_person_does_not_count() -> None:
    events = [
        ev("detained", DET, "p1"),
        ev("detained", DET, "p2"),
        ev("delivered_to_detention_centre", "2026-03-02 12:00", "p2"),
    ]
    found = run(C, events, "2026-03-04 00:00")
    assert found[("C02", "p1")].state.value == "overdue"
    assert found[("C02", "p2")].state.value == "met"


# --- days: C05 and its lawful extensions ---------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "request_at", "expected"),
    [
        ([], "2026-03-05 23:59", "met"),  # 3 days: due 24:00 on 03-05
        ([], "2026-03-06 00:01", "late"),
        ([ev("detention_extended", "2026-03-04 10:00", days=7)], "2026-03-09 23:59", "met"),
        ([ev("detention_extended", "2026-03-04 10:00", days=7)], "2026-03-10 00:01", "late"),
        ([ev("detention_extended", "2026-03-04 10:00", days=30)], "2026-04-01 23:00", "late"),
    ],
)
def test_c05_arrest_request_window(extra: list, request_at: str, expected: str) -> None:
    events = [ev("detained", DET), *extra, ev("arrest_requested", request_at)]
    assert state(C, sorted(events, key=lambda e: e.at), "2026-05-01 00:00", "C05") == expected


def test_c05_custody_gets_no_holiday_extension() -> None:
    found = run(C, [ev("detained", "2026-09-28 10:00")], "2026-09-28 11:00")
    assert found[("C05", "p1")].due_at == t("2026-10-02 00:00")  # 10-01 is National Day: no matter


def test_c16_bail_outside_custody_is_extended_over_national_day() -> None:
    found = run(C, [ev("bail_started", "2025-10-01 10:00")], "2025-10-02 00:00")
    assert found[("C16", "p1")].due_at == t("2026-10-09 00:00")


def test_c01_major_case_allows_24_hours() -> None:
    events = [ev("summoned", DET), ev("questioning_ended", "2026-03-02 23:00")]
    assert state(C, events, "2026-03-04 00:00", "C01") == "late"
    assert state(C, events, "2026-03-04 00:00", "C01", major=True) == "met"


def test_c12_custody_extensions_add_months() -> None:
    events = [
        ev("arrested", DET),
        ev("custody_extended", "2026-04-20 10:00", months=1),
        ev("transferred_for_prosecution", "2026-05-20 10:00", None),
    ]
    found = run(C, events, "2026-06-01 00:00")
    assert found[("C12", "p1")].due_at == t("2026-06-03 00:00")  # 3 months: 24:00 on 06-02
    assert found[("C12", "p1")].state.value == "met"


def test_c13_extension_request_is_due_seven_days_before_expiry() -> None:
    found = run(C, [ev("arrested", DET)], "2026-04-25 12:00")
    assert found[("C13", "p1")].due_at == t("2026-04-26 00:00")  # expiry 05-03 00:00 less 7 days
    assert found[("C13", "p1")].state.value == "due_soon"  # inside the last 24 hours


def test_c21_filing_decision_limits_by_flag() -> None:
    events = [ev("case_accepted", DET, None), ev("case_filed", "2026-03-08 10:00", None)]
    assert state(C, events, "2026-04-01 00:00", "C21", "case") == "late"
    assert state(C, events, "2026-04-01 00:00", "C21", "case", leads_to_check=True) == "met"
    assert run(C, events[:1], "2026-03-02 10:00", major=True)[("C21", "case")].due_at == t(
        "2026-04-02 00:00"
    )


def test_c24_applies_only_when_there_is_a_complainant() -> None:
    events = [ev("case_accepted", DET, None), ev("case_not_filed", "2026-03-03 10:00", None)]
    assert state(C, events, "2026-04-01 00:00", "C24", "case") == "absent"


def test_c29_major_freeze_runs_a_year() -> None:
    found = run(C, [ev("account_frozen", DET, "acct")], "2026-03-03 00:00", major=True)
    assert found[("C29", "acct")].due_at.date().isoformat() == "2027-03-03"


# --- waivers --------------------------------------------------------------------------
def test_c03_a_recorded_exemption_waives_the_family_notice() -> None:
    events = [
        ev("detained", DET),
        ev("notice_exempted", "2026-03-02 12:00", measure="detention", reason="无法通知"),
    ]
    found = run(C, events, "2026-03-10 00:00")
    assert found[("C03", "p1")].state.value == "waived"
    assert found[("C03", "p1")].reason == "无法通知"
    assert not found[("C03", "p1")].problem


def test_an_exemption_for_another_measure_does_not_waive() -> None:
    events = [
        ev("detained", DET),
        ev("notice_exempted", "2026-03-02 12:00", measure="arrest", reason="x"),
    ]
    assert state(C, events, "2026-03-10 00:00", "C03") == "overdue"


# --- "immediately" ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("at", "expected"), [("2026-03-02 11:30", "met"), ("2026-03-02 11:31", "late")]
)
def test_c09_immediate_delivery_has_a_two_hour_grace(at: str, expected: str) -> None:
    events = [ev("arrested", DET), ev("delivered_to_detention_centre", at)]
    found = run(C, events, "2026-03-03 00:00")
    assert found[("C09", "p1")].state.value == expected
    assert found[("C09", "p1")].kind is LimitKind.IMMEDIATE


def test_a01_accept_at_once_or_transfer_within_24_hours() -> None:
    late_accept = [ev("report_received", DET, None), ev("case_accepted", "2026-03-02 12:00", None)]
    assert state(A, late_accept, "2026-03-03 00:00", "A01", "case") == "late"
    transfer = [ev("report_received", DET, None), ev("case_transferred", "2026-03-03 09:00", None)]
    assert state(A, transfer, "2026-03-04 00:00", "A01", "case") == "met"


# --- administrative: the 2026 switch ------------------------------------------------------
def test_a03_before_2026_many_suspects_still_means_8_hours() -> None:
    events = [ev("summoned", "2025-12-31 12:00"), ev("questioning_ended", "2025-12-31 22:00")]
    assert state(A, events, "2026-01-02 00:00", "A03", many_suspects=True) == "late"


def test_a03_from_2026_many_suspects_allow_12_hours() -> None:
    events = [ev("summoned", "2026-01-01 00:30"), ev("questioning_ended", "2026-01-01 12:00")]
    assert state(A, events, "2026-01-02 00:00", "A03", many_suspects=True) == "met"
    assert state(A, events, "2026-01-02 00:00", "A03") == "late"  # 8 h otherwise
    assert run(A, events, "2026-01-02 00:00")[("A03", "p1")].version == "治安25"


def test_a03_detention_possible_allows_24_hours() -> None:
    events = [ev("summoned", DET), ev("questioning_ended", "2026-03-03 09:00")]
    assert state(A, events, "2026-03-04 00:00", "A03", detention_possible=True) == "met"


def test_a08_old_law_counts_from_acceptance_new_law_from_filing() -> None:
    old = run(A, [ev("case_accepted", "2025-11-03 10:00", None)], "2025-11-04 00:00")
    assert old[("A08", "case")].version == "治安12"
    assert old[("A08", "case")].due_at == t("2025-12-04 00:00")
    new = run(
        A,
        [ev("case_accepted", "2026-02-02 10:00", None), ev("case_filed", "2026-02-03 10:00", None)],
        "2026-02-04 00:00",
    )
    assert new[("A08", "case")].version == "治安25"
    assert new[("A08", "case")].trigger_at == t("2026-02-03 10:00")


def test_a08_from_2026_at_most_two_extensions_count() -> None:
    events = [ev("case_filed", "2026-03-02 10:00", None)] + [
        ev("case_extended", f"2026-03-{d} 10:00", None, days=30) for d in (20, 21, 22)
    ]
    found = run(A, events, "2026-03-23 00:00")
    # 30 + 2 × 30 days (not 120): last day Sunday 05-31, so the period ends with Monday 06-01
    assert found[("A08", "case")].due_at == t("2026-06-02 00:00")


def test_a13_seizure_extension_and_a05_approved_hours() -> None:
    seizure = [
        ev("items_seized", DET, "i1"),
        ev("seizure_extended", "2026-03-20 10:00", "i1", days=30),
    ]
    # 60 days end on 05-01, Labour Day (1–5 May 2026): the period runs to the end of 05-06
    assert run(A, seizure, "2026-03-21 00:00")[("A13", "i1")].due_at == t("2026-05-07 00:00")
    questioning = [ev("continued_questioning", DET, hours=24), ev("released", "2026-03-03 08:00")]
    assert state(A, questioning, "2026-03-04 00:00", "A05") == "met"


def test_a20_needs_both_the_family_notice_and_the_delivery() -> None:
    one = [
        ev("admin_detention_decided", DET),
        ev("family_notified", "2026-03-02 10:00", measure="admin_detention"),
    ]
    assert state(A, one, "2026-03-02 12:00", "A20") == "overdue"
    both = [*one, ev("delivered_to_detention_house", "2026-03-02 11:00")]
    assert state(A, both, "2026-03-02 12:00", "A20") == "met"


# --- mandatory steps ----------------------------------------------------------------------
def test_c33_an_unrecorded_interrogation_in_a_life_or_death_case_is_violated() -> None:
    events = [
        ev("interrogated", DET, av_recorded=True),
        ev("interrogated", "2026-03-03 10:00", av_recorded=False),
    ]
    assert state(C, events, "2026-03-04 00:00", "C33", life_or_death=True) == "violated"
    assert state(C, events[:1], "2026-03-04 00:00", "C33", life_or_death=True) == "met"
    assert state(C, events, "2026-03-04 00:00", "C33") == "absent"


def test_c32_a_third_return_is_itself_a_finding() -> None:
    events = [
        ev("returned_for_supplementary_investigation", d, None)
        for d in ("2026-03-02 10:00", "2026-04-10 10:00", "2026-05-20 10:00")
    ]
    found = run(C, events, "2026-06-01 00:00")
    assert found[("C32", "return-3")].state.value == "violated"
    assert found[("C32", "return-1")].state.value == "overdue"


def test_a16_penalty_without_prior_notice_is_violated() -> None:
    assert (
        state(A, [ev("decision_made", DET, None)], "2026-03-03 00:00", "A16", "case") == "violated"
    )
    told = [ev("penalty_notice_given", "2026-03-01 10:00"), ev("decision_made", DET, None)]
    assert state(A, told, "2026-03-03 00:00", "A16", "case") == "met"


def test_a24_single_officer_recording_applies_from_2026() -> None:
    unrecorded = [ev("items_seized", DET, "p1", single_officer=True)]
    assert state(A, unrecorded, "2026-03-03 00:00", "A24") == "violated"
    old = [ev("items_seized", "2025-12-01 10:00", "p1", single_officer=True)]
    assert state(A, old, "2025-12-02 00:00", "A24") == "absent"


def test_findings_are_sorted_by_due_time() -> None:
    kind, events = TRIGGERS["C05"]
    found = list(run(kind, events, "2026-03-02 10:00").values())
    dues = [f.due_at for f in found]
    assert dues == sorted(dues)


def test_events_recorded_for_later_than_now_have_not_happened_yet() -> None:
    # found by the follow-up property: a release entered ahead of time made a pending C01 "late"
    events = [ev("compelled", "2026-03-02 08:00"), ev("released", "2026-03-02 20:01")]
    assert state(C, events, "2026-03-02 08:00", "C01") == "pending"
    assert state(C, events, "2026-03-02 21:00", "C01") == "late"


def test_c05_the_30_day_window_needs_a_roving_repeated_or_gang_suspect() -> None:
    events = [
        ev("detained", DET),
        ev("detention_extended", "2026-03-04 10:00", days=30),
        ev("arrest_requested", "2026-04-01 23:00"),
    ]
    assert state(C, events, "2026-05-01 00:00", "C05") == "late"  # 7 days at most otherwise
    assert state(C, events, "2026-05-01 00:00", "C05", gang=True) == "met"


def test_c12_custody_extensions_stop_at_the_lawful_maximum() -> None:
    events = [ev("arrested", DET), ev("custody_extended", "2026-04-20 10:00", months=24)]
    found = run(C, events, "2026-04-21 00:00")
    assert found[("C12", "p1")].due_at == t("2026-07-03 00:00")  # 2 + 2 (one approval at most +2)


def test_a08_old_law_allows_one_extension_of_30_days() -> None:
    events = [ev("case_accepted", "2025-03-03 10:00", None)] + [
        ev("case_extended", f"2025-03-{d} 10:00", None, days=90) for d in (20, 21, 22)
    ]
    found = run(A, events, "2025-03-23 00:00")
    # 30 + 30 days end on 05-02, inside Labour Day (1–5 May 2025): the period runs to 05-06
    assert found[("A08", "case")].due_at == t("2025-05-07 00:00")


def test_c06r_a_refused_arrest_means_release_at_once() -> None:
    events = [ev("arrest_requested", DET), ev("arrest_refused", "2026-03-05 10:00")]
    assert state(C, events, "2026-03-06 00:00", "C06R") == "overdue"
    released = [*events, ev("released", "2026-03-05 11:00")]
    assert state(C, released, "2026-03-06 00:00", "C06R") == "met"


def test_c16_a_change_of_measure_ends_bail() -> None:
    events = [ev("bail_started", DET), ev("arrested", "2026-05-02 10:00")]
    assert state(C, events, "2027-06-01 00:00", "C16") == "met"


def test_a05_each_approved_step_extends_continued_questioning() -> None:
    events = [
        ev("continued_questioning", DET, hours=12),
        ev("continued_questioning", "2026-03-02 20:00", hours=24),
        ev("released", "2026-03-03 08:30"),
    ]
    assert state(A, events, "2026-03-04 00:00", "A05") == "met"


def test_c13_a_case_transferred_before_expiry_needs_no_extension_request() -> None:
    events = [
        ev("arrested", "2026-03-01 10:00"),
        ev("transferred_for_prosecution", "2026-04-28 10:00", None),
    ]
    assert state(C, events, "2026-12-01 00:00", "C13") == "met"
    late = [
        ev("arrested", "2026-03-01 10:00"),
        ev("transferred_for_prosecution", "2026-05-08 10:00", None),
    ]
    assert state(C, late, "2026-12-01 00:00", "C13") == "late"


def test_c03_a_notice_given_when_the_exemption_lapses_is_not_late() -> None:
    events = [
        ev("detained", DET),
        ev("notice_exempted", "2026-03-02 12:00", measure="detention", reason="妨碍侦查"),
        ev("family_notified", "2026-03-05 10:00", measure="detention"),
    ]
    assert state(C, events, "2026-03-10 00:00", "C03") == "waived"


def test_an_exemption_recorded_after_the_period_excuses_nothing() -> None:
    events = [
        ev("detained", DET),
        ev("notice_exempted", "2026-03-04 12:00", measure="detention", reason="补录"),
    ]
    assert state(C, events, "2026-03-10 00:00", "C03") == "overdue"


def test_a20_an_exempted_notice_still_leaves_the_delivery_due() -> None:
    events = [
        ev("admin_detention_decided", DET),
        ev("notice_exempted", "2026-03-02 10:00", measure="admin_detention", reason="无法通知"),
    ]
    assert state(A, events, "2026-03-03 00:00", "A20") == "overdue"
    delivered = [*events, ev("delivered_to_detention_house", "2026-03-02 11:00")]
    assert state(A, delivered, "2026-03-03 00:00", "A20") == "met"


def test_c29_every_renewal_starts_a_period_that_must_end_in_a_renewal_or_release() -> None:
    frozen = ev("account_frozen", DET, "acct")  # 6 months: expiry 24:00 on 2026-09-02
    renewed = ev("freeze_renewed", "2026-08-20 10:00", "acct")  # in time: a new period from here
    found = run(C, [frozen, renewed], "2026-12-01 00:00")
    f = found[("C29", "acct")]
    # 6 months from 08-20 is Saturday 2027-02-20: the period ends on Monday, 24:00 (00:00 on 02-23)
    assert f.trigger_at == renewed.at and f.due_at.date().isoformat() == "2027-02-23"
    assert f.state.value == "pending"  # the second period runs: not met by the first renewal
    late = ev("freeze_renewed", "2027-03-01 10:00", "acct")  # the second renewal came too late
    assert state(C, [frozen, renewed, late], "2027-04-01 00:00", "C29", "acct") == "late"
    released = ev("freeze_released", "2027-01-10 10:00", "acct")
    assert state(C, [frozen, renewed, released], "2027-04-01 00:00", "C29", "acct") == "met"
    assert state(C, [frozen], "2026-12-01 00:00", "C29", "acct") == "overdue"


def test_c13_an_approved_extension_moves_the_expiry_and_the_next_request_is_due_before_it() -> None:
    arrested = ev("arrested", DET)  # expiry 2026-05-03 00:00; request due 04-26 00:00
    request = ev("custody_extension_requested", "2026-04-20 10:00")
    extended = ev("custody_extended", "2026-04-24 10:00", months=1)  # expiry now 06-03 00:00
    found = run(C, [arrested, request, extended], "2026-05-20 00:00")
    f = found[("C13", "p1")]
    assert f.due_at == t("2026-05-27 00:00") and f.state.value == "pending"
    second = ev("custody_extension_requested", "2026-05-30 10:00")  # after 05-27: late
    assert state(C, [arrested, request, extended, second], "2026-06-10 00:00", "C13") == "late"
    done = ev("transferred_for_prosecution", "2026-05-25 10:00", None)
    assert state(C, [arrested, request, extended, done], "2026-06-10 00:00", "C13") == "met"


# --- A08: the time an expert opinion takes does not count (治安12 99, 治安25 118) -----------------
FILED = "2026-03-02 10:00"  # a Monday: 30 days end with Wednesday 04-01


def _a08(*events: object, now: str) -> object:
    timeline = [ev("case_filed", FILED, None), *events]
    return run(A, timeline, now)[("A08", "case")]  # type: ignore[arg-type]


def test_a08_expert_opinion_time_is_not_counted() -> None:
    plain = _a08(now="2026-03-03 00:00")
    assert plain.due_at == t("2026-04-02 00:00") and plain.reason == ""
    commissioned = ev("expert_opinion_commissioned", "2026-03-05 15:00", None)
    received = ev("expert_opinion_received", "2026-03-12 09:00", None)
    # 03-05 to 03-12: 7 days more, the last day Wednesday 04-08
    found = _a08(commissioned, received, now="2026-03-13 00:00")
    assert found.due_at == t("2026-04-09 00:00")
    assert found.reason == "7 day(s) not counted (excluded time)"
    decided = ev("decision_made", "2026-04-08 23:59", None)
    assert _a08(commissioned, received, decided, now="2026-04-10 00:00").state.value == "met"
    assert _a08(decided, now="2026-04-10 00:00").state.value == "late"  # without the opinion


def test_a08_an_opinion_still_awaited_stops_the_clock() -> None:
    commissioned = ev("expert_opinion_commissioned", "2026-03-05 15:00", None)
    # awaited on 04-10: no due time while the clock is stopped, and the same a day later (a due
    # time moving with "now" would change the finding every day without an event)
    found = _a08(commissioned, now="2026-04-10 12:00")
    assert found.state.value == "pending" and found.due_at is None
    assert found.reason == "clock stopped since 2026-03-05 (excluded time)"
    assert _a08(commissioned, now="2026-04-11 12:00") == found
    assert _a08(now="2026-04-10 12:00").state.value == "overdue"
    # received on 04-10: 36 days not counted, the period runs to the end of 05-07
    received = ev("expert_opinion_received", "2026-04-10 09:00", None)
    assert _a08(commissioned, received, now="2026-04-11 12:00").due_at == t("2026-05-08 00:00")
    # the decision ends the span: 03-05 to 03-20 is 15 days
    decided = ev("decision_made", "2026-03-20 10:00", None)
    assert _a08(commissioned, decided, now="2026-04-10 12:00").state.value == "met"


def test_a08_overlapping_opinions_count_once_and_late_or_early_ones_not_at_all() -> None:
    spans = [
        ev("expert_opinion_commissioned", "2026-03-05 10:00", None),
        ev("expert_opinion_commissioned", "2026-03-08 10:00", None),
        ev("expert_opinion_received", "2026-03-12 10:00", None),
        ev("expert_opinion_received", "2026-03-15 10:00", None),
    ]
    # each receipt ends the earliest span still open: 03-05..03-12 and 03-08..03-12, union 7 days
    assert _a08(*spans, now="2026-03-16 00:00").due_at == t("2026-04-09 00:00")
    before = [ev("expert_opinion_commissioned", "2026-02-20 10:00", None)]
    timeline = [*before, ev("case_filed", FILED, None)]
    found = run(A, timeline, "2026-03-03 00:00")[("A08", "case")]
    assert found.due_at == t("2026-04-02 00:00")  # commissioned before the case was filed
    lapsed = ev("expert_opinion_commissioned", "2026-04-03 10:00", None)
    # commissioned after the period ran out: it does not revive it
    assert _a08(lapsed, now="2026-04-20 00:00").state.value == "overdue"


def test_a08_exclusion_applies_to_the_old_law_too() -> None:
    events = [
        ev("case_accepted", "2025-11-03 10:00", None),
        ev("expert_opinion_commissioned", "2025-11-10 10:00", None),
        ev("expert_opinion_received", "2025-11-13 10:00", None),
    ]
    found = run(A, events, "2025-11-14 00:00")[("A08", "case")]
    # 30 + 3 days end on Saturday 12-06: the period runs to the end of Monday 12-08
    assert found.version == "治安12" and found.due_at == t("2025-12-09 00:00")
