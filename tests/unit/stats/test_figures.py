"""The statistics' pure figure rules: a total split over units adding up exactly, and figures
written with thousands separators."""

from hypothesis import given
from hypothesis import strategies as st

from precinct.stats import rules


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=30),
    st.floats(min_value=0, max_value=0.999999),
)
def test_a_split_adds_up_to_the_total(total: int, weights: list[float], offset: float) -> None:
    parts = rules.apportion(total, weights, offset)
    assert len(parts) == len(weights) and all(p >= 0 for p in parts)
    assert sum(parts) == (total if sum(weights) > 0 else 0)


def test_a_split_follows_the_weights_and_spreads_small_totals() -> None:
    assert rules.apportion(10, [0.5, 0.3, 0.2]) == [5, 3, 2]
    # one a month over 100 months: each weight gets its share, not the largest one all
    got = [0, 0, 0]
    for k in range(100):
        for i, p in enumerate(rules.apportion(1, [0.5, 0.3, 0.2], (k * 0.618034) % 1)):
            got[i] += p
    assert [abs(g - w) <= 2 for g, w in zip(got, [50, 30, 20], strict=True)] == [True] * 3


def test_figures_are_grouped_by_thousands() -> None:
    assert rules.grouped(15850861.0, 1) == "15,850,861"
    assert rules.grouped(20552.5, 1) == "20,552.5"
    assert rules.grouped(20552.54, 2) == "20,552.54"
    assert rules.grouped(95.0, 1) == "95"
    assert rules.grouped(-0.0001, 2) == "0"
    assert rules.grouped(None) is None


def test_every_figure_says_its_unit() -> None:
    for metric in rules.METRICS:
        assert "%(n)s" in metric.amount and metric.amount != "%(n)s"
