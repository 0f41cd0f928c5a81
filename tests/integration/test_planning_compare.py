"""Finished planning runs side by side with the current plan (journey 10): one column each, the
runs' own stored figures, the best of each row marked; what names no comparable run is said on
the page, never a server error."""

import json
import re
import uuid

import pytest
from django.db import transaction

from precinct.jobs import services as jobs
from precinct.org.models import Bureau
from precinct.planning import services
from precinct.planning.models import PlanningRun


@pytest.fixture
def inline_runs(monkeypatch):
    """The job engine's queue is worked in this thread once the request commits."""
    start = jobs.start

    def start_and_work(**kwargs):
        job = start(**kwargs)
        transaction.on_commit(jobs.work)
        return job

    monkeypatch.setattr(jobs, "start", start_and_work)
    monkeypatch.setattr(services, "QUEUE_CALLS", 20_000)


@pytest.fixture
def two_runs(city, inline_runs, django_capture_on_commit_callbacks) -> list[PlanningRun]:
    """Two what-ifs of the demo city, 6 and 10 cars, replayed and checked as queues."""
    c = city.client("command")
    for cars in (6, 10):
        form = {"cars": str(cars), "minutes": "5", "days": "14", "replay": "on", "queue": "on"}
        with django_capture_on_commit_callbacks(execute=True):
            assert c.post("/planning/", form).status_code == 302
    runs = list(PlanningRun.objects.order_by("created_at"))
    assert [r.status for r in runs] == ["done", "done"], [r.message for r in runs]
    return runs


def _table(html: str) -> str:
    m = re.search(r'<table class="compare" id="plan-compare">.*?</table>', html, re.S)
    assert m
    return m.group(0)


def _row(html: str, key: str) -> list[tuple[str, bool]]:
    """One row of the comparison: each column's shown value and whether it is marked best."""
    m = re.search(rf'<tr data-row="{key}">(.*?)</tr>', html, re.S)
    assert m, key
    cells = re.findall(r'<td class="num( best)?" data-value="([^"]*)">', m.group(1))
    return [(value, bool(best)) for best, value in cells]


def _pct(x: float) -> str:
    return f"{round(x * 100, 1)}"


def test_two_runs_stand_beside_the_current_plan_with_their_own_figures(city, two_runs) -> None:
    small, big = two_runs
    c = city.client("command")
    # the planning page offers each finished run to compare, and the button
    index = c.get("/planning/").content.decode()
    for run in two_runs:
        assert f'name="runs" value="{run.pk}"' in index
    assert 'id="compare-runs"' in index and 'action="/planning/compare/"' in index

    # the newest run first, as the list's checkboxes send them: the columns go by cars
    r = c.get(f"/planning/compare/?runs={big.pk}&runs={small.pk}")
    assert r.status_code == 200
    html = r.content.decode()
    again = c.get(f"/planning/compare/?runs={small.pk},{big.pk}").content.decode()
    assert _table(again) == _table(html)
    assert 'data-column="current"' in html
    heads = re.findall(r'data-column="run" data-run="([^"]+)" data-cars="(\d+)"', html)
    assert heads == [(str(small.pk), "6"), (str(big.pk), "10")]
    assert 'id="compare-errors"' not in html

    now, a, b = big.result, small.result, big.result  # the current plan: as the newest run saw it
    cars_now = len(now["current_outcome"]["workload"])
    assert _row(html, "cars") == [(str(cars_now), False), ("6", False), ("10", False)]
    assert [v for v, _b in _row(html, "posts")] == [
        str(now["current_posts"]),
        str(len(a["optimised_posts"])),
        str(len(b["optimised_posts"])),
    ]
    five = [now["current_outcome"]["within_5"], a["optimised_outcome"]["within_5"],
            b["optimised_outcome"]["within_5"]]  # fmt: skip
    assert [v for v, _b in _row(html, "within_5")] == [_pct(x) for x in five]
    covered = [now["current_covered"], a["optimised_covered"], b["optimised_covered"]]
    assert [v for v, _b in _row(html, "covered")] == [_pct(x) for x in covered]
    street = [now["current_street"], a["optimised_street"], b["optimised_street"]]
    assert [v for v, _b in _row(html, "street")] == [_pct(x) for x in street]
    loads = [now["current_outcome"]["workload"], a["optimised_outcome"]["workload"],
             b["optimised_outcome"]["workload"]]  # fmt: skip
    assert [v for v, _b in _row(html, "workload_mean")] == [_pct(sum(w) / len(w)) for w in loads]
    rho = [now["queue_check"]["current"]["rho"], a["queue_check"]["optimised"]["rho"],
           b["queue_check"]["optimised"]["rho"]]  # fmt: skip
    assert [v for v, _b in _row(html, "rho")] == [f"{round(x, 2)}" for x in rho]

    # the best of each row is marked on the column that holds it (ties: each of them)
    def marked(values: list[float], high: bool) -> list[bool]:
        shown = [round(x * 100, 1) for x in values]
        top = max(shown) if high else min(shown)
        wins = [x == top for x in shown]
        return [False] * 3 if all(wins) else wins

    assert [best for _v, best in _row(html, "within_5")] == marked(five, high=True)
    assert [best for _v, best in _row(html, "covered")] == marked(covered, high=True)
    assert [best for _v, best in _row(html, "workload_mean")] == marked(
        [sum(w) / len(w) for w in loads], high=False
    )
    assert not any(best for _v, best in _row(html, "cars"))  # a setting, not an outcome
    assert html.count('class="num best"') >= 3

    # the bar chart of the 5-minute coverage, one bar per column, drawn by charts.js
    script = r'<script id="compare-coverage" type="application/json">(.*?)</script>'
    chart = json.loads(re.search(script, html, re.S).group(1))
    assert len(chart["labels"]) == 3 and chart["percent"] is True
    assert chart["series"][0]["type"] == "bar"
    assert chart["series"][0]["values"] == [round(x * 100, 1) for x in five]
    assert 'data-chart="series" data-source="compare-coverage"' in html
    # each run's settings, in words, in its column's head (English until compiled)
    c.cookies["precinct_language"] = "en"
    text = c.get(f"/planning/compare/?runs={small.pk},{big.pk}").content.decode()
    assert "6 cars, 5.0 min, 14 days" in text and "10 cars, 5.0 min, 14 days" in text
    assert "Posts optimised for: coverage and street handling" in text
    assert "Current plan" in text

    # a leader reads it too; a chief does not plan
    assert (
        city.client("leader").get(f"/planning/compare/?runs={small.pk},{big.pk}").status_code == 200
    )
    assert (
        city.client("chief").get(f"/planning/compare/?runs={small.pk},{big.pk}").status_code == 403
    )


def _done(city, **fields) -> PlanningRun:
    """A finished run without working one out: the figures a result needs for the table."""
    result = {"cars": 5, "current_posts": 4, "current_covered": 0.5, "optimised_covered": 0.6,
              "current_mean_minutes": 4.0, "optimised_mean_minutes": 3.5,
              "optimised_posts": [[0, 0]] * 5}  # fmt: skip
    return PlanningRun.objects.create(
        **{"bureau_id": city.bureau_id, "params": {"cars": 5, "minutes": 5, "days": 7},
           "created_by": "command", "status": "done", "result": result, **fields}
    )  # fmt: skip


def test_runs_that_cannot_be_compared_are_said_on_the_page(city) -> None:
    c = city.client("command")
    c.cookies["precinct_language"] = "en"
    one, two = _done(city), _done(city)
    assert c.get(f"/planning/compare/?runs={one.pk},{two.pk}").status_code == 200

    other = Bureau.objects.create(code=f"X{uuid.uuid4().hex[:6]}", name="外市公安局")
    theirs = _done(city, bureau_id=other.pk)
    running = _done(city, status="running", result=None)
    cases = {
        "": 400,  # nothing chosen
        "?runs=": 400,
        f"?runs={one.pk}": 400,  # one run is no comparison
        f"?runs={one.pk},{one.pk}": 400,  # the same run twice is one
        f"?runs={one.pk},not-a-run": 400,
        "?runs=" + ",".join(str(uuid.uuid4()) for _ in range(5)): 400,  # more than four
        f"?runs={one.pk},{uuid.uuid4()}": 404,  # none such
        f"?runs={one.pk},{theirs.pk}": 404,  # another bureau's: the same answer
        f"?runs={one.pk},{running.pk}": 409,  # not finished
    }
    for query, status in cases.items():
        r = c.get(f"/planning/compare/{query}")
        assert r.status_code == status, (query, r.status_code)
        html = r.content.decode()
        assert 'id="compare-errors"' in html and 'id="plan-compare"' not in html, query
    assert c.get(f"/planning/compare/?runs={one.pk}%00,{two.pk}").status_code == 400
    said = {
        "": "Choose between 2 and 4 finished runs to compare.",
        f"?runs={one.pk},not-a-run": "The address names a run that cannot exist.",
        f"?runs={one.pk},{theirs.pk}": "A chosen run was not found among your bureau's runs.",
        f"?runs={one.pk},{running.pk}": "has not finished: only finished runs compare.",
    }
    for query, words in said.items():
        assert words.replace("'", "&#x27;") in c.get(f"/planning/compare/{query}").content.decode()
    # only finished runs can be ticked on the planning page
    index = c.get("/planning/").content.decode()
    assert f'value="{one.pk}"' in index and f'value="{running.pk}"' not in index
    assert str(theirs.pk) not in index
