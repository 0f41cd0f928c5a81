"""An incident's life after dispatch through the API: the car on its way, on scene, clearing with
the disposition; the dispatcher closing, cancelling, recalling a car; each step on the timeline,
audited, and idempotent by key."""

import datetime as dt
import uuid
from typing import Any

from django.test import Client

from precinct.command import rules
from precinct.command.models import Incident, IncidentEvent, PatrolUnit, StepKey
from precinct.core import clock
from precinct.identity.models import AuditEntry
from tests.integration.test_command import BODY, _intake, _post


def _send(c: Client, incident: str, rank: int = 0) -> str:
    recs = c.get(f"/api/v1/incidents/{incident}/recommendations").json()
    unit = recs[rank]["unit_id"]
    sent = _post(
        c, f"/api/v1/incidents/{incident}/dispatch", {"unit_id": unit, "reason": "第二辆车"}
    )
    assert sent.status_code == 201, sent.content
    return str(unit)


def _step(c: Client, unit: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return _post(c, f"/api/v1/patrol-units/{unit}/status", body, **headers)


def _kinds(c: Client, incident: str) -> list[str]:
    got = c.get(f"/api/v1/incidents/{incident}")
    assert got.status_code == 200, got.content
    return [s["kind"] for s in got.json()["steps"]]


def test_the_crews_steps_make_the_timeline_and_clearing_closes_the_incident(city) -> None:
    c = city.client("command")
    incident = _intake(c, {**BODY, "caller_name": "张三"}).json()["id"]
    unit = _send(c, incident)
    assert _step(c, unit, {"status": "en_route"}, "k-go").status_code == 200
    assert _step(c, unit, {"status": "on_scene"}, "k-there").status_code == 200
    cleared = _step(
        c, unit, {"status": "available", "disposition": "street", "note": "当场调解"}, "k-done"
    )
    assert cleared.status_code == 200 and cleared.json()["status"] == "available"
    row = Incident.objects.get(pk=incident)
    assert (row.status, row.disposition, row.note) == ("closed", "street", "当场调解")
    assert _kinds(c, incident) == [
        "received", "dispatched", "en_route", "on_scene", "cleared", "closed",
    ]  # fmt: skip
    detail = c.get(f"/api/v1/incidents/{incident}").json()
    assert detail["caller_name"] == "张三" and detail["actions"] == []
    assert {s["unit"] for s in detail["steps"][1:5]} == {PatrolUnit.objects.get(pk=unit).call_sign}
    assert detail["steps"][1]["by"] == "指挥中心"  # the account's name, not its username
    # every step is in the audit chain
    events = IncidentEvent.objects.filter(incident_id=incident).values_list("pk", flat=True)
    audited = set(
        AuditEntry.objects.filter(object_type="command.incidentevent").values_list(
            "object_id", flat=True
        )
    )
    assert {str(e) for e in events} <= audited


def test_a_retried_step_is_answered_with_the_recorded_one_and_done_once(city) -> None:
    c = city.client("command")
    incident = _intake(c).json()["id"]
    unit = _send(c, incident)
    first = _step(c, unit, {"status": "on_scene"}, "k-1")
    again = _step(c, unit, {"status": "on_scene"}, "k-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert IncidentEvent.objects.filter(incident_id=incident, kind="on_scene").count() == 1
    assert StepKey.objects.filter(key="k-1").count() == 1
    # the key with another step is refused, and changes nothing
    other = _step(c, unit, {"status": "returning"}, "k-1")
    assert other.status_code == 409 and other.json()["conflict"]["field"] == "Idempotency-Key"
    assert PatrolUnit.objects.get(pk=unit).status == "on_scene"
    # replayed after the car moved on: still the recorded answer, not a second step
    _step(c, unit, {"status": "available", "disposition": "station"}, "k-2")
    late = _step(c, unit, {"status": "on_scene"}, "k-1")
    assert late.status_code == 200 and late.json()["status"] == "on_scene"
    assert PatrolUnit.objects.get(pk=unit).status == "available"
    assert IncidentEvent.objects.filter(incident_id=incident, kind="on_scene").count() == 1


def test_a_step_queued_offline_keeps_the_time_it_was_pressed(city) -> None:
    c = city.client("command")
    incident = _intake(c).json()["id"]
    unit = _send(c, incident)
    now = clock.now()
    pressed = now - dt.timedelta(minutes=7)
    ok = _step(c, unit, {"status": "on_scene", "at": pressed.isoformat()})
    assert ok.status_code == 200
    row = Incident.objects.get(pk=incident)
    dispatched = row.dispatched_at
    assert row.on_scene_at == max(pressed, dispatched)  # never before the car was sent
    for at, why in (
        (now + dt.timedelta(hours=1), "ahead"),
        (now - dt.timedelta(hours=13), "12"),
    ):
        bad = _step(c, unit, {"status": "returning", "at": at.isoformat()})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "at", why


def test_two_cars_the_incident_closes_when_the_last_one_clears(city) -> None:
    c = city.client("command")
    incident = _intake(c, {**BODY, "priority": 1}).json()["id"]
    first, second = _send(c, incident), _send(c, incident)
    for unit in (first, second):
        assert _step(c, unit, {"status": "on_scene"}).status_code == 200
    _step(c, first, {"status": "available", "disposition": "street"})
    assert Incident.objects.get(pk=incident).status == "on_scene"  # the second car is there
    _step(c, second, {"status": "available", "disposition": "station", "note": "带回所里"})
    row = Incident.objects.get(pk=incident)
    assert (row.status, row.disposition) == ("closed", "station")
    assert _kinds(c, incident).count("cleared") == 2


def test_a_disposition_needs_a_car_on_scene(city) -> None:
    c = city.client("command")
    incident = _intake(c).json()["id"]
    unit = _send(c, incident)
    early = _step(c, unit, {"status": "available", "disposition": "street"})
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "disposition"
    assert Incident.objects.get(pk=incident).status == "dispatched"


def test_recall_puts_the_incident_back_for_another_car(city) -> None:
    c = city.client("command")
    incident = _intake(c).json()["id"]
    unit = _send(c, incident)
    back = _post(
        c, f"/api/v1/incidents/{incident}/recall", {"unit_id": unit, "reason": "改派更近车辆"}
    )
    assert back.status_code == 200, back.content
    assert back.json()["status"] == "received" and back.json()["units"] == []
    assert PatrolUnit.objects.get(pk=unit).status == "available"
    recalled = [s for s in back.json()["steps"] if s["kind"] == "recalled"]
    assert recalled and recalled[0]["note"] == "改派更近车辆"
    again = _send(c, incident)
    assert Incident.objects.get(pk=incident).status == "dispatched"
    other = str(uuid.uuid4())
    stray = _post(c, f"/api/v1/incidents/{incident}/recall", {"unit_id": other})
    assert stray.status_code == 422
    assert PatrolUnit.objects.get(pk=again).incident_id is not None


def test_cancel_needs_a_reason_frees_the_cars_and_is_left_out_of_street_handling(city) -> None:
    c = city.client("command")
    incident = _intake(c).json()["id"]
    unit = _send(c, incident)
    bare = _post(c, f"/api/v1/incidents/{incident}/cancel", {"reason": " "})
    assert bare.status_code == 422
    assert Incident.objects.get(pk=incident).status == "dispatched"
    done = _post(c, f"/api/v1/incidents/{incident}/cancel", {"reason": "重复报警"})
    assert done.status_code == 200 and done.json()["disposition"] == "cancelled"
    assert _kinds(c, incident)[-1] == "cancelled"
    assert PatrolUnit.objects.get(pk=unit).status == "available"
    again = _post(c, f"/api/v1/incidents/{incident}/cancel", {"reason": "重复报警"})
    assert again.status_code == 409
    # closed by the board with a note
    other = _intake(c).json()["id"]
    car = _send(c, other)
    _step(c, car, {"status": "on_scene"})
    closed = _post(
        c, f"/api/v1/incidents/{other}/close", {"disposition": "false_alarm", "note": "无警情"}
    )
    assert closed.status_code == 200 and closed.json()["note"] == "无警情"


def test_street_handling_leaves_out_false_alarms_and_cancellations() -> None:
    def facts(disposition: str) -> rules.IncidentFacts:
        at = dt.datetime(2026, 12, 5, 10)
        return rules.IncidentFacts(at, at, at, at, "dispute", 2, disposition, "")

    rows = [facts(d) for d in ("street", "station", "false_alarm", "cancelled", "non_police")]
    assert rules.street_handling(rows) == (1, 2, 0.5)


def test_an_officer_sees_only_the_incidents_of_the_car_he_rides(city) -> None:
    from precinct.identity.models import User

    c = city.client("command")
    incident = _intake(c).json()["id"]
    unit = _send(c, incident)
    elsewhere = _intake(c).json()["id"]
    car = PatrolUnit.objects.get(pk=unit)
    crew = User.objects.get(officer_id__in=car.crew.values("pk"))  # the car's crew login
    o = city.client(crew.username)
    mine = o.get(f"/api/v1/incidents/{incident}")
    assert mine.status_code == 200
    assert mine.json()["caller_phone"] == "138****1234"
    assert o.get(f"/api/v1/incidents/{elsewhere}").status_code == 404
    assert _post(o, f"/api/v1/incidents/{incident}/cancel", {"reason": "x"}).status_code == 403


def test_the_timeline_of_a_bulk_loaded_incident_is_read_from_its_record(city) -> None:
    c = city.client("command")
    old = (
        Incident.objects.filter(
            bureau_id=city.bureau_id, status="closed", on_scene_at__isnull=False
        )
        .exclude(disposition="non_police")
        .first()
    )
    kinds = _kinds(c, str(old.pk))
    assert kinds[0] == "received" and "dispatched" in kinds and kinds[-1] == "closed"


def test_a_retried_dispatch_is_answered_with_the_recorded_one(city) -> None:
    from precinct.command.models import Dispatch

    c = city.client("command")
    incident = _intake(c).json()["id"]
    unit = c.get(f"/api/v1/incidents/{incident}/recommendations").json()[0]["unit_id"]
    url = f"/api/v1/incidents/{incident}/dispatch"
    first = _post(c, url, {"unit_id": unit}, **{"Idempotency-Key": "d-1"})
    again = _post(c, url, {"unit_id": unit}, **{"Idempotency-Key": "d-1"})
    assert first.status_code == again.status_code == 201, again.content
    assert again.json() == first.json()
    assert Dispatch.objects.filter(incident_id=incident).count() == 1
    # without the key, the same press is a second dispatch of a taken car: refused
    taken = _post(c, url, {"unit_id": unit})
    assert taken.status_code == 409 and taken.json()["conflict"]["dispatcher"] == "command"
