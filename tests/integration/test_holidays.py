"""The legal department enters a year's holiday schedule (page and command line): audited, all or
nothing, and the deadlines it moves are recomputed."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from precinct.cases.models import Case
from precinct.identity.models import AuditEntry
from precinct.org.models import Unit
from precinct.supervision import calendar, holidays, services
from precinct.supervision.models import Finding, HolidaySchedule
from tests.support import CHILD_TIMEOUT_S, child_env

SCHEDULE = "2027-01-01..2027-01-03,休,元旦\n2027-02-06..2027-02-13,休,春节\n2027-02-14,班,春节\n"
NOW = dt.datetime.fromisoformat("2027-01-20T09:00:00+08:00")


def _public_order_case(bureau_id, unit_code: str, number: str = "XZ-2027-0001"):
    doc = {
        "case": {"id": number, "kind": "administrative", "unit": unit_code,
                 "flags": {"public_order": True}, "title": "殴打他人"},
        "events": [{"type": "case_filed", "at": "2027-01-09T10:00:00+08:00"}],
    }  # fmt: skip
    outcome = services.import_document(bureau_id=bureau_id, document=doc)
    services.recompute_case(outcome.case_id, now=NOW)
    return outcome.case_id


@pytest.fixture
def case_2027(city):
    if 2027 in calendar.package_years():
        pytest.skip("the installed chinese-calendar already knows 2027")
    station = Unit.objects.get(pk=city.user("chief").unit_id)
    return _public_order_case(city.bureau_id, station.code)


def _a08(case_id) -> Finding:
    return Finding.objects.get(case_id=case_id, rule="A08")


def test_a_finding_says_the_year_is_missing_until_it_is_entered_then_moves(city, case_2027) -> None:
    before = _a08(case_2027)
    assert before.due_at.astimezone(NOW.tzinfo).date() == dt.date(2027, 2, 9)  # end of Monday 8th
    assert "2027" in before.reason and "weekends only" in before.reason
    done = holidays.enter(
        city.scope("legal"), 2027, SCHEDULE, source="国办发明电〔2026〕X号", by="legal", now=NOW
    )
    assert (done.rest_days, done.working_days) == (11, 1) and done.cases_marked >= 1
    assert Case.objects.get(pk=case_2027).findings_due
    assert services.catch_up(now=NOW) >= 1
    after = _a08(case_2027)
    # 8 February is now inside the Spring Festival: the period ends on the Sunday worked instead
    assert after.due_at.astimezone(NOW.tzinfo).date() == dt.date(2027, 2, 15)
    assert "weekends only" not in after.reason
    assert not Case.objects.get(pk=case_2027).findings_due
    audit = AuditEntry.objects.filter(object_type="supervision.holidayschedule").last()
    assert audit is not None and audit.action == "create"


def test_only_the_legal_department_enters_and_a_bad_row_saves_nothing(city) -> None:
    from precinct.core.errors import PermissionDenied, ValidationFailed

    with pytest.raises(PermissionDenied):
        holidays.enter(city.scope("leader"), 2027, SCHEDULE, source="", by="leader", now=NOW)
    with pytest.raises(ValidationFailed) as exc:
        holidays.enter(city.scope("legal"), 2027, SCHEDULE + "2027-02-15,班,春节\n", source="",
                       by="legal", now=NOW)  # fmt: skip
    assert exc.value.errors[0].row == 4
    assert not HolidaySchedule.objects.filter(year=2027).exists()


def test_the_page_lists_the_years_and_the_legal_department_saves_one(city) -> None:
    legal = city.client("legal")
    page = legal.get("/supervision/holidays/?year=2027").content.decode()
    assert f'data-year="{city.today.year + 1}"' in page  # next year is always listed
    if city.today.year - 2 <= 2026:  # recent built-in years are listed, older ones are history
        assert 'data-year="2026" data-source="package"' in page
    assert 'data-year="2010"' not in page
    bad = legal.post("/supervision/holidays/", {"year": 2027, "rows": "2027-02-30,休,春节"})
    assert bad.status_code == 200 and 'id="import-errors"' in bad.content.decode()
    assert not HolidaySchedule.objects.filter(year=2027).exists()
    saved = legal.post(
        "/supervision/holidays/", {"year": 2027, "rows": SCHEDULE, "source": "国办发明电"}
    )
    assert saved.status_code == 302 and saved["Location"].endswith("?year=2027")
    page = legal.get(saved["Location"]).content.decode()
    assert 'data-year="2027" data-source="entered"' in page and "国办发明电" in page
    assert "2027-02-06..2027-02-13,休,春节" in page  # the form shows the saved rows to edit
    # the leadership reads it, an officer may not open it, nobody else may save
    assert city.client("leader").get("/supervision/holidays/").status_code == 200
    assert city.client("officer").get("/supervision/holidays/").status_code == 403
    refused = city.client("leader").post("/supervision/holidays/", {"year": 2027, "rows": SCHEDULE})
    assert refused.status_code == 403


@pytest.mark.slow
def test_the_command_line_imports_a_year_and_names_a_bad_row(tmp_path: Path) -> None:
    env = child_env(PRECINCT_VAR_DIR=str(tmp_path), PRECINCT_ENV="test",
                    PRECINCT_DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}")  # fmt: skip
    cli = [sys.executable, "-m", "precinct.cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], env=env, capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S, check=False)  # fmt: skip

    assert run("db", "upgrade").returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-01-01,休,元旦\n2027-02-15,班,春节\n", encoding="utf-8")
    r = run("supervision", "holidays-import", "2027", str(bad))
    assert r.returncode == 2 and "Row 2 · Kind:" in r.stderr and "nothing was saved" in r.stderr
    good = tmp_path / "good.csv"
    good.write_text(SCHEDULE, encoding="utf-8")
    r = run("supervision", "holidays-import", "2027", str(good), "--source", "国办发明电")
    assert r.returncode == 0, r.stderr
    assert "11 rest day(s), 1 adjusted working day(s)" in r.stdout
    listed = run("supervision", "holidays-list")
    assert listed.returncode == 0 and "entered" in listed.stdout
