"""The merit rules: months, scoring with line items, stars and quotas, awards, sanctions, money."""

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from precinct.core.errors import ValidationFailed
from precinct.merit import rules
from precinct.merit.rules import Item, Month

P = rules.default_policy()


def test_months_parse_and_step() -> None:
    m = Month.parse("2026-12")
    assert (str(m.next()), str(m.previous()), str(m.minus(12))) == ("2027-01", "2026-11", "2025-12")
    assert (m.first, m.last) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert Month.parse("2024-02").last == dt.date(2024, 2, 29)
    for bad in ("2026-13", "2026-1", "26-01", "", "2026-00", "1999-05"):
        with pytest.raises(ValidationFailed) as exc:
            Month.parse(bad)
        assert exc.value.errors[0].field == "month"


def test_a_score_is_explained_line_by_line() -> None:
    s = rules.score(
        P,
        officer="o1",
        unit="u1",
        post_type="criminal",
        items=[
            Item("case_solved", 1, "lead", "case:A", "a1"),
            Item("case_solved", 2, "assist", "case:B", "a2"),
            Item("arrest", 3, "", "", "a3"),
            Item("problem_point", 1, "", "C02 case:A", "ticket:t1"),
        ],
    )
    by_ref = {ln[6]: rules.Line._make(ln) for ln in s.lines}
    assert by_ref["a1"].points == 10
    assert by_ref["a2"].each == 5 and by_ref["a2"].points == 10  # an assistant earns half, twice
    assert by_ref["a3"].points == 18
    assert by_ref["ticket:t1"].points == -4
    assert s.points == 10 + 10 + 18 - 4
    assert s.lines[0][3] >= s.lines[-1][3]  # biggest first


def test_every_post_type_can_earn() -> None:
    visits = [Item("community_visit", 10, "", "", "v")]
    community = rules.score(P, officer="o", unit="u", post_type="community", items=visits)
    other = rules.score(P, officer="o", unit="u", post_type="criminal", items=visits)
    assert community.points == 20 and other.points == 10
    patrol = rules.score(
        P, officer="o", unit="u", post_type="patrol", items=[Item("incident_handled", 30)]
    )
    assert rules.stars_for(P, patrol.points) == 4  # 60 points: 30 incidents handled on the street


def test_stars_follow_thresholds_then_the_unit_quota() -> None:
    assert [rules.stars_for(P, p) for p in (0, 9.9, 10, 20, 35, 55, 79, 80, 500)] == [
        0, 0, 1, 2, 3, 4, 4, 5, 5,
    ]  # fmt: skip
    # ten officers of one unit all scoring five stars: 10 % may keep 5, 25 % may hold 4 or more
    scores = [rules.Score(f"o{n}", "u1", "patrol", 100 - n, ()) for n in range(10)]
    ranked = rules.award_stars(P, scores, {f"o{n}": f"{n:03d}" for n in range(10)})
    stars = {s.officer: s.stars for s in ranked}
    assert stars["o0"] == 5
    assert [stars[f"o{n}"] for n in (1, 2)] == [4, 4]
    assert all(stars[f"o{n}"] == 3 for n in range(3, 10))
    assert {s.officer: s.capped_from for s in ranked}["o3"] == 5


def test_quotas_are_per_unit_and_ties_break_by_police_number() -> None:
    scores = [
        rules.Score("b", "u1", "patrol", 90, ()),
        rules.Score("a", "u1", "patrol", 90, ()),
        rules.Score("c", "u2", "patrol", 90, ()),
    ]
    ranked = rules.award_stars(P, scores, {"a": "001", "b": "002", "c": "003"})
    stars = {s.officer: s.stars for s in ranked}
    assert stars == {"a": 5, "b": 3, "c": 5}  # u1: one of two may hold 4 or more


def test_award_checks() -> None:
    today = dt.date(2026, 10, 20)
    ok = rules.check_award(
        level="commendation", deed="抓获逃犯", today=today, prior=[], blocked_by=None,
        notice_working_days=None,
    )  # fmt: skip
    assert ok == []
    no_notice = rules.check_award(
        level="merit_3", deed="破获系列案", today=today, prior=[], blocked_by=None,
        notice_working_days=6,
    )  # fmt: skip
    assert [e.field for e in no_notice] == ["notice"]
    twice = rules.check_award(
        level="commendation", deed="抓获逃犯", today=today,
        prior=[rules.PriorAward("commendation", "抓获逃犯", dt.date(2026, 3, 1))],
        blocked_by=None, notice_working_days=None,
    )  # fmt: skip
    assert [e.field for e in twice] == ["deed"]
    blocked = rules.check_award(
        level="commendation", deed="x", today=today, prior=[], blocked_by="警告",
        notice_working_days=None,
    )  # fmt: skip
    assert [e.field for e in blocked] == ["officer"]


def test_sanction_periods() -> None:
    start = dt.date(2026, 1, 31)
    assert rules.measure_end("caution", start) == dt.date(2026, 7, 30)
    assert rules.measure_end("demerit", start) == dt.date(2027, 1, 30)
    assert rules.measure_end("major_demerit", start) == dt.date(2027, 7, 30)
    assert rules.measure_end("demotion", start) == dt.date(2028, 1, 30)
    assert rules.measure_end("expulsion", start) is None
    assert rules.measure_end("criticism", start) == start
    assert rules.measure_end("confinement", start, 7) == dt.date(2026, 2, 6)
    with pytest.raises(ValidationFailed):
        rules.measure_end("suspension", start, 9)
    with pytest.raises(ValidationFailed):
        rules.measure_end("confinement", start, None)


def test_amounts() -> None:
    assert rules.check_amounts([500, -500]) == []
    assert [e.field for e in rules.check_amounts([500, -400])] == ["entries"]
    assert [e.row for e in rules.check_amounts([500, 0, -500])] == [2]
    assert rules.check_amounts([1.5, -1.5])[0].field == "amount"  # type: ignore[list-item]
    assert rules.yuan(123450) == "¥1,234.50" and rules.yuan(-5) == "-¥0.05"


def test_a_policy_round_trips_and_bad_ones_name_the_field() -> None:
    assert rules.policy_from_json(rules.policy_to_json(P)) == P
    data = rules.policy_to_json(P)
    data["thresholds"] = [10, 5, 20, 30, 40]
    data["points"]["patrol"]["teleport"] = 3
    with pytest.raises(ValidationFailed) as exc:
        rules.policy_from_json(data)
    assert {e.field for e in exc.value.errors} == {"thresholds", "points.patrol.teleport"}


@given(st.lists(st.floats(min_value=-50, max_value=200), min_size=1, max_size=30))
def test_quotas_never_exceeded_and_never_raise_a_star(points: list[float]) -> None:
    scores = [rules.Score(f"o{n}", "u", "patrol", p, ()) for n, p in enumerate(points)]
    ranked = rules.award_stars(P, scores, {})
    n = len(points)
    for level, share in P.quotas.items():
        assert sum(1 for s in ranked if s.stars >= level) <= -(-share * n // 1)
    for s in ranked:
        assert 0 <= s.stars <= rules.stars_for(P, s.points)


def test_the_three_ones_are_done_only_when_all_three_are() -> None:
    t = rules.ThreeOnes
    assert t("案例", True, 3, 3).done
    assert not t("案例", False, 3, 3).warning_done  # chosen but not published
    assert not t("  ", True, 3, 3).warning_done
    assert not t("案例", True, 0, 0).done  # no star officers: the month is not closed yet
    assert not t("案例", True, 3, 2).incentive_done  # one bonus still unpaid


# --- promotion ranking ---------------------------------------------------------------------------
def _record(officer, number, stars=(), points=0, awards=(), measures=()):
    return rules.PromotionRecord(officer, number, list(stars), points, list(awards), list(measures))


def test_promotion_lines_sum_to_the_score_by_hand() -> None:
    w = rules.PromotionWeights()
    s = rules.promotion_score(
        _record(
            "a", "1", stars=[("2026-01", 3), ("2026-02", 0), ("2026-03", 2)], points=2,
            awards=[("commendation", "award:1"), ("merit_3", "award:2")],
            measures=[("criticism", "d:1", False)],
        ),
        w,
    )  # fmt: skip
    # 5 stars × 10 + 嘉奖 20 + 三等功 40 − criticism 15 − 2 problem points × 5
    assert s.points == 50 + 20 + 40 - 15 - 10 == sum(ln.points for ln in s.lines)
    assert s.eligible and s.lines[0].ref == "2026-01: 3★, 2026-03: 2★"


def test_a_sanction_in_force_lists_the_officer_unranked_after_everyone() -> None:
    w = rules.PromotionWeights()
    ranked = rules.rank_for_promotion(
        [
            _record("top", "3", stars=[("2026-01", 5)], measures=[("demerit", "d:1", True)]),
            _record("old", "2", stars=[("2026-01", 1)], measures=[("demerit", "d:2", False)]),
            _record("mid", "1", stars=[("2026-01", 1)]),
            _record("tie", "0", stars=[("2026-01", 1)]),
        ],
        w,
    )
    assert [(s.officer, s.rank, s.eligible) for s in ranked] == [
        ("tie", 1, True), ("mid", 2, True), ("old", 3, True), ("top", None, False),
    ]  # fmt: skip
    assert ranked[-1].blocked_by == "demerit"
    assert ranked[2].points == 10 - 60  # a sanction served and ended still counts down


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 4), st.booleans()), min_size=1, max_size=30
    )
)
def test_promotion_ranks_are_one_to_n_and_scores_never_rise_down_the_list(specs) -> None:
    w = rules.PromotionWeights()
    records = [
        _record(f"o{i}", f"{i:04d}", stars=[("2026-01", s)], points=p,
                measures=[("investigation", f"d:{i}", True)] if blocked else [])
        for i, (s, p, blocked) in enumerate(specs)
    ]  # fmt: skip
    ranked = rules.rank_for_promotion(records, w)
    eligible = [s for s in ranked if s.eligible]
    assert [s.rank for s in eligible] == list(range(1, len(eligible) + 1))
    assert all(a.points >= b.points for a, b in itertools.pairwise(eligible))
    assert len(ranked) == len(records) and ranked[: len(eligible)] == eligible


def test_age_and_band() -> None:
    assert rules.age_on(dt.date(1976, 11, 27), dt.date(2026, 11, 26)) == 49
    assert rules.age_on(dt.date(1976, 11, 26), dt.date(2026, 11, 26)) == 50
    assert [rules.age_band(a) for a in (22, 29, 30, 49, 50, 60)] == [
        "-29", "-29", "30-39", "40-49", "50+", "50+",
    ]  # fmt: skip


def test_a_policy_from_the_form_keeps_what_is_left_out_and_names_what_is_not_a_number() -> None:
    base = rules.default_policy()
    data = rules.policy_from_form(
        {"points.patrol.incident_handled": "3", "star_bonus_yuan": "250", "thresholds.4": " "},
        post_types=["patrol", "community"],
        base=base,
    )
    assert data["points"]["patrol"]["incident_handled"] == 3
    assert data["points"]["community"]["community_visit"] == base.points_for(
        "community", "community_visit"
    )
    assert data["star_bonus_fen"] == 25_000 and data["thresholds"] == list(base.thresholds)
    policy = rules.policy_from_json({**data, "version": 2})
    assert policy.points_for("patrol", "incident_handled") == 3
    with pytest.raises(ValidationFailed) as exc:
        rules.policy_from_form(
            {"thresholds.0": "ten", "quotas.5": "a tenth"}, post_types=[], base=base
        )
    assert {e.field for e in exc.value.errors} == {"thresholds.0", "quotas.5"}
    with pytest.raises(ValidationFailed) as exc:
        rules.policy_from_json({**data, "deductions": {"warning": 5}, "assist_share": 2})
    assert {e.field for e in exc.value.errors} == {"deductions.warning", "assist_share"}


def test_an_impossible_age_has_no_band_and_rates_are_capped() -> None:
    assert rules.age_band(-1) == "" and rules.age_band(201) == ""
    data = rules.policy_to_json(rules.default_policy())
    with pytest.raises(ValidationFailed) as exc:
        rules.policy_from_json(
            {**data, "star_bonus_fen": 10**15, "case_bonus_fen": {"lead": 10**12}}
        )
    assert {e.field for e in exc.value.errors} == {"star_bonus_fen", "case_bonus_fen.lead"}


def test_a_fund_is_a_whole_yuan_up_to_the_monthly_bound() -> None:
    from precinct.merit.rules import FEN_PER_YUAN, MAX_FUND_YUAN, check_fund

    assert check_fund(FEN_PER_YUAN) == [] and check_fund(MAX_FUND_YUAN * FEN_PER_YUAN) == []
    for bad in (0, -FEN_PER_YUAN, FEN_PER_YUAN - 1, (MAX_FUND_YUAN + 1) * FEN_PER_YUAN):
        assert [e.field for e in check_fund(bad)] == ["amount"], bad
