"""Command and patrol through the API: idempotent intake, recommendations by road-network travel
time, dispatch that never sends one car twice, unit status moving the incident, closing."""

import datetime as dt
import itertools
import threading
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client

from precinct.command import services as command_services
from precinct.command.models import Dispatch, Incident, IntakeKey, PatrolUnit
from precinct.core import clock
from precinct.geo import rules as geo_rules
from precinct.geo import services as geo
from tests.integration.markers import RACES

BODY = {
    "category": "dispute",
    "priority": 2,
    "lat": 47.3499,
    "lon": 130.2977,
    "address": "向阳区红军路12号",
    "summary": "邻里纠纷，双方在楼道争吵",
    "caller_phone": "13845671234",
}


def _post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, body, content_type="application/json", headers=headers)


def _intake(client: Client, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
    return _post(
        client, "/api/v1/incidents", body or BODY, **{"Idempotency-Key": key or str(uuid.uuid4())}
    )


def test_the_demo_city_has_a_road_network_and_48_cars(city) -> None:
    graph = geo.graph_for(city.bureau_id)
    assert 45_000 <= graph.n_nodes <= 50_000
    assert PatrolUnit.objects.filter(bureau_id=city.bureau_id).count() == 48
    assert PatrolUnit.objects.filter(status="available").count() == 48


def test_intake_is_idempotent_by_key_and_body(city) -> None:
    c = city.client("command")
    before = Incident.objects.filter(bureau_id=city.bureau_id).count()  # the demo's history
    first = _intake(c, key="k-1")
    assert first.status_code == 201, first.content
    again = _intake(c, key="k-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    reordered = dict(reversed(list(BODY.items())))
    assert _intake(c, reordered, key="k-1").json()["id"] == first.json()["id"]
    other = _intake(c, {**BODY, "priority": 1}, key="k-1")
    assert other.status_code == 409
    assert other.json()["conflict"]["field"] == "Idempotency-Key"
    assert Incident.objects.filter(bureau_id=city.bureau_id).count() == before + 1
    listed = c.get("/api/v1/incidents?limit=5").json()
    assert len(listed) == 5 and listed[0]["id"] == first.json()["id"]  # newest first
    assert listed[0]["status"] == "received" and listed[0]["received_at"]
    assert listed[0]["caller_phone"] == "13845671234"
    assert listed[0]["number"].startswith("JQ")


def test_the_callers_number_stays_out_of_the_audit_log(city) -> None:
    from precinct.identity.models import AuditEntry

    made = _intake(city.client("command")).json()
    entries = AuditEntry.objects.filter(object_id=made["id"])
    assert entries.exists()
    assert all("13845671234" not in str(e.detail) for e in entries)


def test_intake_refuses_bad_input_and_a_missing_key(city) -> None:
    c = city.client("command")
    before = (Incident.objects.count(), IntakeKey.objects.count())
    missing = _post(c, "/api/v1/incidents", BODY)
    assert missing.status_code == 422
    bad = _intake(c, {**BODY, "priority": 9, "lat": 200})
    assert bad.status_code == 422
    fields = str(bad.json())
    assert "priority" in fields and "lat" in fields
    assert (Incident.objects.count(), IntakeKey.objects.count()) == before


def test_only_command_roles_see_the_callers_number(city) -> None:
    made = _intake(city.client("command")).json()
    station = Incident.objects.get(pk=made["id"]).station
    assert station is not None  # the zone's station answers for it
    seen = city.client("leader").get("/api/v1/incidents").json()
    assert seen[0]["caller_phone"] == "138****1234"
    assert city.client("officer").get("/api/v1/incidents").status_code == 403
    assert _intake(city.client("leader")).status_code == 403


def test_recommendations_rank_available_cars_by_exact_travel_time(city) -> None:
    c = city.client("command")
    incident = _intake(c).json()
    got = c.get(f"/api/v1/incidents/{incident['id']}/recommendations").json()
    assert len(got) == 5 and got[0]["why"][0] == "最近的空闲车组"  # in the user's language
    assert all("slower" not in w and "秒" in w for w in got[1]["why"][:1])
    # the same ranking by brute force: one shortest path per car, over the whole routing graph
    # with the car's rules, at the local hour with the learned traffic factors
    from precinct.geo import traffic

    graph = geo.graph_for(city.bureau_id)
    hour = clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)).hour
    factors = traffic.factors_for(city.bureau_id, graph.digest())
    assert factors is not None  # the demo learned one from its pings
    target = geo_rules.snap(graph, BODY["lon"], BODY["lat"])
    times = []
    for u in PatrolUnit.objects.filter(status="available"):
        start = geo_rules.snap(graph, u.lon, u.lat, role="start")
        network = geo_rules.times_from(graph, start.node, hour=hour, factors=factors)[target.node]
        seconds = (
            geo_rules.access_seconds(start.distance_m)
            + network
            + geo_rules.access_seconds(target.distance_m)
        )
        times.append((round(seconds, 1), u.call_sign))
    times.sort()
    assert [(r["eta_seconds"], r["call_sign"]) for r in got] == times[:5]
    assert all(a["eta_seconds"] <= b["eta_seconds"] for a, b in itertools.pairwise(got))


def test_dispatch_sends_a_car_once_and_the_second_dispatcher_hears_who_has_it(city) -> None:
    c = city.client("command")
    one = _intake(c).json()
    two = _intake(c, {**BODY, "summary": "另一起"}).json()
    ranked = c.get(f"/api/v1/incidents/{one['id']}/recommendations").json()
    second = ranked[1]["unit_id"]
    no_reason = _post(c, f"/api/v1/incidents/{one['id']}/dispatch", {"unit_id": second})
    assert no_reason.status_code == 422 and "reason" in str(no_reason.json())
    sent = _post(c, f"/api/v1/incidents/{one['id']}/dispatch", {"unit_id": ranked[0]["unit_id"]})
    assert sent.status_code == 201, sent.content
    assert sent.json()["rank"] == 1 and sent.json()["dispatcher"] == "command"
    taken = _post(
        c,
        f"/api/v1/incidents/{two['id']}/dispatch",
        {"unit_id": ranked[0]["unit_id"], "reason": "顺路"},
    )
    assert taken.status_code == 409
    conflict = taken.json()["conflict"]
    assert conflict["dispatcher"] == "command" and conflict["incident"] == one["number"]
    assert Incident.objects.get(pk=one["id"]).status == "dispatched"
    # the car is no longer recommended for the next incident
    again = c.get(f"/api/v1/incidents/{two['id']}/recommendations").json()
    assert ranked[0]["unit_id"] not in [r["unit_id"] for r in again]


def test_unit_status_moves_the_incident_and_closing_frees_the_car(city) -> None:
    c = city.client("command")
    incident = _intake(c).json()
    unit = c.get(f"/api/v1/incidents/{incident['id']}/recommendations").json()[0]["unit_id"]
    _post(c, f"/api/v1/incidents/{incident['id']}/dispatch", {"unit_id": unit})
    early = _post(c, f"/api/v1/incidents/{incident['id']}/close", {"disposition": "street"})
    assert early.status_code == 422  # handled on the street needs a unit on scene
    assert (
        _post(c, f"/api/v1/patrol-units/{unit}/status", {"status": "en_route"}).status_code == 200
    )
    assert Incident.objects.get(pk=incident["id"]).status == "acknowledged"
    assert (
        _post(c, f"/api/v1/patrol-units/{unit}/status", {"status": "on_scene"}).status_code == 200
    )
    row = Incident.objects.get(pk=incident["id"])
    assert row.status == "on_scene" and row.on_scene_at >= row.acknowledged_at
    bad = _post(c, f"/api/v1/patrol-units/{unit}/status", {"status": "dispatched"})
    assert bad.status_code == 409
    closed = _post(c, f"/api/v1/incidents/{incident['id']}/close", {"disposition": "street"})
    assert closed.status_code == 200 and closed.json()["disposition"] == "street"
    car = PatrolUnit.objects.get(pk=unit)
    assert car.status == "available" and car.incident_id is None
    assert Dispatch.objects.get(incident_id=incident["id"]).cleared_at is not None


def test_an_incident_or_a_car_off_the_network_is_flagged_and_never_given_a_straight_line_eta(
    city,
) -> None:
    c = city.client("command")
    graph = geo.graph_for(city.bureau_id)
    west, south, east, _north = graph.bounds()
    # 5 km south of the network's southern edge: no road within 300 m
    far = dict(BODY, lon=(west + east) / 2, lat=south - 0.045)
    incident = _intake(c, far).json()
    assert incident["off_network"] is True and incident["network_m"] > 4000
    near = _intake(c).json()
    assert near["off_network"] is False and near["network_m"] < 300
    assert c.get(f"/api/v1/incidents/{incident['id']}/recommendations").json() == []
    listed = {i["id"]: i for i in c.get("/api/v1/incidents").json()}
    assert listed[incident["id"]]["off_network"] and not listed[near["id"]]["off_network"]
    # a car that reports from off the network is flagged and not ranked
    car = PatrolUnit.objects.filter(bureau_id=city.bureau_id).order_by("call_sign").first()
    ranked = c.get(f"/api/v1/incidents/{near['id']}/recommendations").json()
    ping = _post(
        c,
        f"/api/v1/patrol-units/{car.pk}/position",
        {"lon": (west + east) / 2, "lat": south - 0.045, "at": clock.now().isoformat()},
    )
    assert ping.status_code == 204
    units = {u["call_sign"]: u for u in c.get("/api/v1/patrol-units").json()}
    assert units[car.call_sign]["off_network"] is True
    assert sum(u["off_network"] for u in units.values()) == 1
    again = c.get(f"/api/v1/incidents/{near['id']}/recommendations").json()
    assert car.call_sign not in {r["call_sign"] for r in again}
    assert ranked  # the others still are
    # and the board says so
    snapshot = command_services.board(city.scope("command"), now=clock.now())
    flagged = {i["id"] for i in snapshot["incidents"] if i["off_network"]}
    assert incident["id"] in flagged and near["id"] not in flagged
    assert [u["call_sign"] for u in snapshot["units"] if u["off_network"]] == [car.call_sign]


def test_a_crew_officer_moves_only_their_own_car(city) -> None:
    from precinct.identity.models import User

    car = PatrolUnit.objects.filter(bureau_id=city.bureau_id).order_by("call_sign").first()
    other = PatrolUnit.objects.exclude(pk=car.pk).order_by("call_sign").first()
    crew = User.objects.get(officer_id__in=car.crew.values("pk"))  # the car's crew login
    assert crew.username == "crew01"
    c = city.client(crew.username)
    assert (
        _post(c, f"/api/v1/patrol-units/{car.pk}/status", {"status": "off_duty"}).status_code == 200
    )
    assert (
        _post(c, f"/api/v1/patrol-units/{other.pk}/status", {"status": "off_duty"}).status_code
        == 404
    )
    now = clock.now()
    ping = _post(
        c,
        f"/api/v1/patrol-units/{car.pk}/position",
        {"lon": 130.3, "lat": 47.36, "at": (now - dt.timedelta(minutes=1)).isoformat()},
    )
    assert ping.status_code == 204
    stale = _post(
        c,
        f"/api/v1/patrol-units/{car.pk}/position",
        {"lon": 130.1, "lat": 47.1, "at": (now - dt.timedelta(hours=1)).isoformat()},
    )
    assert stale.status_code == 204
    car.refresh_from_db()
    assert (car.lon, car.lat) == (130.3, 47.36)  # the older ping did not win
    # a terminal with its clock a year ahead would have frozen the car there (found by fuzzing)
    ahead = _post(
        c,
        f"/api/v1/patrol-units/{car.pk}/position",
        {"lon": 130.2, "lat": 47.2, "at": (now + dt.timedelta(days=365)).isoformat()},
    )
    assert ahead.status_code == 422 and ahead.json()["errors"][0]["field"] == "at", ahead.content
    car.refresh_from_db()
    assert (car.lon, car.lat) == (130.3, 47.36)


# --- concurrency: real connections, one per thread ---------------------------------------------
def _race(n: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@RACES
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_intakes_with_one_key_make_one_incident(tiny) -> None:
    user = tiny.user("command")
    before = Incident.objects.filter(bureau_id=tiny.bureau_id).count()

    def work(_i: int) -> tuple[int, str]:
        c = Client()
        c.force_login(user)
        r = _intake(c, key="the-one-key")
        return r.status_code, r.json().get("id", "")

    results = _race(50, work)
    assert all(isinstance(r, tuple) for r in results), results
    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1 and codes.count(200) == 49
    assert len({i for _, i in results}) == 1
    assert Incident.objects.filter(bureau_id=tiny.bureau_id).count() == before + 1


@RACES
@pytest.mark.django_db(transaction=True)
def test_parallel_intakes_with_their_own_keys_get_their_own_numbers(tiny) -> None:
    user = tiny.user("command")

    def work(i: int) -> tuple[int, str]:
        c = Client()
        c.force_login(user)
        r = _intake(c, {**BODY, "summary": f"并发{i}"}, key=f"own-key-{i}")
        return r.status_code, r.json().get("number", "")

    results = _race(30, work)
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(code for code, _ in results) == [201] * 30
    assert len({n for _, n in results}) == 30


@RACES
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_dispatches_of_one_car_send_it_once(tiny) -> None:
    user = tiny.user("command")
    c = Client()
    c.force_login(user)
    incidents = [_intake(c, {**BODY, "summary": f"警情{i}"}).json()["id"] for i in range(50)]
    car = tiny.cars[0]

    def work(i: int) -> int:
        client = Client()
        client.force_login(user)
        r = _post(
            client,
            f"/api/v1/incidents/{incidents[i]}/dispatch",
            {"unit_id": str(car.pk), "reason": "测试"},
        )
        return r.status_code

    results = _race(50, work)
    assert sorted(results) == [201] + [409] * 49, results
    assert Dispatch.objects.filter(patrol_unit=car, incident_id__in=incidents).count() == 1
    car.refresh_from_db()
    assert car.status == "dispatched"


def test_the_replay_takes_dispatches_drives_and_closes_through_the_services(
    city, monkeypatch
) -> None:
    """Two simulated hours of the demo evening (a fake wall clock: the test does not wait). The
    bureau's clock follows the fake wall from yesterday's 20:00: the calls come at the evening's
    rate whatever the hour the test runs (at 04:00 the night's rate made too few calls)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from precinct.core import clock
    from precinct.demo.replay import replay
    from precinct.identity import services as identity

    fake = [0.0]

    def sleep(s: float) -> None:
        fake[0] += s

    yesterday = clock.today(settings.TIME_ZONE) - dt.timedelta(days=1)
    evening = dt.datetime.combine(yesterday, dt.time(20, 0), ZoneInfo(settings.TIME_ZONE))
    monkeypatch.setattr(clock, "now", lambda: evening + dt.timedelta(seconds=fake[0]))

    scope = identity.scope_for_username("command")
    with identity.acting_as(identity.Actor(username="command", role="system")):
        stats = replay(
            scope=scope, speed=1.0, seconds=2 * 3600, seed=3, wall=lambda: fake[0], sleep=sleep
        )
    assert stats.calls >= 5 and stats.errors == []
    assert 0 < stats.closed <= stats.calls and stats.dispatched >= stats.on_scene > 0
    made = Incident.objects.filter(received_by=str(scope.user_id))
    assert made.count() == stats.calls
    sent = Dispatch.objects.filter(dispatcher="replay")
    assert sent.count() == stats.dispatched
    # every car still out is on exactly one open incident, and closed ones freed their cars
    for car in PatrolUnit.objects.exclude(incident=None):
        assert car.status in ("dispatched", "en_route", "on_scene")
        assert Incident.objects.get(pk=car.incident_id).status != "closed"
    assert not made.filter(status="closed", disposition="").exists()


def test_figures_follow_the_definitions_on_the_demo_history(city) -> None:
    import datetime as dt
    import io
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    from precinct.command import services

    tz = ZoneInfo("Asia/Shanghai")
    first, last = city.today - dt.timedelta(days=20), city.today
    f = services.figures(city.scope("command"), first=first, last=last, tz=tz)
    rows = Incident.objects.filter(
        received_at__gte=dt.datetime.combine(first, dt.time(0), tzinfo=tz),
        received_at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )
    police = rows.exclude(disposition="non_police").exclude(closed_at=None)
    assert f.incidents == rows.count() > 500  # three weeks of about 180 a day
    assert f.street == (
        police.filter(disposition="street").count(),
        police.count(),
        police.filter(disposition="street").count() / police.count(),
    )
    assert 0.5 < f.street[2] < 0.9
    assert len(f.coverage) == 24 and all(c["mean"] <= f.cars for c in f.coverage)
    assert set(f.by_priority) == {1, 2, 3}
    # a unit chief sees their station's incidents only
    chief = services.figures(city.scope("chief"), first=first, last=last, tz=tz)
    station = city.user("chief").unit_id
    assert chief.incidents == rows.filter(station_id=station).count() < f.incidents
    # the Excel export carries the same figures
    c = city.client("command")
    got = c.get(f"/command/figures.xlsx?from={first}&to={last}")
    assert got.status_code == 200
    wb = load_workbook(io.BytesIO(got.content))
    summary = {r[0].value: r[1].value for r in wb.worksheets[0].iter_rows()}
    assert f.incidents in summary.values() and round(f.street[2] * 100, 1) in summary.values()
    assert len(wb.worksheets) == 7
    page = c.get(f"/command/figures/?from={first}&to={last}")
    assert page.status_code == 200 and b'data-chart="series"' in page.content


def test_a_real_osm_extract_becomes_the_bureaus_network(city, tmp_path) -> None:
    from django.core.management import call_command

    from precinct.org.models import Bureau
    from tests.unit.geo.test_rules import _write_pbf

    # a bureau of its own: the demo's Hegang bureau would refuse a town that does not cover it
    town = Bureau.objects.create(code="TOWN", name="测试镇公安局")
    path = tmp_path / "town.osm.pbf"
    _write_pbf(str(path))
    call_command("network", "load", str(path), "--name", "旧路网", "--bureau", "TOWN")
    before = geo.active_info(town.pk)
    call_command("network", "load", str(path), "--name", "测试镇", "--bureau", "TOWN")
    after = geo.active_info(town.pk)
    assert after.name == "测试镇" and after.source == "osm" and after.nodes == 6
    assert geo.graph_for(town.pk).n_nodes == 6
    assert not type(before).objects.get(pk=before.pk).active  # the old one is kept, inactive
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"nonsense")
    with pytest.raises(SystemExit) as exit_info:
        call_command("network", "load", str(bad), "--bureau", "TOWN")
    assert exit_info.value.code == 2
    assert geo.active_info(town.pk).pk == after.pk  # nothing half-installed


def test_the_post_plan_covers_at_least_what_the_cars_cover_now(city) -> None:
    from precinct.core import clock
    from precinct.planning import services as planning

    plan = planning.post_plan(
        bureau_id=city.bureau_id, cars=12, minutes=3, days=30, candidates=120, now=clock.now(),
        replay=True,
    )  # fmt: skip
    assert plan.incidents > 100 and len(plan.optimised_posts) == 12 and len(plan.curve) == 12
    assert plan.curve == sorted(plan.curve)
    # 12 chosen posts against the 25 the 48 cars stand at now: fewer posts, placed for the demand
    assert plan.current_posts == 25
    assert 0 < plan.optimised_covered <= 1 and plan.optimised_mean_minutes > 0
    now, best = plan.current_outcome, plan.optimised_outcome
    assert now is not None and best is not None and now.calls == best.calls > 100
    assert len(now.workload) == 48 and len(best.workload) == 12  # cars as they stand; one a post
    assert 0 <= best.within_5 <= best.within_10 <= 1
    # the day shift's and the night shift's incidents planned apart
    assert set(plan.curve_by_shift) == {"day", "night"}
    assert all(c == sorted(c) and len(c) == 12 for c in plan.curve_by_shift.values())
    assert planning.cars_needed([0.3, 0.65, 0.72, 0.9], 0.7) == 3
    assert planning.cars_needed([0.3, 0.5], 0.7) is None


def test_every_car_has_its_crew_on_the_shift_now(city) -> None:
    from precinct.command.models import CrewShift

    cars = city.client("command").get("/api/v1/patrol-units").json()
    assert len(cars) == 48 and all(len(c["crew"]) == 1 for c in cars)
    assert len({c["crew"][0] for c in cars}) == 48  # nobody in two cars at once
    # a week ahead is rostered, day and night, from the brigade and seconded officers
    assert CrewShift.objects.filter(bureau_id=city.bureau_id).count() == 48 * 2 * 8


def test_fewer_cars_at_night_show_in_the_replay(city) -> None:
    from precinct.core import clock
    from precinct.planning import services as planning

    def plan(night_cars):
        return planning.post_plan(
            bureau_id=city.bureau_id, cars=12, minutes=3, days=7, candidates=80, now=clock.now(),
            replay=True, night_cars=night_cars,
        )  # fmt: skip

    full, thin = plan(None), plan(1)
    assert thin.current_outcome.calls == full.current_outcome.calls
    # one car on the night shift: calls wait for it, and the slowest answers get slower
    assert thin.current_outcome.waited > full.current_outcome.waited
    assert thin.current_outcome.response_p90 > full.current_outcome.response_p90
    assert thin.optimised_outcome.waited > full.optimised_outcome.waited


def test_a_station_chief_watches_the_cars_of_his_area_and_cannot_move_them(city) -> None:
    """The cars belong to the patrol brigade; a station chief's board showed none (issue 16)."""
    from precinct.command.models import PatrolZone

    chief = city.user("chief")
    mine = set(
        PatrolZone.objects.filter(station__path__startswith=chief.unit.path).values_list(
            "name", flat=True
        )
    )
    c = city.client("chief")
    cars = c.get("/api/v1/patrol-units").json()
    assert cars and {car["zone"] for car in cars} <= mine  # his area's cars, and only those
    assert len(cars) < PatrolUnit.objects.filter(bureau_id=city.bureau_id).count()
    board = c.get("/command/board.json")
    assert board.status_code == 200
    moved = _post(c, f"/api/v1/patrol-units/{cars[0]['id']}/status", {"status": "off_duty"})
    assert moved.status_code == 403  # watching, not moving


def test_the_address_register_suggests_as_the_dispatcher_types(city) -> None:
    from precinct.command.models import AddressPoint

    assert AddressPoint.objects.filter(bureau_id=city.bureau_id).count() > 1000  # the demo's
    c = city.client("command")
    got = c.get("/api/v1/addresses", {"q": "红军路1"}).json()
    assert 0 < len(got) <= 10
    assert all(a["street"] == "红军路" and a["number"].startswith("1") for a in got)
    assert got[0]["number"] == "1" and got[0]["label"] == "红军路1号"  # the whole number first
    exact = c.get("/api/v1/addresses", {"q": "红军路12号"}).json()[0]
    point = AddressPoint.objects.get(bureau_id=city.bureau_id, street="红军路", number="12")
    assert (exact["lon"], exact["lat"]) == (point.lon, point.lat)
    assert c.get("/api/v1/addresses", {"q": ""}).json() == []
    assert city.client("officer").get("/api/v1/addresses", {"q": "红军路"}).status_code == 403


def test_a_register_import_is_all_or_nothing(city) -> None:
    from precinct.command import services
    from precinct.command.models import AddressPoint
    from precinct.common import transactions
    from precinct.core.errors import PermissionDenied, ValidationFailed

    scope = city.scope("command")
    before = AddressPoint.objects.filter(bureau_id=city.bureau_id).count()
    bad = "街路巷,门牌号,经度,纬度\n新街,1,130.3,47.35\n新街,2,130.3,north\n".encode()
    with pytest.raises(ValidationFailed) as exc, transactions.entry():
        services.import_register(scope, bad, filename="register.csv")
    assert [(e.row, e.field) for e in exc.value.errors] == [(3, "lat")]
    assert AddressPoint.objects.filter(bureau_id=city.bureau_id).count() == before
    good = "\ufeff街路巷,门牌号,经度,纬度\n新街,1,130.3,47.35\n新街,2号,130.31,47.36\n".encode()
    with transactions.entry():
        assert services.import_register(scope, good, filename="register.csv") == 2
    assert sorted(
        AddressPoint.objects.filter(bureau_id=city.bureau_id).values_list("street", "number")
    ) == [("新街", "1"), ("新街", "2")]
    with pytest.raises(PermissionDenied):
        services.import_register(city.scope("chief"), good, filename="register.csv")


def test_the_register_is_imported_from_the_command_line(city, tmp_path, capsys) -> None:
    from django.core.management import call_command

    from precinct.command.models import AddressPoint

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "街路巷,门牌号,经度,纬度\n新街,1,130.3,47.35\n,2,130.3,47.35\n", encoding="utf-8"
    )
    before = AddressPoint.objects.filter(bureau_id=city.bureau_id).count()
    with pytest.raises(SystemExit) as stop:
        call_command("network", "addresses", str(bad))
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Row 3 · Street:" in err and "nothing was saved" in err
    assert AddressPoint.objects.filter(bureau_id=city.bureau_id).count() == before
    good = tmp_path / "good.csv"
    good.write_text("街路巷,门牌号,经度,纬度\n新街,1,130.3,47.35\n", encoding="utf-8")
    call_command("network", "addresses", str(good))
    assert "1 address(es) in the register" in capsys.readouterr().out
    assert AddressPoint.objects.filter(bureau_id=city.bureau_id).count() == 1


def test_positions_in_gcj02_and_bd09_are_stored_in_wgs84(city) -> None:
    """Issue 19 item 3: a 110 platform that sends GCJ-02 (Chinese web maps) placed its incidents
    about 650 m off at Hegang; the API takes the system named and stores WGS-84."""
    from precinct.geo.rules import crs

    wgs = (BODY["lon"], BODY["lat"])
    c = city.client("command")
    gcj = crs.from_wgs84(*wgs, "gcj02")
    made = _intake(c, {**BODY, "lon": gcj[0], "lat": gcj[1], "crs": "gcj02"})
    assert made.status_code == 201, made.content
    assert made.json()["crs"] == "wgs84"
    stored = Incident.objects.get(pk=made.json()["id"])
    assert crs.distance_m(wgs, (stored.lon, stored.lat)) < 0.5
    plain = _intake(c, BODY)  # no crs: WGS-84 as before
    assert (plain.json()["lon"], plain.json()["lat"]) == wgs
    refused = _intake(c, {**BODY, "crs": "mercator"})
    assert refused.status_code == 422

    car = PatrolUnit.objects.filter(bureau_id=city.bureau_id).order_by("call_sign").first()
    bd = crs.from_wgs84(130.3, 47.36, "bd09")
    ping = _post(
        city.client("crew01"),
        f"/api/v1/patrol-units/{car.pk}/position",
        {"lon": bd[0], "lat": bd[1], "crs": "bd09"},
    )
    assert ping.status_code == 204
    car.refresh_from_db()
    assert crs.distance_m((130.3, 47.36), (car.lon, car.lat)) < 0.5


def test_a_register_drawn_on_a_chinese_web_map_is_stored_in_wgs84(city, tmp_path, capsys) -> None:
    """Issue 19 item 3: the address register says which coordinate system its file uses."""
    from django.core.management import call_command

    from precinct.command.models import AddressPoint
    from precinct.geo.rules import crs

    lon, lat = crs.from_wgs84(130.3, 47.35, "gcj02")
    register = tmp_path / "gcj.csv"
    register.write_text(f"街路巷,门牌号,经度,纬度\n新街,1,{lon:.7f},{lat:.7f}\n", encoding="utf-8")
    call_command("network", "addresses", str(register), "--crs", "gcj02")
    assert "converted from gcj02 to wgs84" in capsys.readouterr().out
    point = AddressPoint.objects.get(bureau_id=city.bureau_id, street="新街")
    assert crs.distance_m((130.3, 47.35), (point.lon, point.lat)) < 0.5
    with pytest.raises(SystemExit) as stop:
        call_command("network", "addresses", str(register), "--crs", "mercator")
    assert stop.value.code == 2 and "--crs must be one of" in capsys.readouterr().err
