"""Issue 17 part 4: imports run as background jobs. The page stores the upload with a job and
returns at once; a second upload while one runs finds that job; the worker reads the workbook
with its progress, then writes all or nothing; a refused workbook's rows are listed on the job's
panel; the upload is not kept once the work is over; a job whose worker died is run again."""

import datetime as dt
import io

from django.conf import settings as django_settings
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from precinct.core import clock
from precinct.jobs import services as jobs
from precinct.jobs.models import Job
from precinct.org import rules as org_rules
from precinct.org.models import Officer
from precinct.stats.models import MonthlyFigure

GOOD = ["199700", "孙立", "男", "1994-03-03", "2017-07-01", "一级警员", "社区民警", "在职",
        "中共党员", "XY01", "民警", None]  # fmt: skip


def _roster(*rows: list[object]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append([label for _f, label in org_rules.ROSTER_COLUMNS])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "花名册.xlsx"
    return buf


def _figures(*rows: list[object]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "figures.xlsx"
    return buf


def test_a_roster_import_is_a_job_whose_refused_rows_show_on_its_panel(city) -> None:
    political = city.client("political")
    bad = list(GOOD)
    bad[0], bad[5] = "199701", "上将"  # no such rank
    first = political.post("/org/roster/import/", {"file": _roster(GOOD, bad)})
    assert first.status_code == 302 and first["Location"].endswith("#import-job")
    again = political.post("/org/roster/import/", {"file": _roster(GOOD)}, follow=True)
    assert Job.objects.filter(kind="org.roster_import").count() == 1  # not started twice
    assert any("花名册导入正在进行" in str(m) for m in again.context["messages"])
    job = Job.objects.get(kind="org.roster_import")
    assert job.upload is not None and job.params["file_name"] == "花名册.xlsx"
    page = political.get("/org/roster/import/").content.decode()
    assert f'id="job-{job.pk}"' in page and "<progress" in page
    assert not Officer.objects.filter(police_number="199700").exists()  # nothing by the click

    jobs.work()

    job.refresh_from_db()
    assert job.state == "failed" and job.upload is None  # the workbook is not kept
    assert job.result["errors"] == [[3, "警衔", job.result["errors"][0][2]]]
    page = political.get("/org/roster/import/").content.decode()
    assert 'class="job-errors"' in page and "<td>3</td><td>警衔</td>" in page
    assert "发现 1 处问题，什么也没有写入。" in page
    assert not Officer.objects.filter(police_number="199700").exists()  # all or nothing

    political.post("/org/roster/import/", {"file": _roster(GOOD)})
    jobs.work()
    done = Job.objects.filter(kind="org.roster_import").order_by("-created_at").first()
    assert done.state == "done" and done.result["created"] == 1 and done.upload is None
    assert Officer.objects.get(police_number="199700").current_unit.code == "XY01"
    assert done.message in political.get("/org/roster/import/").content.decode()


def test_only_who_may_import_follows_an_import(city) -> None:
    city.client("political").post("/org/roster/import/", {"file": _roster(GOOD)})
    job = Job.objects.get(kind="org.roster_import")
    assert city.client("political").get(f"/jobs/{job.pk}/").status_code == 200
    for role in ("chief", "command", "officer"):
        assert city.client(role).get(f"/jobs/{job.pk}/").status_code in (403, 404), role


def test_an_import_whose_worker_died_is_run_again_and_writes_once(city, settings) -> None:
    city.client("political").post("/org/roster/import/", {"file": _roster(GOOD)})
    job = Job.objects.get(kind="org.roster_import")
    Job.objects.filter(pk=job.pk).update(
        state="running", attempts=1, beat_at=clock.now() - dt.timedelta(hours=1)
    )
    DBTaskResult.objects.all().delete()  # its queue row was taken by the dead worker
    settings.JOB_STALE_SECONDS = 60
    assert jobs.recover(clock.now()) == 1
    jobs.work()
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 2 and job.result["created"] == 1
    assert Officer.objects.filter(police_number="199700").count() == 1


def test_a_statistics_import_is_a_job_with_its_rows_refused_by_cell(city) -> None:
    command = city.client("command")
    command.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    before = MonthlyFigure.objects.count()
    bad = _figures(["Month", "criminal_incidents"], ["2012-13", 5], ["2012-02", -1])
    assert command.post("/stats/import/", {"file": bad}).status_code == 302
    job = Job.objects.get(kind="stats.import")
    assert job.state == "queued" and MonthlyFigure.objects.count() == before

    jobs.work()

    job.refresh_from_db()
    assert job.state == "failed" and job.upload is None
    assert {(row, cell) for row, cell, _why in job.result["errors"]} == {(2, "A2"), (3, "B3")}
    assert job.message == "2 problems were found: nothing was written."
    page = command.get("/stats/import/").content.decode()
    assert "<td>2</td><td>A2</td>" in page and "<td>3</td><td>B3</td>" in page
    assert MonthlyFigure.objects.count() == before

    good = _figures(["Month", "criminal_incidents"], ["2012-01", 120], ["2012-02", 7])
    command.post("/stats/import/", {"file": good})
    jobs.work()
    done = Job.objects.filter(kind="stats.import").order_by("-created_at").first()
    assert done.state == "done" and done.result["figures"] == 2, done.message
    assert MonthlyFigure.objects.get(
        bureau_id=city.bureau_id, month=dt.date(2012, 1, 1), metric="criminal_incidents",
        unit__isnull=True, source="imported",
    ).value == 120  # fmt: skip
    assert done.message in command.get("/stats/import/").content.decode()
