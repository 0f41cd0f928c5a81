"""Cases in the system: import, the timeline, findings kept current, tickets, reviews, scope."""

import copy
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from precinct.cases import services as cases
from precinct.cases.models import Case, CaseEvent
from precinct.core import clock
from precinct.core.errors import PermissionDenied, ValidationFailed
from precinct.org.models import Officer, Unit
from precinct.supervision import services
from precinct.supervision.models import Finding, Ticket, WarningProposal
from precinct.supervision.rules import InterchangeError
from tests.integration.markers import RACES

NOW = dt.datetime.fromisoformat("2026-03-10T08:00:00+08:00")


def document(number: str = "XS-2026-0042", unit: str = "") -> dict:
    return {
        "case": {
            "id": number,
            "kind": "criminal",
            "flags": {"major": False},
            "unit": unit,
            "title": "盗窃案",
        },
        "events": [
            {"type": "detained", "at": "2026-03-02T09:30:00+08:00", "subject": "p1"},
            {
                "type": "interrogated",
                "at": "2026-03-02T16:00:00+08:00",
                "subject": "p1",
                "av_recorded": True,
            },
            {
                "type": "family_notified",
                "at": "2026-03-02T16:30:00+08:00",
                "subject": "p1",
                "measure": "detention",
            },
            {
                "type": "delivered_to_detention_centre",
                "at": "2026-03-03T11:00:00+08:00",
                "subject": "p1",
            },
        ],
    }


@pytest.fixture
def station(city):
    return Unit.objects.get(pk=city.user("chief").unit_id)


@pytest.fixture
def imported(city, station, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.import_document(
            bureau_id=city.bureau_id, document=document(unit=station.code)
        )
    for case_id in [outcome.case_id]:
        services.recompute_case(case_id, now=NOW)
    return outcome


def test_import_creates_the_case_and_its_timeline(imported) -> None:
    assert imported.created and imported.new_events == 4
    case = Case.objects.get(pk=imported.case_id)
    assert case.number == "XS-2026-0042" and case.kind == "criminal" and case.title == "盗窃案"
    assert [e.type for e in cases.event_rows(case.pk)][:2] == [
        "detained",
        "interrogated",
    ]  # time order


def test_importing_twice_changes_nothing(city, station, imported) -> None:
    again = services.import_document(bureau_id=city.bureau_id, document=document(unit=station.code))
    assert not again.created and again.new_events == 0
    assert CaseEvent.objects.filter(case_id=imported.case_id).count() == 4


def test_findings_are_stored_and_problems_open_tickets(imported) -> None:
    rows = {f.rule: f for f in Finding.objects.filter(case_id=imported.case_id)}
    assert rows["C02"].state == "late"  # delivered after 24 h
    assert rows["C05"].state == "overdue"  # no arrest request by 03-05 24:00
    assert rows["C04"].state == "met"
    tickets = Ticket.objects.filter(case_id=imported.case_id)
    assert {t.finding.rule for t in tickets} == {"C02", "C05"}
    assert all(t.state == "open" and t.unit_id == rows["C02"].unit_id for t in tickets)


# The recompute on commit reads the clock: it stands at a moment after the documents' dates, so
# these tests say the same whatever day the suite runs on (PRECINCT_TODAY may be before March).
LATER = dt.datetime.fromisoformat("2026-04-01T08:00:00+08:00")


def test_a_recorded_event_recomputes_the_case_on_commit(
    imported, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(clock, "now", lambda: LATER)
    case = Case.objects.get(pk=imported.case_id)
    from precinct.cases.rules import EventContent

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cases.record_event(
            case=case,
            content=EventContent(
                "arrest_requested", dt.datetime.fromisoformat("2026-03-05T10:00:00+08:00"), "p1", {}
            ),
        )
    assert callbacks
    assert Finding.objects.get(case=case, rule="C05").state == "met"
    # as of 04-01 no approval came within 7 days of 03-05
    assert Finding.objects.get(case=case, rule="C06").state == "overdue"


def test_a_correction_replaces_the_event_it_points_to(
    imported, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from precinct.cases.rules import EventContent

    monkeypatch.setattr(clock, "now", lambda: LATER)

    case = Case.objects.get(pk=imported.case_id)
    wrong = CaseEvent.objects.get(case=case, type="delivered_to_detention_centre")
    with django_capture_on_commit_callbacks(execute=True):
        cases.record_event(
            case=case,
            corrects=wrong.pk,
            content=EventContent(
                "delivered_to_detention_centre",
                dt.datetime.fromisoformat("2026-03-02T15:00:00+08:00"),
                "p1",
                {},
            ),
        )
    assert Finding.objects.get(case=case, rule="C02").state == "met"
    assert CaseEvent.objects.filter(case=case).count() == 5  # the original stays on record
    assert (
        len(cases.timeline(case.pk)) == 4
        and len(cases.timeline(case.pk, include_corrected=True)) == 5
    )


def test_the_sweep_moves_pending_findings_on_as_time_passes(city, station) -> None:
    doc = document("XS-2026-0100", station.code)
    doc["events"] = [{"type": "bail_started", "at": "2026-03-02T10:00:00+08:00", "subject": "p9"}]
    outcome = services.import_document(bureau_id=city.bureau_id, document=doc)
    services.recompute_case(outcome.case_id, now=NOW)
    assert Finding.objects.get(case_id=outcome.case_id, rule="C16").state == "pending"
    services.sweep(now=dt.datetime.fromisoformat("2027-03-02T12:00:00+08:00"))
    assert Finding.objects.get(case_id=outcome.case_id, rule="C16").state == "due_soon"
    services.sweep(now=dt.datetime.fromisoformat("2027-03-10T12:00:00+08:00"))
    finding = Finding.objects.get(case_id=outcome.case_id, rule="C16")
    assert finding.state == "overdue" and Ticket.objects.filter(finding=finding).exists()


def test_a_bad_file_in_a_folder_leaves_nothing_and_the_good_ones_go_in(
    city, station, tmp_path: Path
) -> None:
    good = document("XS-2026-0201", station.code)
    bad = copy.deepcopy(document("XS-2026-0202", station.code))
    bad["events"][2]["measure"] = "dinner"
    (tmp_path / "a.json").write_text(json.dumps(good), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(bad), encoding="utf-8")
    (tmp_path / "c.json").write_text("{oops", encoding="utf-8")
    results = services.import_path(bureau_id=city.bureau_id, path=tmp_path)
    assert [bool(r.outcome) for r in results] == [True, False, False]
    assert "event 3 (family_notified): field 'measure'" in results[1].error
    assert not Case.objects.filter(number="XS-2026-0202").exists()
    assert Case.objects.filter(number="XS-2026-0201").exists()


def test_a_case_needs_a_unit_of_the_bureau(city) -> None:
    with pytest.raises(InterchangeError, match="case: field 'unit'"):
        services.import_document(bureau_id=city.bureau_id, document=document(unit="NOPE"))


def test_tickets_move_by_role_and_accountability_proposes_a_warning(city, imported) -> None:
    ticket = Ticket.objects.filter(case_id=imported.case_id).first()
    chief, legal = city.scope("chief"), city.scope("legal")
    services.move_ticket(chief, ticket.pk, to_state="rectifying", by="chief")
    services.move_ticket(chief, ticket.pk, to_state="rectified", by="chief", note="已整改")
    with pytest.raises(PermissionDenied):
        services.move_ticket(chief, ticket.pk, to_state="verified", by="chief")
    services.move_ticket(legal, ticket.pk, to_state="verified", by="legal")
    assert Ticket.objects.get(pk=ticket.pk).state == "verified"
    assert [s.to_state for s in Ticket.objects.get(pk=ticket.pk).steps.all()] == [
        "rectifying",
        "rectified",
        "verified",
    ]

    other = Ticket.objects.filter(case_id=imported.case_id, state="open").first()
    with pytest.raises(ValidationFailed):
        services.move_ticket(legal, other.pk, to_state="accountability", by="legal")
    services.move_ticket(
        legal, other.pk, to_state="accountability", by="legal", note="超期未提请批捕"
    )
    proposal = WarningProposal.objects.get(ticket=other)
    assert proposal.reason == "超期未提请批捕" and proposal in services.warning_proposals()


def test_cases_are_scoped_like_everything_else(city, imported) -> None:
    assert cases.scope_cases(city.scope("chief")).filter(pk=imported.case_id).exists()
    assert cases.scope_cases(city.scope("legal")).filter(pk=imported.case_id).exists()
    assert not cases.scope_cases(city.scope("sysadmin")).exists()
    assert not cases.scope_cases(city.scope("officer")).filter(pk=imported.case_id).exists()
    case = Case.objects.get(pk=imported.case_id)
    case.lead_officer = Officer.objects.get(pk=city.scope("officer").officer_id)
    case.save()
    assert cases.scope_cases(city.scope("officer")).filter(pk=imported.case_id).exists()


def test_reviews_feed_the_good_practice_library(city, imported) -> None:
    services.add_review(
        city.scope("legal"),
        imported.case_id,
        reviewer="legal",
        summary="解剖",
        items=[("good", "C04", "拘留后两小时内完成首次讯问"), ("problem", "C02", "送押超时")],
    )
    library = services.good_practice(city.scope("officer"))
    assert [i.text for i in library] == ["拘留后两小时内完成首次讯问"]
    with pytest.raises(PermissionDenied):
        services.add_review(
            city.scope("chief"),
            imported.case_id,
            reviewer="chief",
            summary="",
            items=[("good", "", "x")],
        )
    with pytest.raises(ValidationFailed):
        services.add_review(
            city.scope("legal"),
            imported.case_id,
            reviewer="legal",
            summary="",
            items=[("meh", "", "")],
        )


def test_the_api_records_events_and_masks_identity_numbers(city, imported) -> None:
    from precinct.cases.models import CasePerson

    CasePerson.objects.create(
        bureau_id=city.bureau_id,
        case_id=imported.case_id,
        key="p1",
        name="张三",
        id_number="230402198001011234",
    )
    chief = city.client("chief")
    detail = chief.get(f"/api/v1/cases/{imported.case_id}").json()
    assert detail["persons"][0]["id_number"] == "2304**********1234"
    assert {f["rule"] for f in detail["findings"]} >= {"C02", "C05"}
    legal = city.client("legal").get(f"/api/v1/cases/{imported.case_id}").json()
    assert legal["persons"][0]["id_number"] == "230402198001011234"

    bad = chief.post(
        f"/api/v1/cases/{imported.case_id}/events",
        {"type": "arrest_requested", "at": "2026-03-05T10:00:00", "subject": "p1"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "field 'at' has no UTC offset" in bad.content.decode()
    ok = chief.post(
        f"/api/v1/cases/{imported.case_id}/events",
        {"type": "arrest_requested", "at": "2026-03-05T10:00:00+08:00", "subject": "p1"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["recorded_by"] == "chief"
    again = chief.post(  # a retry after a lost answer: the event recorded, not a second one
        f"/api/v1/cases/{imported.case_id}/events",
        {"type": "arrest_requested", "at": "2026-03-05T10:00:00+08:00", "subject": "p1"},
        content_type="application/json",
    )
    assert again.status_code == 200, again.content
    first, replay = ok.json(), again.json()
    assert dt.datetime.fromisoformat(replay.pop("at")) == dt.datetime.fromisoformat(first.pop("at"))
    assert replay == first
    assert CaseEvent.objects.filter(case_id=imported.case_id, type="arrest_requested").count() == 1
    assert city.client("sysadmin").get(f"/api/v1/cases/{imported.case_id}").status_code == 403
    assert city.client("officer").get(f"/api/v1/cases/{imported.case_id}").status_code == 404


def test_an_imported_correction_is_recorded_as_one(city, station) -> None:
    doc = document("XS-2026-0300", station.code)
    doc["events"].append(
        {
            "type": "delivered_to_detention_centre",
            "at": "2026-03-03T11:30:00+08:00",
            "subject": "p1",
            "corrects": 4,
        }
    )
    doc["events"][3]["at"] = "2026-03-03T11:00:00+08:00"
    outcome = services.import_document(bureau_id=city.bureau_id, document=doc)
    rows = list(cases.event_rows(outcome.case_id))
    assert rows[-1].corrects_id == rows[-2].pk
    again = services.import_document(bureau_id=city.bureau_id, document=doc)
    assert again.new_events == 0


def test_findings_past_the_known_holiday_calendar_say_so(city, station) -> None:
    doc = document("XS-2026-0400", station.code)
    doc["events"] = [{"type": "bail_started", "at": "2026-06-02T10:00:00+08:00", "subject": "p9"}]
    outcome = services.import_document(bureau_id=city.bureau_id, document=doc)
    services.recompute_case(
        outcome.case_id, now=dt.datetime.fromisoformat("2026-07-01T08:00:00+08:00")
    )
    assert "2027" in Finding.objects.get(case_id=outcome.case_id, rule="C16").reason


def test_the_supervision_pages(city, imported) -> None:
    legal = city.client("legal")
    html = legal.get("/supervision/").content.decode()
    assert 'id="trend-data"' in html and "vendor/echarts/echarts.min.js" in html
    overdue = legal.get("/supervision/findings/", {"state": "overdue"}).content.decode()
    assert "XS-2026-0042" in overdue and "C05" in overdue
    page = legal.get(f"/supervision/cases/{imported.case_id}/").content.decode()
    assert 'id="timeline-data"' in page and "C02" in page and "CPL 85" in page
    assert city.client("officer").get(f"/supervision/cases/{imported.case_id}/").status_code == 404


def test_tickets_and_reviews_from_the_case_page(city, imported) -> None:
    ticket = Ticket.objects.filter(case_id=imported.case_id, finding__rule="C02").get()
    chief = city.client("chief")
    r = chief.post(f"/supervision/tickets/{ticket.pk}/move/", {"to_state": "rectifying"})
    assert r.status_code == 302 and Ticket.objects.get(pk=ticket.pk).state == "rectifying"
    r = chief.post(f"/supervision/tickets/{ticket.pk}/move/", {"to_state": "verified"}, follow=True)
    assert Ticket.objects.get(pk=ticket.pk).state == "rectifying"  # not the chief's call
    assert "error" in [m.tags for m in r.context["messages"]]
    legal = city.client("legal")
    legal.post(
        f"/supervision/cases/{imported.case_id}/review/",
        {"tag": "good", "rule": "C04", "text": "及时讯问"},
    )
    assert "及时讯问" in city.client("officer").get("/supervision/good-practice/").content.decode()


def test_the_demo_city_has_cases_with_a_few_percent_of_real_problems(city) -> None:
    demo_cases = Case.objects.filter(number__regex=r"^X[SZ]-\d{4}-\d{5}$")
    assert (
        demo_cases.count() == 480
    )  # the test suite's smaller demo: 120 criminal + 360 administrative
    assert demo_cases.filter(kind="criminal").count() == 120
    with_tickets = Ticket.objects.filter(case__in=demo_cases).values("case").distinct().count()
    assert 0.005 < with_tickets / 480 < 0.15
    kinds = set(Ticket.objects.filter(case__in=demo_cases).values_list("finding__rule", flat=True))
    assert len(kinds) >= 3
    assert Finding.objects.filter(case__in=demo_cases, state="met").count() > 2000


def test_the_dashboard_counts_by_rule_unit_and_lead_officer(city, imported) -> None:
    case = Case.objects.get(pk=imported.case_id)
    case.lead_officer = Officer.objects.filter(current_unit_id=case.unit_id).first()
    case.save()
    data = services.dashboard(city.scope("legal"), now=NOW)
    assert data["overdue"] >= 1
    assert any(r["rule"] == "C05" for r in data["by_rule"])
    assert any(o["case__lead_officer__name"] == case.lead_officer.name for o in data["by_officer"])
    assert data["open_tickets"] >= 2


def test_an_import_that_fails_half_way_leaves_nothing(
    city, station, tmp_path: Path, monkeypatch
) -> None:
    calls = {"n": 0}
    real = cases.record_event

    def failing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValidationFailed([])
        return real(**kwargs)

    monkeypatch.setattr(cases, "record_event", failing)
    (tmp_path / "a.json").write_text(
        json.dumps(document("XS-2026-0500", station.code)), encoding="utf-8"
    )
    results = services.import_path(bureau_id=city.bureau_id, path=tmp_path)
    assert results[0].outcome is None and calls["n"] == 3
    assert not Case.objects.filter(number="XS-2026-0500").exists()
    assert not CaseEvent.objects.filter(case__number="XS-2026-0500").exists()


def test_a_chief_cannot_reach_another_units_case(city, imported) -> None:
    other_unit = Unit.objects.exclude(pk=city.user("chief").unit_id).filter(kind="station").first()
    outcome = services.import_document(
        bureau_id=city.bureau_id, document=document("XS-2026-0600", other_unit.code)
    )
    services.recompute_case(outcome.case_id, now=NOW)
    chief = city.client("chief")
    assert chief.get(f"/api/v1/cases/{outcome.case_id}").status_code == 404
    assert chief.get(f"/supervision/cases/{outcome.case_id}/").status_code == 404
    r = chief.post(
        f"/api/v1/cases/{outcome.case_id}/events",
        {"type": "arrest_requested", "at": "2026-03-05T10:00:00+08:00", "subject": "p1"},
        content_type="application/json",
    )
    assert r.status_code == 404
    ticket = Ticket.objects.filter(case_id=outcome.case_id).first()
    assert (
        chief.post(
            f"/supervision/tickets/{ticket.pk}/move/", {"to_state": "rectifying"}
        ).status_code
        == 404
    )
    assert Ticket.objects.get(pk=ticket.pk).state == "open"


def test_a_correction_can_be_corrected_only_once_and_findings_it_removes_are_withdrawn(
    city, imported
) -> None:
    from precinct.cases.rules import EventContent

    case = Case.objects.get(pk=imported.case_id)
    detained = CaseEvent.objects.get(case=case, type="detained")
    at = dt.datetime.fromisoformat("2026-03-02T09:30:00+08:00")
    fix = cases.record_event(
        case=case, corrects=detained.pk, content=EventContent("summoned", at, "p1", {})
    )
    with pytest.raises(ValidationFailed):
        cases.record_event(
            case=case, corrects=detained.pk, content=EventContent("compelled", at, "p1", {})
        )
    restored = cases.record_event(
        case=case, corrects=fix.pk, content=EventContent("detained", at, "p1", {})
    )
    assert restored is not None  # restoring the original content is a new event, not a duplicate
    assert next(e.content.type for e in cases.timeline(case.pk)) == "detained"
    cases.record_event(
        case=case, corrects=restored.pk, content=EventContent("summoned", at, "p1", {})
    )
    services.recompute_case(case.pk, now=NOW)
    c05 = Finding.objects.get(case=case, rule="C05")
    assert c05.state == "withdrawn"  # it had a ticket, so it stays on record, but no longer counts
    counted = services.dashboard(city.scope("legal"), now=NOW)["overdue"]
    assert counted == services.scope_findings(city.scope("legal")).filter(state="overdue").count()


def test_changed_flags_on_reimport_recompute_the_case(
    city, station, imported, django_capture_on_commit_callbacks
) -> None:
    doc = document(unit=station.code)
    doc["case"]["flags"] = {"major": True}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.import_document(bureau_id=city.bureau_id, document=doc)
    assert callbacks  # the change of flags is published, so supervision recomputes


def test_identity_numbers_stay_out_of_the_audit_log(city, imported) -> None:
    from precinct.identity.models import AuditEntry

    cases.upsert_person(
        case=Case.objects.get(pk=imported.case_id),
        key="p7",
        name="李四",
        id_number="230402198001014321",
    )
    entry = AuditEntry.objects.filter(object_type="cases.caseperson").latest("at")
    assert "230402198001014321" not in json.dumps(entry.detail, ensure_ascii=False)
    assert entry.detail["row"]["id_number"].startswith("<redacted:")
    # and the stand-in cannot be reversed by hashing every possible number: it is keyed
    unkeyed = hashlib.sha256(b"230402198001014321").hexdigest()[:12]
    assert unkeyed not in entry.detail["row"]["id_number"]


def test_pages_refuse_to_redirect_off_site_and_bad_input_is_a_clear_error(city, imported) -> None:
    ticket = Ticket.objects.filter(case_id=imported.case_id).first()
    chief = city.client("chief")
    r = chief.post(
        f"/supervision/tickets/{ticket.pk}/move/",
        {"to_state": "verified", "back": "https://evil.example/"},
    )
    assert r.status_code == 302 and not r["Location"].startswith("http")
    r = chief.post(
        f"/supervision/tickets/{ticket.pk}/move/", {"to_state": "verified", "back": "foo"}
    )
    assert r.status_code == 302
    api = city.client("legal")
    assert (
        api.post(
            f"/api/v1/supervision/tickets/{ticket.pk}/move",
            {"to_state": "bogus"},
            content_type="application/json",
        ).status_code
        == 422
    )
    r = api.post(
        f"/api/v1/cases/{imported.case_id}/reviews",
        {"summary": "", "items": [{"tag": "good", "rule": "C99", "text": "x"}]},
        content_type="application/json",
    )
    assert r.status_code == 422 and "C99" in r.content.decode()
    for body in (
        {"type": "released", "at": "0001-01-01T00:00:00+08:00", "subject": "p1"},
        {"type": "released", "at": "2026-03-05T10:00:00+08:00", "subject": "p" * 80},
    ):
        r = api.post(
            f"/api/v1/cases/{imported.case_id}/events", body, content_type="application/json"
        )
        assert r.status_code == 422, r.content


def test_postgresql_refuses_to_change_a_recorded_event(imported) -> None:
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    event = CaseEvent.objects.filter(case_id=imported.case_id).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(type="released")


@RACES
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_on_one_case_neither_collide_nor_duplicate(tiny) -> None:
    import threading

    from django.db import connection, transaction

    from precinct.cases.rules import EventContent

    unit = Unit.objects.get(pk=tiny.station_id)
    with transaction.atomic():
        outcome = services.import_document(
            bureau_id=tiny.bureau_id, document=document("XS-2026-0700", unit.code)
        )
    case = Case.objects.get(pk=outcome.case_id)
    errors: list[BaseException] = []
    results: list[object] = []
    barrier = threading.Barrier(6)

    def write(n: int) -> None:
        try:
            barrier.wait()
            at = dt.datetime.fromisoformat("2026-03-05T10:00:00+08:00") + dt.timedelta(
                minutes=n % 3
            )
            with transaction.atomic():  # three distinct events, each sent twice
                results.append(
                    cases.record_event(
                        case=case, content=EventContent("parties_notified", at, None, {})
                    )
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sum(1 for r in results if r is not None) == 3
    seqs = list(CaseEvent.objects.filter(case=case).values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs)) == 7


def test_every_event_type_has_a_name_on_the_case_page(city, imported) -> None:
    from precinct.supervision.labels import EVENT_LABELS
    from precinct.supervision.rules.interchange import EVENT_TYPES

    assert set(EVENT_LABELS) == set(EVENT_TYPES)
    html = city.client("legal").get(f"/supervision/cases/{imported.case_id}/").content.decode()
    assert "刑事拘留" in html and 'title="detained"' in html
