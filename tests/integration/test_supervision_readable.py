"""Supervision pages in words, not codes (issue 17): finding states, the person a finding is about
(masked per role), the legal basis by statute and article, the case timeline's rows; overdue
findings newest first with filters; case search by part of a number, a person or a unit; an event
about a person refused without its subject by import, API and `supervision check`."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.utils import translation

from precinct.cases import services as cases
from precinct.cases.models import Case
from precinct.org.models import Officer, Unit
from precinct.supervision import services
from precinct.supervision.rules import InterchangeError
from tests.integration.test_supervision_cli import _run
from tests.unit.supervision.test_interchange import GOOD

NOW = dt.datetime.fromisoformat("2026-03-10T08:00:00+08:00")
NAME = "张三丰"


def document(number: str, unit: str) -> dict:
    return {
        "case": {"id": number, "kind": "criminal", "unit": unit, "title": "盗窃案"},
        "events": [
            {"type": "report_received", "at": "2026-03-02T08:00:00+08:00"},  # about the case
            {"type": "detained", "at": "2026-03-02T09:30:00+08:00", "subject": "p1"},
            {"type": "detained", "at": "2026-03-02T09:40:00+08:00", "subject": "p2"},
        ],
    }


@pytest.fixture
def station(city):
    return Unit.objects.get(pk=city.user("chief").unit_id)


@pytest.fixture
def case(city, station):
    outcome = services.import_document(
        bureau_id=city.bureau_id, document=document("XS-2026-7001", station.code)
    )
    row = Case.objects.get(pk=outcome.case_id)
    cases.upsert_person(case=row, key="p1", name=NAME, id_number="230402198001011234")
    row.lead_officer = Officer.objects.filter(current_unit_id=station.pk).first()
    row.save()
    services.recompute_case(row.pk, now=NOW)
    return row


def _rows(response) -> list:
    return list(response.context["page"].object_list)


def test_findings_read_in_words_and_names_are_masked_per_role(city, case) -> None:
    legal = city.client("legal").get("/supervision/findings/", {"rule": "C02"})
    html = legal.content.decode()
    ours = [f for f in _rows(legal) if f.case_id == case.pk]
    assert {f.who for f in ours} >= {NAME}
    with translation.override("zh-hans"):
        assert {f.state_label for f in ours} == {"已超期"}
        p2 = next(f for f in ours if f.subject == "p2")  # no person recorded under p2
        assert p2.who == translation.gettext("Person %(n)s") % {"n": "2"}
    assert NAME in html and "第八十五条" in html and "第一百二十六条" in html
    assert ">p1<" not in html and ">overdue<" not in html and ">CPL 85" not in html
    chief = city.client("chief").get("/supervision/findings/", {"rule": "C02"})
    text = chief.content.decode()
    assert "张**" in text and NAME not in text  # a chief reads masked names, as ID numbers


def test_a_finding_about_the_case_says_so(city, case) -> None:
    r = city.client("legal").get("/supervision/findings/", {"rule": "C20"})
    ours = [f for f in _rows(r) if f.case_id == case.pk]
    assert ours and ours[0].subject == "case"
    with translation.override("zh-hans"):
        assert ours[0].who == translation.gettext("The case")


def test_the_case_page_names_rules_and_persons(city, case) -> None:
    r = city.client("legal").get(f"/supervision/cases/{case.pk}/")
    html = r.content.decode()
    chart = r.context["chart"]
    assert f"拘留后送看守所 · {NAME}" in chart["rows"]
    assert not any(re.match(r"^[A-Z]\d\d\w* ", row) for row in chart["rows"]), chart["rows"]
    assert {d["state_label"] for d in chart["deadlines"]} >= {"已超期"}
    assert {e["subject"] for e in chart["events"]} >= {NAME}
    assert "第八十五条" in html and "嫌疑人" in html
    assert "<td>p1</td>" not in html and f"<td>{NAME}</td>" in html  # the events' table
    chief = city.client("chief").get(f"/supervision/cases/{case.pk}/")
    assert NAME not in chief.content.decode() and "张**" in chief.content.decode()


def test_the_dashboard_lists_carry_state_labels(city, case) -> None:
    r = city.client("legal").get("/supervision/")
    rows = r.context["by_rule"] + r.context["by_unit"] + r.context["by_officer"]
    assert rows and all(str(row["state_label"]) in {"已超期", "即将到期"} for row in rows)


def test_overdue_findings_newest_first(city, case) -> None:
    for state in ("overdue", "late", ""):
        r = city.client("legal").get("/supervision/findings/", {"state": state})
        due = [f.due_at for f in _rows(r) if f.due_at]
        assert len(set(due)) > 1, state
        assert due == sorted(due, reverse=True), state
    soon = [
        f.due_at for f in _rows(city.client("legal").get("/supervision/findings/?state=due_soon"))
    ]
    assert soon == sorted(soon)  # what is coming: the most urgent first


def test_findings_filter_by_rule_unit_officer_and_state(city, case, station) -> None:
    legal = city.client("legal")
    officer = case.lead_officer
    r = legal.get(
        "/supervision/findings/",
        {"officer": officer.police_number, "state": "overdue", "unit": station.name},
    )
    rows = _rows(r)
    assert rows and all(
        f.case.lead_officer_id == officer.pk and f.state == "overdue" and f.unit_id == station.pk
        for f in rows
    )
    html = r.content.decode()
    assert f'value="{officer.police_number}"' in html
    assert f'<option value="{station.name}" selected>' in html
    by_name = _rows(legal.get("/supervision/findings/", {"officer": officer.name, "rule": "C04"}))
    assert by_name and {f.rule for f in by_name} == {"C04"}
    # a long list: the pager's links keep every filter
    r = legal.get("/supervision/findings/", {"state": "met", "rule": "C02"})
    assert r.context["page"].paginator.num_pages > 1
    nxt = re.search(r'href="([^"]*page=2[^"]*)"', r.content.decode())
    assert nxt and "state=met" in nxt.group(1) and "rule=C02" in nxt.group(1)


def test_a_chief_filters_only_within_his_scope(city, case) -> None:
    other = Unit.objects.exclude(pk=case.unit_id).filter(kind="station").first()
    r = city.client("chief").get("/supervision/findings/", {"unit": other.name})
    assert _rows(r) == []
    assert other.name not in r.context["units"]


def test_case_search_by_part_of_a_number_a_person_or_a_unit(city, case, station) -> None:
    legal = city.client("legal")

    def found(q: str, who=legal) -> list[str]:
        r = who.get("/supervision/cases/", {"q": q})
        return [c.number for c in r.context["page"].object_list]

    assert "XS-2026-7001" in found("2026-70")
    assert found("三丰") == ["XS-2026-7001"]
    assert "XS-2026-7001" in found(station.name[-4:])
    assert "XS-2026-7001" in found("三丰", city.client("chief"))
    other = Unit.objects.exclude(pk=station.pk).filter(kind="station").first()
    doc = document("XS-2026-7002", other.code)
    outcome = services.import_document(bureau_id=city.bureau_id, document=doc)
    cases.upsert_person(case=Case.objects.get(pk=outcome.case_id), key="p1", name="李四光")
    assert found("李四光") == ["XS-2026-7002"]
    assert found("李四光", city.client("chief")) == []  # scoped by the caller's unit, as before
    assert found("XS-2026-7002", city.client("chief")) == []
    r = legal.get("/supervision/cases/", {"q": "XS-"})
    assert r.context["page"].paginator.num_pages > 1  # paged


def _without_subject() -> dict:
    doc = json.loads(json.dumps(GOOD))
    del doc["events"][0]["subject"]
    return doc


def test_import_refuses_a_person_event_without_subject(city, station) -> None:
    doc = document("XS-2026-7003", station.code)
    del doc["events"][1]["subject"]
    with pytest.raises(InterchangeError, match=r"event 2 \(detained\): field 'subject' is missing"):
        services.import_document(bureau_id=city.bureau_id, document=doc)
    assert not Case.objects.filter(number="XS-2026-7003").exists()


def test_the_api_refuses_a_person_event_without_subject(city, case) -> None:
    r = city.client("chief").post(
        f"/api/v1/cases/{case.pk}/events",
        {"type": "arrested", "at": "2026-03-05T10:00:00+08:00"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert "event 1 (arrested): field 'subject' is missing" in r.content.decode()


def test_check_refuses_a_person_event_without_subject(tmp_path: Path) -> None:
    r = _run(tmp_path, _without_subject(), "--json")
    assert r.returncode == 2 and r.stdout == ""
    assert "event 1 (detained): field 'subject' is missing" in r.stderr
    assert "Traceback" not in r.stderr
