"""Issue 17 part 4: long work runs as jobs on one engine (django-tasks, database backend). A
second click finds the job already running; a worker that died leaves a job that is run again and
resumes without paying twice; the daily work starts once a day; a job's file is offered only to
the one who asked for it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django_tasks_db.models import DBTaskResult

from precinct.common import transactions
from precinct.core import actors, clock
from precinct.jobs import rules
from precinct.jobs import services as jobs
from precinct.jobs.models import Job
from precinct.merit import jobs as month_jobs
from precinct.merit import rules as merit_rules
from precinct.merit import services as merit
from precinct.merit.models import MonthClose
from precinct.merit.rules import Month

TZ = ZoneInfo("Asia/Shanghai")


def _unpaid_month(city) -> Month:
    """A closed month with its budget funded and nothing of it paid yet."""
    for close in MonthClose.objects.filter(bureau_id=city.bureau_id).order_by("-month"):
        m = Month.parse(close.month)
        status = merit.payout_status(city.scope("political"), m)
        if status and status.paid == 0 and status.owed > 3:
            merit.fund_month(city.bureau_id, m, amount_fen=status.owed_fen, by="t")
            return m
    pytest.skip("the demo city has no unpaid closed month")


def test_paying_runs_as_one_job_that_a_second_click_does_not_start_again(city) -> None:
    m = _unpaid_month(city)
    political = city.client("political")
    political.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    first = political.post(f"/merit/months/{m}/pay/")
    assert first.status_code == 302 and first["Location"].endswith("#payout")
    again = political.post(f"/merit/months/{m}/pay/", follow=True)
    assert Job.objects.filter(kind="merit.pay").count() == 1  # the same work, not started twice
    assert any("already under way" in str(x) for x in again.context["messages"])
    job = Job.objects.get(kind="merit.pay")
    page = political.get(f"/merit/months/{m}/")
    assert page.context["pay_job"]["job"].pk == job.pk
    text = page.content.decode()
    assert f'id="job-{job.pk}"' in text and "<progress" in text and 'hx-trigger="every 1s"' in text
    assert merit.payout_status(city.scope("political"), m).paid == 0  # nothing paid by the click

    jobs.work()  # the worker's turn

    job.refresh_from_db()
    assert job.state == "done" and job.progress == 1.0, job.message
    status = merit.payout_status(city.scope("political"), m)
    assert status.paid == status.owed and job.result["made"] == status.owed
    # the poll sees it over and reloads the page, which says what was done
    poll = political.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true"
    assert job.message in political.get(f"/merit/months/{m}/").content.decode()
    # a new click once it is done: a new job that pays nothing twice
    political.post(f"/merit/months/{m}/pay/")
    jobs.work()
    assert Job.objects.filter(kind="merit.pay").count() == 2
    assert Job.objects.filter(kind="merit.pay").order_by("-created_at").first().result["made"] == 0


def test_a_job_whose_worker_died_is_run_again_and_resumes_without_paying_twice(
    city, settings
) -> None:
    m = _unpaid_month(city)
    scope = city.scope("political")
    with (
        actors.acting_as(actors.Actor(username="political", role="political")),
        transactions.entry(),
    ):
        job, new = month_jobs.start_pay(scope, m)
    assert new
    # the first worker claimed it, paid three officers, and died (no heartbeat since)
    owed = merit.payout_status(scope, m).owed
    Job.objects.filter(pk=job.pk).update(
        state="running", attempts=1, beat_at=clock.now() - dt.timedelta(hours=1)
    )
    DBTaskResult.objects.all().delete()  # its queue row was taken by the dead worker
    closed = MonthClose.objects.get(bureau_id=city.bureau_id, month=str(m))
    for p in merit_rules.payout_plan(closed.data, m)[:3]:
        merit.pay(city.bureau_id, key=p.key, memo=p.memo, officer_id=p.officer_id,
                  amount_fen=p.amount_fen, month=m, by="political")  # fmt: skip
    assert not jobs.pending()

    settings.JOB_STALE_SECONDS = 60
    assert jobs.recover(clock.now()) == 1
    assert jobs.pending()
    jobs.work()

    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 2
    assert job.result["made"] == owed - 3  # the rest, not the three already paid
    status = merit.payout_status(scope, m)
    assert status.paid == status.owed == owed
    assert merit.verify_ledger(city.bureau_id).ok


def test_a_job_that_keeps_dying_stops_and_says_so(city, settings) -> None:
    with (
        actors.acting_as(actors.Actor(username="scheduler", role="system")),
        transactions.entry(),
    ):
        job, _new = jobs.start(kind="org.refresh", key="t:refresh", bureau_id=None)
    Job.objects.filter(pk=job.pk).update(
        state="running", attempts=rules.MAX_ATTEMPTS, beat_at=clock.now() - dt.timedelta(hours=1)
    )
    settings.JOB_STALE_SECONDS = 60
    assert jobs.recover(clock.now()) == 0
    job.refresh_from_db()
    assert job.state == "failed" and str(rules.MAX_ATTEMPTS) in job.message


def test_the_daily_work_starts_once_a_day_when_its_time_has_come(city, settings) -> None:
    settings.JOB_SCHEDULE = {"org.refresh": "00:10", "identity.idle": "03:00"}
    day = dt.date(2027, 1, 1)
    at = dt.datetime.combine(day, dt.time(1, 0), TZ)  # after 00:10, before 03:00
    assert jobs.schedule(at) == 2  # today's refresh; the idle accounts of the day before
    assert jobs.schedule(at + dt.timedelta(minutes=30)) == 0  # once per day, not per look
    assert set(Job.objects.values_list("once", flat=True)) == {
        "org.refresh@2027-01-01",
        "identity.idle@2026-12-31",
    }
    jobs.work()
    # 03:00: the day's own idle run (while the day before's was still waiting it would have been
    # that one: one live job per work)
    assert jobs.schedule(dt.datetime.combine(day, dt.time(3, 0), TZ)) == 1
    jobs.work()
    assert set(Job.objects.values_list("state", flat=True)) == {"done"}
    assert jobs.schedule(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 5), TZ)) == 0


def test_the_daily_slot_rule_across_midnight_month_and_year_ends() -> None:
    daily = rules.parse_daily("supervision.sweep", "00:30")
    assert rules.slot(daily, dt.datetime(2027, 1, 1, 0, 29)) == dt.date(2026, 12, 31)
    assert rules.slot(daily, dt.datetime(2027, 1, 1, 0, 30)) == dt.date(2027, 1, 1)
    assert rules.slot(daily, dt.datetime(2028, 3, 1, 0, 0)) == dt.date(2028, 2, 29)  # leap day
    with pytest.raises(ValueError, match=r"supervision\.sweep"):
        rules.parse_daily("supervision.sweep", "half past")


def test_the_pack_is_built_as_a_job_and_offered_only_to_whoever_asked_for_it(city) -> None:
    close = MonthClose.objects.filter(bureau_id=city.bureau_id).order_by("-month").first()
    m = Month.parse(close.month)
    political = city.client("political")
    r = political.post(f"/merit/months/{m}/pack.xlsx")
    assert r.status_code == 302 and r["Location"].endswith("#pack")
    political.post(f"/merit/months/{m}/pack.xlsx")  # a double click
    assert Job.objects.filter(kind="merit.pack").count() == 1
    job = Job.objects.get(kind="merit.pack")
    jobs.work()
    job.refresh_from_db()
    assert job.state == "done" and job.file_name == f"sanyi-{m}.xlsx", job.message
    page = political.get(f"/merit/months/{m}/").content.decode()
    assert f"/jobs/{job.pk}/file" in page
    got = political.get(f"/jobs/{job.pk}/file")
    assert got.status_code == 200 and bytes(got.content[:2]) == b"PK"  # a real workbook
    assert got["Cache-Control"] == "no-store"
    # the leader may build his own pack, but not take the political department's
    assert city.client("leader").get(f"/jobs/{job.pk}/file").status_code == 404
    assert city.client("officer").get(f"/jobs/{job.pk}/").status_code in (403, 404)


def test_closing_the_month_runs_as_a_job(city) -> None:
    m = Month(2025, 3)
    political = city.client("political")
    r = political.post(f"/merit/months/{m}/close/", {"confirm": "on"})
    assert r.status_code == 302
    assert not MonthClose.objects.filter(month=str(m)).exists()  # not in the click
    jobs.work()
    close = MonthClose.objects.get(bureau_id=city.bureau_id, month=str(m))
    assert close.closed_by == "political"
    assert Job.objects.get(kind="merit.close").state == "done"


def test_paying_a_month_that_cannot_be_paid_is_refused_at_the_click(city) -> None:
    m = Month(2025, 3)  # open: nothing to pay
    political = city.client("political")
    political.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    r = political.post(f"/merit/months/{m}/pay/", follow=True)
    assert any("close the month first" in str(x) for x in r.context["messages"])
    assert not Job.objects.filter(kind="merit.pay").exists()  # no job queued to fail later


def test_every_kind_of_job_is_named_in_words() -> None:
    from django.conf import settings

    from precinct.jobs.models import KIND_LABELS

    assert set(KIND_LABELS) == set(settings.JOBS)
