"""The car crew's terminal (/crew/): the crew sees its car and the incident the centre sends it, the
caller masked; a step replayed with its Idempotency-Key is done once; the terminal installs as a
web app (manifest, service worker); an account without a car is told so; a crew moves only its
own car."""

import asyncio
import json
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib.staticfiles import finders
from django.test import Client

from precinct.command.models import IncidentEvent, PatrolUnit
from precinct.core import clock
from tests.integration.test_command import BODY as COMMAND_BODY
from tests.integration.test_command import _post

BODY = {**COMMAND_BODY, "caller_name": "王小明"}


def _send(city: Any, call_sign: str) -> tuple[dict[str, Any], PatrolUnit]:
    """The command centre takes a call and sends the car (with a reason: it need not be the
    first recommendation)."""
    command = city.client("command")
    made = _post(command, "/api/v1/incidents", BODY, **{"Idempotency-Key": str(uuid.uuid4())})
    assert made.status_code == 201, made.content
    incident = made.json()
    car = PatrolUnit.objects.get(bureau_id=city.bureau_id, call_sign=call_sign)
    sent = _post(
        command,
        f"/api/v1/incidents/{incident['id']}/dispatch",
        {"unit_id": str(car.pk), "reason": "车组终端测试"},
    )
    assert sent.status_code == 201, sent.content
    return incident, car


def _state(client: Client) -> Any:
    r = client.get("/crew/state.json")
    assert r.status_code == 200, r.content
    return r.json()["state"]


def test_each_car_has_a_crew_login_of_an_officer_who_rides_it(city) -> None:
    user = city.user("crew01")
    car = PatrolUnit.objects.get(bureau_id=city.bureau_id, call_sign="巡01")
    assert user.role == "officer" and user.first_name == "巡01车组"
    assert user.unit_id == car.unit_id
    assert car.crew.filter(pk=user.officer_id).exists()
    assert user.check_password("Hegang-Demo-2026!")
    assert city.user("crew48").officer_id != user.officer_id


def test_the_crew_sees_its_car_then_the_incident_the_centre_sends(city) -> None:
    crew = city.client("crew01")
    page = crew.get("/crew/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "巡01" in html and 'id="crew-state"' in html
    before = _state(crew)
    assert before["unit"]["call_sign"] == "巡01" and before["assignment"] is None
    assert before["shift"]["name"] in ("day", "night") and before["shift"]["crew"]

    incident, _car = _send(city, "巡01")

    after = _state(crew)
    assigned = after["assignment"]
    assert after["unit"]["status"] == "dispatched"
    assert assigned["id"] == incident["id"] and assigned["number"] == incident["number"]
    assert assigned["address"] == BODY["address"] and assigned["summary"] == BODY["summary"]
    assert (assigned["category"], assigned["priority"]) == ("dispute", 2)
    assert (assigned["lat"], assigned["lon"]) == (BODY["lat"], BODY["lon"])
    assert assigned["caller_phone"] == "138****1234"  # an officer sees the number masked
    assert assigned["caller_name"] == "王**"
    assert [s["kind"] for s in assigned["steps"]] == ["received", "dispatched"]
    html = crew.get("/crew/").content.decode()
    assert incident["number"] in html and "138****1234" in html
    assert "13845671234" not in html and "王小明" not in html
    # the incident itself, through the API, is masked for the crew too
    seen = crew.get(f"/api/v1/incidents/{incident['id']}").json()
    assert seen["caller_phone"] == "138****1234"


def test_the_stream_sends_the_crews_state(city) -> None:
    incident, _car = _send(city, "巡03")
    response = city.client("crew03").get("/crew/stream")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"

    async def first(n: int) -> list[str]:
        stream = aiter(response.streaming_content)
        try:
            return [(await anext(stream)).decode() for _ in range(n)]
        finally:
            await stream.aclose()

    # On the worker that also runs the browser tests, Playwright's sync API keeps its event loop
    # marked running in this thread, and async_to_sync refuses to start; the loop is idle while
    # this test runs (the test is synchronous), so it is set aside for the call.
    idle = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        retry, event = async_to_sync(first)(2)
    finally:
        asyncio._set_running_loop(idle)
    assert retry.startswith("retry:")
    head, data = event.split("\n", 1)
    assert head == "event: crew"
    state = json.loads(data.removeprefix("data: ").strip())
    assert state["unit"]["call_sign"] == "巡03"
    # the stream reads on its own connection, which may not see this test's uncommitted
    # dispatch (on the worker that runs the browser tests it does not): the assignment is
    # checked where the same snapshot is served on this connection
    same = city.client("crew03").get("/crew/state.json").json()["state"]
    assert (same["unit"]["id"], same["unit"]["call_sign"]) == (
        state["unit"]["id"],
        state["unit"]["call_sign"],
    )
    assert same["assignment"]["id"] == incident["id"]


def test_a_step_replayed_with_its_key_is_recorded_once(city) -> None:
    incident, car = _send(city, "巡01")
    crew = city.client("crew01")
    url = f"/api/v1/patrol-units/{car.pk}/status"
    step = {"status": "on_scene", "at": clock.now().isoformat()}  # when the crew pressed
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = _post(crew, url, step, **key)
    again = _post(crew, url, step, **key)  # the answer was lost: the terminal sends it again
    assert first.status_code == again.status_code == 200, (first.content, again.content)
    assert again.json() == first.json() and first.json()["status"] == "on_scene"
    kinds = IncidentEvent.objects.filter(incident_id=incident["id"], kind="on_scene")
    assert kinds.count() == 1
    assert _state(crew)["assignment"]["status"] == "on_scene"
    # 处置完毕 with the disposition closes the incident and frees the car
    cleared = _post(
        crew,
        url,
        {"status": "available", "disposition": "street"},
        **{"Idempotency-Key": str(uuid.uuid4())},
    )
    assert cleared.status_code == 200, cleared.content
    state = _state(crew)
    assert state["unit"]["status"] == "available" and state["assignment"] is None


def test_another_crew_cannot_move_the_car(city) -> None:
    _incident, car = _send(city, "巡01")
    other = city.client("crew02")
    assert _state(other)["unit"]["call_sign"] == "巡02"
    moved = _post(
        other,
        f"/api/v1/patrol-units/{car.pk}/status",
        {"status": "on_scene"},
        **{"Idempotency-Key": str(uuid.uuid4())},
    )
    assert moved.status_code == 404
    car.refresh_from_db()
    assert car.status == "dispatched"


def test_an_account_that_rides_no_car_is_told_so(city) -> None:
    for username in ("command", "officer"):
        client = city.client(username)
        page = client.get("/crew/")
        assert page.status_code == 200, username
        html = page.content.decode()
        assert 'id="crew-none"' in html and 'id="crew-state"' not in html
        assert client.get("/crew/state.json").json()["state"] is None
    assert city.client("leader").get("/crew/").status_code == 403  # not a terminal role


def test_the_navigation_offers_the_terminal_to_a_crew_only(city) -> None:
    assert 'href="/crew/"' in city.client("crew01").get("/").content.decode()
    assert 'href="/crew/"' not in city.client("officer").get("/").content.decode()
    assert 'href="/crew/"' not in city.client("command").get("/").content.decode()


def test_the_terminal_installs_as_a_web_app(city) -> None:
    anonymous = Client()  # a browser fetches the manifest without cookies
    got = anonymous.get("/crew/manifest.webmanifest")
    assert got.status_code == 200
    assert got["Content-Type"].startswith("application/manifest+json")
    manifest = got.json()
    assert manifest["start_url"] == manifest["scope"] == "/crew/"
    assert manifest["display"] == "standalone" and manifest["name"]
    sizes = {i["sizes"]: i["src"] for i in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for src in sizes.values():
        assert finders.find(src.removeprefix("/static/")), src  # committed, served locally
    worker = anonymous.get("/crew/sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/crew/"
    code = worker.content.decode()
    assert "precinct-crew-" in code and '"/crew/stream"' in code
    assert '"/static/precinct/crew.js"' in code and '"/static/vendor/leaflet/leaflet.js"' in code
    assert "http://" not in code and "https://" not in code  # nothing fetched off the machine
    page = city.client("crew01").get("/crew/").content.decode()
    assert 'rel="manifest" href="/crew/manifest.webmanifest"' in page
