"""The planning page: a scenario is run in the background and its results shown; bad input
named; only the command centre and leadership plan."""

import pytest

from precinct.planning import services
from precinct.planning.models import PlanningRun


@pytest.fixture
def inline_runs(monkeypatch):
    """Work runs out at once in this thread (the test's transaction is not visible to others)."""
    monkeypatch.setattr(services, "_start", services.work_run)


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
