"""The planning page: a scenario is run in the background and its results shown; bad input
named; only the command centre and leadership plan."""

import pytest
from django.db import transaction

from precinct.jobs import services as jobs
from precinct.planning import services
from precinct.planning.models import PlanningRun


@pytest.fixture
def inline_runs(monkeypatch):
    """The job engine's queue is worked in this thread once the request commits (the test's
    transaction is not visible to a worker process)."""
    start = jobs.start

    def start_and_work(**kwargs):
        job = start(**kwargs)
        transaction.on_commit(jobs.work)
        return job

    monkeypatch.setattr(jobs, "start", start_and_work)


def test_a_scenario_runs_and_shows_its_results(
    city, inline_runs, django_capture_on_commit_callbacks
) -> None:
    c = city.client("command")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/planning/", {"cars": "12", "minutes": "3", "days": "14", "replay": "on"})
    assert r.status_code == 302
    run = PlanningRun.objects.get()
    assert run.status == "done", run.message
    assert run.progress == 1.0 and len(run.result["curve"]) == 12
    assert run.result["current_outcome"]["calls"] > 0
    page = c.get(r["Location"])
    assert page.status_code == 200
    assert b'id="kpi-best"' in page.content and b'data-chart="series"' in page.content
    assert b"plan-points" in page.content and b'class="needs"' in page.content
    # the htmx poll gets the progress fragment only
    part = c.get(r["Location"], headers={"HX-Request": "true"})
    assert b'id="progress"' in part.content and b"<html" not in part.content
    assert part["HX-Refresh"] == "true"  # done: the page reloads with its results
    assert run.created_by == "command"
    assert c.get("/planning/").status_code == 200


def test_a_run_weighs_street_handling_checks_the_queue_and_plans_the_night(
    city, inline_runs, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    monkeypatch.setattr(services, "QUEUE_CALLS", 20_000)
    c = city.client("command")
    form = {"cars": "8", "minutes": "4", "days": "14", "replay": "on", "objective": "both",
            "night_cars": "5", "queue": "on"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/planning/", form)
    run = PlanningRun.objects.get()
    assert run.status == "done", run.message
    res = run.result
    assert run.params["night_cars"] == 5 and res["objective"] == "both"
    # street handling by minutes to scene, from the demo history: recorded and fitted
    bands = res["street_bands"]
    assert sum(b[2] for b in bands) > 100
    assert all(a >= b for a, b in zip(res["street_fitted"], res["street_fitted"][1:]))
    assert 0 < res["optimised_street"] <= 1 and 0 < res["current_street"] <= 1
    assert 0 < res["optimised_outcome"]["street"] <= 1
    # both fleets as queues: the hypercube's workloads within a few points of the simulation's
    for name in ("current", "optimised"):
        q = res["queue_check"][name]
        assert 0 < q["rho"] < 1
        gaps = [abs(a - b) for a, b in zip(q["workload"], q["sim_workload"], strict=True)]
        assert max(gaps) < 0.05, (name, gaps)
    assert len(res["queue_check"]["optimised"]["workload"]) == 8
    page = c.get(r["Location"]).content
    assert b'id="kpi-street"' in page and b'class="queue"' in page
    assert b"plan-street" in page and b"plan-workload" in page


def test_a_bad_goal_or_night_fleet_is_named(city, inline_runs) -> None:
    c = city.client("command")
    r = c.post("/planning/", {"cars": "4", "minutes": "3", "days": "14", "objective": "speed",
                              "night_cars": "9"}, follow=True)  # fmt: skip
    text = r.content.decode()
    assert "objective" in text and "night_cars" in text
    assert not PlanningRun.objects.exists()


def test_bad_numbers_are_named_and_nothing_runs(city, inline_runs) -> None:
    c = city.client("command")
    r = c.post("/planning/", {"cars": "0", "minutes": "abc", "days": "14"}, follow=True)
    text = r.content.decode()
    assert "cars" in text and "minutes" in text
    assert not PlanningRun.objects.exists()


def test_only_planners_plan_and_runs_stay_in_their_bureau(city, inline_runs) -> None:
    assert city.client("chief").get("/planning/").status_code == 403
    assert city.client("officer").post("/planning/", {"cars": "5"}).status_code == 403
    assert city.client("leader").get("/planning/").status_code == 200


def test_a_run_whose_server_went_away_says_so(city) -> None:
    import datetime as dt

    from precinct.core import clock

    run = PlanningRun.objects.create(
        bureau_id=city.bureau_id, params={"cars": 5, "minutes": 3, "days": 7}, created_by="command",
        status="running",
    )  # fmt: skip
    PlanningRun.objects.filter(pk=run.pk).update(updated_at=clock.now() - dt.timedelta(hours=1))
    page = city.client("command").get(f"/planning/runs/{run.pk}/")
    assert page.status_code == 200 and b"interrupted" in page.content


def test_a_what_if_keeps_some_of_todays_posts(
    city, inline_runs, django_capture_on_commit_callbacks
) -> None:
    """Journey 10's other what-if: fewer cars, each at one of today's posts (which to keep),
    against posts anywhere on the roads; more cars than today's posts is refused by name."""
    import math

    c = city.client("command")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/planning/", {"cars": "6", "minutes": "3", "days": "14", "sites": "current"})
    run = PlanningRun.objects.get()
    assert run.status == "done", run.message
    today = run.result["current_post_points"]
    kept = run.result["optimised_posts"]
    assert len(kept) == 6

    def metres(a, b):
        dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
        return math.hypot(dx, (a[1] - b[1]) * 110_540)

    # each chosen post is one of today's (snapped to the road network: within a few metres)
    assert all(min(metres(p, q) for q in today) < 60 for p in kept), kept
    assert run.result["optimised_covered"] <= run.result["current_covered"] + 1e-9
    page = c.get(r["Location"]).content.decode()
    assert "岗点从今日岗点中选取" in page
    posts_today = len({tuple(p) for p in today})
    refused = c.post(
        "/planning/",
        {"cars": str(posts_today + 1), "minutes": "3", "days": "14", "sites": "current"},
        follow=True,
    )
    assert "cars" in refused.content.decode()
    assert PlanningRun.objects.count() == 1
