"""Issue 17 part 6: the case timeline (a row per rule and person, a legend, the bureau's wall
clock), deadlines read with their year where a case crosses one, and every page, file or export
that shows a case written in the audit log.

No assertion here needs the new strings compiled: words are compared with ``gettext`` of the
same catalog the page used."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

from precinct.cases import services as cases
from precinct.cases.models import Case, CaseEvent
from precinct.cases.rules import EventContent
from precinct.identity.models import AuditEntry
from precinct.org.models import Officer, Unit
from precinct.supervision import services
from precinct.supervision.labels import state_label
from tests.integration.test_supervision_cli import _run

NOW = dt.datetime.fromisoformat("2026-01-10T08:00:00+08:00")
NAME = "赵六"
NUMBER = "XS-2025-9001"


def document(unit: str) -> dict:
    """Two persons detained on New Year's Eve; the steps after it fall in the new year."""
    return {
        "case": {"id": NUMBER, "kind": "criminal", "unit": unit, "title": "跨年盗窃案"},
        "events": [
            {"type": "detained", "at": "2025-12-31T20:00:00+08:00", "subject": "p1"},
            {"type": "detained", "at": "2025-12-31T20:10:00+08:00", "subject": "p2"},
            {
                "type": "delivered_to_detention_centre",
                "at": "2026-01-01T10:00:00+08:00",
                "subject": "p1",
            },
            {
                "type": "interrogated",
                "at": "2026-01-01T22:00:00+08:00",
                "subject": "p1",
                "av_recorded": True,
            },
        ],
    }


@pytest.fixture
def case(city):
    station = Unit.objects.get(pk=city.user("chief").unit_id)
    outcome = services.import_document(bureau_id=city.bureau_id, document=document(station.code))
    row = Case.objects.get(pk=outcome.case_id)
    cases.upsert_person(case=row, key="p1", name=NAME, id_number="230402198001011234")
    row.lead_officer = Officer.objects.filter(current_unit_id=station.pk).first()
    row.save()
    services.recompute_case(row.pk, now=NOW)
    return row


def _wall_ms(text: str) -> int:
    """A local time as the chart carries it: the bureau's wall clock read as UTC."""
    naive = dt.datetime.fromisoformat(text)
    return int(naive.replace(tzinfo=dt.UTC).timestamp() * 1000)


def test_the_timeline_has_a_row_per_rule_and_person_and_a_legend(city, case) -> None:
    r = city.client("legal").get(f"/supervision/cases/{case.pk}/")
    chart = r.context["chart"]
    findings = r.context["findings"]
    rows = chart["rows"]
    with translation.override("zh-hans"):
        steps = translation.gettext("Events")
        deadline = translation.gettext("Legal deadline")
        assert rows[0] == steps  # the case's steps have their own row
        assert len(rows) == len(findings) + 1 and len(set(rows)) == len(rows)
        assert f"拘留后送看守所 · {NAME}" in rows
        assert f"拘留后送看守所 · {translation.gettext('Person %(n)s') % {'n': '2'}}" in rows
        for d, f in zip(chart["deadlines"], findings, strict=True):
            assert rows[d["row"]] == f"{f.title} · {f.who}" and d["state"] == f.state
        legend = {item["mark"]: item["label"] for item in chart["legend"]}
        assert list(legend)[:3] == ["step", "deadline", "done"]
        assert legend["step"] == steps and legend["deadline"] == deadline
        states = {f.state for f in findings}
        assert {"met", "late", "overdue"} <= states
        assert {m: legend[m] for m in states} == {s: state_label(s) for s in states}
    # the bureau's wall clock, whatever the browser's zone: 20:00 on New Year's Eve stays there
    assert chart["events"][0]["at"] == _wall_ms("2025-12-31T20:00:00")
    met = next(d for d, f in zip(chart["deadlines"], findings, strict=True) if f.rule == "C02")
    assert met["due"] == _wall_ms("2026-01-01T20:00:00")


def test_a_timeline_without_anything_done_names_no_done_mark(city) -> None:
    station = Unit.objects.get(pk=city.user("chief").unit_id)
    doc = document(station.code)
    doc["case"]["id"], doc["events"] = "XS-2025-9002", doc["events"][:1]
    outcome = services.import_document(bureau_id=city.bureau_id, document=doc)
    services.recompute_case(outcome.case_id, now=NOW)
    chart = city.client("legal").get(f"/supervision/cases/{outcome.case_id}/").context["chart"]
    assert [m["mark"] for m in chart["legend"]][:2] == ["step", "deadline"]
    assert "done" not in {m["mark"] for m in chart["legend"]}


def test_a_corrected_step_leaves_the_timeline(city, case) -> None:
    wrong = CaseEvent.objects.get(case=case, type="interrogated")
    right = dt.datetime.fromisoformat("2026-01-01T19:00:00+08:00")
    content = EventContent("interrogated", right, "p1", {"av_recorded": True})
    cases.record_event(case=case, content=content, recorded_by="test", corrects=wrong.pk)
    chart = city.client("legal").get(f"/supervision/cases/{case.pk}/").context["chart"]
    times = [e["at"] for e in chart["events"]]
    assert _wall_ms("2026-01-01T19:00:00") in times
    assert _wall_ms("2026-01-01T22:00:00") not in times and len(times) == 4


def test_deadlines_read_with_their_year(city, case) -> None:
    legal = city.client("legal")
    page = legal.get(f"/supervision/cases/{case.pk}/").content.decode()
    # the findings' table: triggered on New Year's Eve, due and done late in the new year
    assert "<td>2025-12-31 20:00</td><td>2026-01-01 20:00</td>" in page
    assert "<td>2026-01-01 22:00</td>" in page.split('id="tickets"')[0].split("<h2>")[-1]
    listed = legal.get("/supervision/findings/", {"state": "overdue", "rule": "C05"})
    due = next(f.due_at for f in listed.context["page"].object_list if f.case_id == case.pk)
    local = due.astimezone(NOW.tzinfo)
    assert f"<td>{local:%Y-%m-%d %H:%M}</td>" in listed.content.decode()


def test_the_check_command_prints_dates_with_their_year(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table unwrapped
    doc = document("")
    del doc["case"]["unit"]
    r = _run(tmp_path, doc, "--at", NOW.isoformat())
    assert r.returncode == 0, r.stderr
    assert "2025-12-31 20:00" in r.stdout and "2026-01-01 20:00" in r.stdout


def _views(case_id: object, actor: str) -> int:
    return AuditEntry.objects.filter(
        action="view", object_type="cases.case", object_id=str(case_id), actor=actor
    ).count()


def test_opening_a_case_is_audited_on_the_page_and_in_the_api(city, case) -> None:
    legal = city.client("legal")
    assert _views(case.pk, "legal") == 0
    assert legal.get(f"/supervision/cases/{case.pk}/").status_code == 200
    assert _views(case.pk, "legal") == 1
    assert legal.get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert _views(case.pk, "legal") == 2
    other = Unit.objects.exclude(pk=case.unit_id).filter(kind="station").first()
    assert other is not None
    chief = city.client("chief")  # a case he may not open: nothing shown, nothing logged
    doc = document(other.code)
    doc["case"]["id"] = "XS-2025-9003"
    elsewhere = services.import_document(bureau_id=city.bureau_id, document=doc).case_id
    assert chief.get(f"/supervision/cases/{elsewhere}/").status_code == 404
    assert _views(elsewhere, "chief") == 0


@pytest.mark.parametrize(
    ("path", "object_type"),
    [
        ("/api/v1/supervision/findings?rule=C04&limit=500", "supervision.finding"),
        ("/api/v1/supervision/tickets?limit=500", "supervision.ticket"),
        ("/api/v1/cases?limit=500", "cases.case"),
    ],
)
def test_an_export_names_its_cases_and_is_found_by_case_number(
    city, case, path, object_type
) -> None:
    before = AuditEntry.objects.filter(action="export").count()
    r = city.client("legal").get(path)
    assert r.status_code == 200 and r.json()
    entry = AuditEntry.objects.filter(action="export").order_by("-at", "-id").first()
    assert AuditEntry.objects.filter(action="export").count() == before + 1
    assert entry is not None and entry.actor == "legal" and entry.object_type == object_type
    assert NUMBER in entry.detail["cases"] and entry.detail["rows"] == len(r.json())
    rows = city.client("auditor").get("/audit/", {"q": NUMBER}).context["rows"]
    assert any(row.entry.pk == entry.pk for row in rows)


def test_an_empty_list_exports_nothing(city) -> None:
    before = AuditEntry.objects.filter(action="export").count()
    r = city.client("legal").get("/api/v1/supervision/findings", {"rule": "C99"})
    assert r.status_code == 200 and r.json() == []
    assert AuditEntry.objects.filter(action="export").count() == before


def test_the_export_reads_in_words_on_the_audit_page(city, case) -> None:
    city.client("legal").get("/api/v1/supervision/tickets")
    c = city.client("auditor")
    c.cookies["precinct_language"] = "en"
    rows = c.get("/audit/", {"q": NUMBER, "action": "export"}).context["rows"]
    assert rows and all(r.entry.action == "export" for r in rows)
    with translation.override("en"):
        assert rows[0].action == translation.pgettext("audit action", "Exported")
        assert rows[0].object_type == translation.pgettext("audit object", "Supervision ticket")
