"""The hypercube model: hand-solved small systems, the queueing formulas it must reduce to, the
approximation against the exact model, and bad input named."""

import math
import random

import pytest

from precinct.planning import hypercube as h


def model(units: int, atoms: list[tuple[float, list[int]]], queue: str = "infinite", mu: float = 1.0,
          travel: bool = False) -> h.Model:  # fmt: skip
    doc = {
        "units": [{"id": f"u{i}", "mu": mu} for i in range(units)],
        "atoms": [
            {
                "id": f"a{j}",
                "rate": rate,
                "preference": [f"u{i}" for i in pref],
                **(
                    {"travel": {f"u{i}": float(abs(i - j) + 1) for i in range(units)}}
                    if travel
                    else {}
                ),
            }
            for j, (rate, pref) in enumerate(atoms)
        ],
        "queue": queue,
    }
    return h.read(doc)


def test_two_units_one_atom_loss_solved_by_hand() -> None:
    # states 00, A, B, AB with λ = μ = 1: p = (0.4, 0.3, 0.1, 0.2)
    r = h.solve_exact(model(2, [(1.0, [0, 1])], "loss"))
    assert r.workload == pytest.approx({"u0": 0.5, "u1": 0.3})
    assert r.p_all_busy == pytest.approx(0.2)
    assert r.dispatch_fraction["u0"]["a0"] == pytest.approx(0.5)
    assert r.dispatch_fraction["u1"]["a0"] == pytest.approx(0.3)
    assert r.interresponse_fraction == pytest.approx(0.3 / 0.8)


def erlang_c(n: int, a: float) -> float:
    top = a**n / math.factorial(n) / (1 - a / n)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def erlang_b(n: int, a: float) -> float:
    return (a**n / math.factorial(n)) / sum(a**k / math.factorial(k) for k in range(n + 1))


@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_the_totals_are_those_of_the_m_m_n_system(queue: str) -> None:
    rng = random.Random(1)
    n, lam = 6, 4.2
    atoms = [(lam / 12, rng.sample(range(n), n)) for _ in range(12)]
    r = h.solve_exact(model(n, atoms, queue))
    if queue == "infinite":
        assert r.p_all_busy == pytest.approx(erlang_c(n, lam))
        assert sum(r.workload.values()) == pytest.approx(lam)  # every call is served
        assert sum(sum(f.values()) for f in r.dispatch_fraction.values()) == pytest.approx(1.0)
    else:
        assert r.p_all_busy == pytest.approx(erlang_b(n, lam))
        assert sum(r.workload.values()) == pytest.approx(lam * (1 - erlang_b(n, lam)))
        served = sum(sum(f.values()) for f in r.dispatch_fraction.values())
        assert served == pytest.approx(1 - erlang_b(n, lam))


def test_one_unit_is_an_m_m_1_queue() -> None:
    r = h.solve_exact(model(1, [(0.3, [0]), (0.2, [0])], mu=1.0))
    assert r.workload["u0"] == pytest.approx(0.5) and r.p_all_busy == pytest.approx(0.5)
    assert r.interresponse_fraction == 0.0


def test_the_first_choice_works_hardest_and_travel_is_averaged_over_dispatches() -> None:
    r = h.solve_exact(model(3, [(1.0, [0, 1, 2])], "loss", travel=True))
    w = r.workload
    assert w["u0"] > w["u1"] > w["u2"]
    f = r.dispatch_fraction
    expected = sum(f[f"u{i}"]["a0"] * (i + 1) for i in range(3)) / sum(
        f[f"u{i}"]["a0"] for i in range(3)
    )
    assert r.mean_travel_time == pytest.approx(expected)


def test_a_short_preference_list_is_completed_in_input_order() -> None:
    short = h.solve_exact(model(3, [(1.0, [2])], "loss"))
    full = h.solve_exact(model(3, [(1.0, [2, 0, 1])], "loss"))
    assert short.workload == pytest.approx(full.workload)


@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_the_approximation_is_close_to_the_exact_model(queue: str) -> None:
    rng = random.Random(7)
    n = 10
    atoms = [(rng.uniform(0.05, 0.5), rng.sample(range(n), n)) for _ in range(30)]
    m = model(n, atoms, queue)
    exact, approx = h.solve_exact(m), h.solve_approx(m)
    assert approx.iterations > 1
    assert approx.p_all_busy == pytest.approx(exact.p_all_busy, rel=1e-6)  # the M/M/N aggregate
    for unit, w in exact.workload.items():
        assert approx.workload[unit] == pytest.approx(w, abs=0.03)
    assert approx.interresponse_fraction == pytest.approx(exact.interresponse_fraction, abs=0.03)


def test_the_approximation_handles_48_units() -> None:
    rng = random.Random(3)
    n = 48
    atoms = [(rng.uniform(0.2, 1.0), rng.sample(range(n), n)) for _ in range(200)]
    lam = sum(a[0] for a in atoms)
    r = h.solve_approx(model(n, atoms, "infinite", mu=lam / (0.6 * n)))
    assert sum(r.workload.values()) == pytest.approx(0.6 * n, rel=0.03)
    assert all(0 < w < 1 for w in r.workload.values())


@pytest.mark.parametrize(
    "doc,message",
    [
        (
            {
                "units": [{"id": "A", "mu": 1}],
                "atoms": [{"id": "x", "rate": 0.5, "preference": ["B"]}],
            },
            r"atoms\[0\].preference\[0\]: unknown unit 'B'",
        ),
        (
            {
                "units": [{"id": "A", "mu": 1}],
                "atoms": [{"id": "x", "rate": -1, "preference": ["A"]}],
            },
            r"atoms\[0\].rate: must not be negative",
        ),
        (
            {
                "units": [{"id": "A", "mu": 0}],
                "atoms": [{"id": "x", "rate": 1, "preference": ["A"]}],
            },
            r"units\[0\].mu: must be positive",
        ),
        (
            {
                "units": [{"id": "A", "mu": 1}],
                "atoms": [{"id": "x", "rate": 1, "preference": ["A"]}],
            },
            r"ρ = λ/Σμ = 1.000 ≥ 1",
        ),
        ({"units": [], "atoms": []}, r"'units' must be a non-empty list"),
        (
            {
                "units": [{"id": "A", "mu": 1}],
                "atoms": [{"id": "x", "rate": 0.5, "preference": ["A"]}],
                "queue": "forever",
            },
            r"'queue' must be",
        ),
    ],
)
def test_bad_input_is_named(doc: dict, message: str) -> None:
    with pytest.raises(h.ModelError, match=message):
        h.read(doc)


def test_rho_of_one_is_fine_when_calls_are_lost() -> None:
    doc = {"units": [{"id": "A", "mu": 1}], "atoms": [{"id": "x", "rate": 1, "preference": ["A"]}],
           "queue": "loss"}  # fmt: skip
    assert h.solve_exact(h.read(doc)).p_all_busy == pytest.approx(0.5)


@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_the_iterative_solution_matches_the_direct_one(queue: str, monkeypatch) -> None:
    rng = random.Random(4)
    n = 8
    atoms = [(rng.uniform(0.1, 0.6), rng.sample(range(n), rng.randint(1, n))) for _ in range(20)]
    m = model(n, atoms, queue)
    direct = h.solve_exact(m)
    monkeypatch.setattr(h, "DIRECT_UP_TO", 0)  # Gauss-Seidel by levels with aggregation
    iterative = h.solve_exact(m)
    assert iterative.workload == pytest.approx(direct.workload, abs=1e-9)
    assert iterative.p_all_busy == pytest.approx(direct.p_all_busy, abs=1e-12)
    assert iterative.interresponse_fraction == pytest.approx(
        direct.interresponse_fraction, abs=1e-9
    )


def test_an_id_given_twice_is_named() -> None:
    unit = {"id": "A", "mu": 1}
    atom = {"id": "x", "rate": 0.5, "preference": ["A"]}
    with pytest.raises(h.ModelError, match=r"units\[1\].id: unit 'A' appears twice"):
        h.read({"units": [unit, unit], "atoms": [atom]})
    with pytest.raises(h.ModelError, match=r"atoms\[1\].id: atom 'x' appears twice"):
        h.read({"units": [unit], "atoms": [atom, atom], "queue": "loss"})


def test_districts_of_a_fleet_on_the_road() -> None:
    """Two posts and four demand nodes (seconds from each post): each post's district is what it
    is the nearest to; the district's rate is its share of the incidents; its preference and
    travel are the demand-weighted mean minutes; a node no post reaches counts as an hour."""
    import numpy as np

    times = np.array(
        [
            [0.0, 60.0, 600.0, np.inf],
            [600.0, 180.0, 60.0, 120.0],
        ]
    )
    weights = np.array([3.0, 1.0, 2.0, 2.0])
    doc = h.districts(times, weights, ["A", "B"], rate=0.8, mu=1.0)
    assert doc["units"] == [{"id": "A", "mu": 1.0}, {"id": "B", "mu": 1.0}]
    a, b = doc["atoms"]
    assert a["id"] == "district-A" and a["rate"] == pytest.approx(0.8 * 4 / 8)
    assert a["preference"] == ["A", "B"]
    assert a["travel"] == {"A": pytest.approx(60 / 4 / 60), "B": pytest.approx(1980 / 4 / 60)}
    assert b["rate"] == pytest.approx(0.4) and b["preference"] == ["B", "A"]
    assert b["travel"]["A"] == pytest.approx((1200 + 7200) / 4 / 60)
    m = h.read(doc)  # a valid model: solvable, and its travel is the districts' own
    r = h.solve_exact(m)
    assert sum(r.workload.values()) == pytest.approx(0.8)  # λ/μ: every call served
    assert r.interresponse_fraction > 0
    # mean travel lies between the districts' own cars' (0.25, 1.5) and the far ones'
    assert r.mean_travel_time is not None and 0.8 < r.mean_travel_time < 35


def test_the_correction_factors_are_those_of_larson_and_odonis_three_server_example() -> None:
    """Urban Operations Research, section 5.5.3: three units, λ = 1.5, μ = 1, so ρ = ½, and
    Q(3, ½, 0) = 1, Q(3, ½, 1) = 0.73684, Q(3, ½, 2) = 0.63158 (as published, five decimals)."""
    m = model(3, [(1.5, [0, 1, 2])], "infinite")
    p, _p_full, rho = h._occupancy(m)
    assert rho == pytest.approx(0.5)
    q = h.correction_factors(3, p, rho)
    assert [round(float(x), 5) for x in q] == [1.0, 0.73684, 0.63158]


def book_example() -> h.Model:
    """Larson & Odoni, Urban Operations Research, 5.4.3 (Figure 5.11, Table 5-4) and 5.5.3: three
    units (μ = 1), ten atoms, λ = 1.5. The text gives the primary areas (unit 1: atoms 1, 2, 4 with
    half the city's calls; unit 2: atoms 3, 5, 6; unit 3: the rest), the backups (unit 2 for atoms
    1-2, unit 3 for atom 4, unit 1 for every other atom) and λ_5 = 0.15; the figure's other rates
    are not in the text. The workloads depend only on the rate of each group of atoms sharing a
    preference list, and the book's exact workloads (0.5574, 0.4734, 0.4693) fix them: on a grid
    of 0.005 only atoms 1-2 at 0.50 and atoms 3, 5, 6 at 0.35 round to them (hence atom 4 at 0.25,
    atoms 7-10 at 0.40)."""
    groups = [
        ("atoms 1-2", 0.50, ["1", "2", "3"]),
        ("atom 4", 0.25, ["1", "3", "2"]),
        ("atoms 3, 5, 6", 0.35, ["2", "1", "3"]),
        ("atoms 7-10", 0.40, ["3", "1", "2"]),
    ]
    return h.read(
        {
            "units": [{"id": u, "mu": 1} for u in ("1", "2", "3")],
            "atoms": [{"id": i, "rate": r, "preference": p} for i, r, p in groups],
            "queue": "infinite",
        }
    )


def test_the_exact_model_gives_the_books_exact_workloads() -> None:
    exact = h.solve_exact(book_example()).workload
    for unit, published in {"1": 0.5574, "2": 0.4734, "3": 0.4693}.items():
        assert abs(exact[unit] - published) < 5e-5


def test_larsons_approximation_reproduces_the_books_worked_example() -> None:
    """5.5.3: from ρ_n = ρ, with the book's stopping rule (largest change ≤ ε = 0.0011) and its
    four-decimal arithmetic, the procedure stops on the third iteration at the printed 0.5627,
    0.4716, 0.4657."""
    r = h.solve_approx(book_example(), tolerance=0.0011, digits=4)
    assert r.iterations == 3
    for unit, published in {"1": 0.5627, "2": 0.4716, "3": 0.4657}.items():
        assert abs(r.workload[unit] - published) < 5e-5


def test_larsons_approximation_in_full_precision_on_the_books_example() -> None:
    """The same procedure without rounding: the third iterate is 0.562755, 0.471591, 0.465653
    (unit 1 is 5.5e-5 from the printed 0.5627, so the book's four-decimal arithmetic matters);
    it then settles at 0.562631, 0.471704, 0.465665."""
    third = h.solve_approx(book_example(), max_iterations=3).workload
    assert [third[u] for u in ("1", "2", "3")] == pytest.approx(
        [0.562755, 0.471591, 0.465653], abs=1e-6
    )
    fixed = h.solve_approx(book_example()).workload
    assert [fixed[u] for u in ("1", "2", "3")] == pytest.approx(
        [0.562631, 0.471704, 0.465665], abs=1e-6
    )


@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_the_approximation_conserves_work_at_every_iteration(queue: str) -> None:
    """Larson's normalisation: after every iteration the workloads, weighted by the units' service
    rates, add up to the calls the M/M/N system serves, λ (or λ(1 - B) when the blocked are
    lost); with equal rates, Σρ_n = λ/μ. Checked after each of the first 12 iterations."""
    rng = random.Random(7)
    n = 10
    atoms = [(rng.uniform(0.05, 0.5), rng.sample(range(n), n)) for _ in range(30)]
    fleet = model(n, atoms, queue)
    lam = fleet.arrival_rate
    cases = [(fleet, lam if queue == "infinite" else lam * (1 - erlang_b(n, lam)))]
    if queue == "infinite":
        cases.append((book_example(), 1.5))
    for m, served in cases:
        for k in range(1, 13):
            w = h.solve_approx(m, max_iterations=k).workload
            assert sum(w.values()) == pytest.approx(served, abs=1e-12), k
