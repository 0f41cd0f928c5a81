"""Traffic profiles through the services: demo-like pings stored, a profile learned from them and
read by the engine's call (cached, a new profile seen at once), learning audited as one entry and
pings not at all, the old pings purged, a car's position ping kept, and the command line's table."""

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from precinct.core import clock
from precinct.core.scoping import account_scope
from precinct.demo import pings as demo_pings
from precinct.geo import rules as g
from precinct.geo import services as geo
from precinct.geo import traffic
from precinct.geo.models import TrackPoint, TrafficProfile
from precinct.identity.models import AuditEntry
from precinct.org import services as org
from tests.factories import tiny_bureau

C = g.RoadClass
NOW = dt.datetime(2026, 3, 10, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
CODE = "TRAFFIC-TEST"


@pytest.fixture
def town(db: Any) -> Iterator[tuple[uuid.UUID, g.RoadGraph]]:
    bureau = org.create_bureau(code=CODE, name="路况测试局")
    graph = g.synthetic_city(seed=3, rows=60, cols=60)
    geo.install(bureau_id=bureau.pk, graph=graph, name="测试路网", source="synthetic")
    yield bureau.pk, graph
    traffic.forget()


def _load(
    bureau_id: uuid.UUID,
    graph: g.RoadGraph,
    *,
    days: float = 3,
    cars: int = 16,
    end: dt.datetime = NOW,
) -> int:
    rng = np.random.default_rng(5)
    posts = [int(x) for x in rng.integers(0, graph.n_nodes, cars)]
    made = demo_pings.generate(graph, posts=posts, end=end, days=days, seed=11)
    return traffic.load_pings(
        bureau_id=bureau_id,
        vehicles=[uuid.uuid4() for _ in range(cars)],
        vehicle=made.car,
        t=made.t,
        lon=made.lon,
        lat=made.lat,
        seed=1,
    )


def test_a_profile_learned_from_the_fleets_pings_is_what_the_engine_reads(
    town: tuple[uuid.UUID, g.RoadGraph], django_assert_num_queries: Any
) -> None:
    bureau_id, graph = town
    n = _load(bureau_id, graph)
    assert n > 10_000 and TrackPoint.objects.filter(bureau_id=bureau_id).count() == n
    assert not AuditEntry.objects.filter(object_type="geo.trackpoint").exists()
    assert traffic.factors_for(bureau_id, graph.digest()) is None  # none yet: free flow

    first = traffic.learn_profile(bureau_id, now=NOW)
    factors = traffic.factors_for(bureau_id, graph.digest())
    assert factors is not None and factors.shape == (24, len(C))
    assert factors[17, C.PRIMARY] == pytest.approx(1.6, abs=0.1)
    assert factors[17, C.RESIDENTIAL] == pytest.approx(1.3, abs=0.1)
    assert factors[3, C.PRIMARY] == pytest.approx(1.0, abs=0.05)
    assert np.allclose(factors, np.array(first.factors))
    assert first.network_digest == graph.digest() and first.learned_at == NOW
    assert sum(map(sum, first.samples)) > 5000
    with django_assert_num_queries(0):  # the engine's every call: no query, the same array
        assert traffic.factors_for(bureau_id, graph.digest()) is factors
    assert traffic.factors_for(bureau_id, "another network") is None
    with pytest.raises(ValueError):
        factors[0, 0] = 2.0  # shared by every caller: read-only

    # learned again from the last day only: the new one is active at once, the old one kept
    second = traffic.learn_profile(bureau_id, now=NOW, days=1)
    assert list(TrafficProfile.objects.filter(bureau_id=bureau_id, active=True)) == [second]
    assert TrafficProfile.objects.filter(bureau_id=bureau_id).count() == 2
    again = traffic.factors_for(bureau_id, graph.digest())
    assert again is not factors and np.allclose(again, np.array(second.factors))  # type: ignore[arg-type]
    entries = AuditEntry.objects.filter(object_type="geo.trafficprofile", action="create")
    mine = entries.filter(object_id__in=[str(first.pk), str(second.pk)])
    assert mine.count() == 2  # one entry a learning, with its figures
    assert not AuditEntry.objects.filter(object_type="geo.trackpoint").exists()


def test_purge_drops_the_old_pings_only(town: tuple[uuid.UUID, g.RoadGraph]) -> None:
    bureau_id, graph = town
    n = _load(bureau_id, graph, days=2, cars=4)
    cut = NOW - dt.timedelta(days=1)
    older = TrackPoint.objects.filter(bureau_id=bureau_id, at__lt=cut).count()
    assert 0 < older < n
    assert traffic.purge(bureau_id, before=cut) == older
    assert TrackPoint.objects.filter(bureau_id=bureau_id).count() == n - older
    assert not TrackPoint.objects.filter(bureau_id=bureau_id, at__lt=cut).exists()
    assert not AuditEntry.objects.filter(object_type="geo.trackpoint").exists()


def test_a_cars_position_ping_is_kept_for_learning(db: Any) -> None:
    from precinct.command import services as command

    tiny = tiny_bureau(cars=1)
    scope = account_scope(tiny.user("command").username)
    now = clock.now()
    car = tiny.cars[0]
    for seconds, dx in ((60, 0.0), (30, 0.002)):
        command.record_position(
            scope, car.pk, lon=car.lon + dx, lat=car.lat, at=now - dt.timedelta(seconds=seconds), now=now
        )  # fmt: skip
    kept = list(TrackPoint.objects.filter(bureau_id=tiny.bureau_id).order_by("at"))
    assert [(p.vehicle, p.lon) for p in kept] == [(car.pk, car.lon), (car.pk, car.lon + 0.002)]
    assert not AuditEntry.objects.filter(object_type="geo.trackpoint").exists()


def test_the_command_line_learns_and_shows_the_table(
    town: tuple[uuid.UUID, g.RoadGraph], capsys: pytest.CaptureFixture[str]
) -> None:
    bureau_id, graph = town
    with pytest.raises(SystemExit):
        call_command("traffic", "show", "--bureau", CODE)
    assert "no traffic profile yet" in capsys.readouterr().out
    # `learn` reads the days before now; the rush hours are the bureau's zone's
    _load(bureau_id, graph, days=3, end=clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)))
    call_command("traffic", "learn", "--bureau", CODE)
    assert "matched moves" in capsys.readouterr().out
    call_command("traffic", "show", "--bureau", CODE)
    out = capsys.readouterr().out
    assert "主干路" in out and "街巷" in out and "时段" in out
    rows = [line for line in out.splitlines() if line.strip("│ ").startswith(("03:00", "17:00"))]
    assert len(rows) == 2
    night, rush = ([cell.strip() for cell in row.split("│") if cell.strip()] for row in rows)
    assert float(night[1 + C.PRIMARY]) == pytest.approx(1.0, abs=0.05)
    assert float(rush[1 + C.PRIMARY]) == pytest.approx(1.6, abs=0.1)
    assert rush[1 + C.MOTORWAY].endswith("*")  # no motorway in the town: the hour's figure
    with pytest.raises(SystemExit):
        call_command("traffic", "show", "--bureau", "NO-SUCH-BUREAU")


def test_the_demo_loader_stores_pings_and_learns_the_rush_in_the_bureaus_hours(db: Any) -> None:
    tiny = tiny_bureau(cars=4)
    graph = geo.graph_for(tiny.bureau_id)
    end = NOW.astimezone(dt.UTC)  # the demo command's clock is UTC: the rush is still local
    n = demo_pings.load(bureau_id=tiny.bureau_id, graph=graph, end=end, seed=1)
    assert n == TrackPoint.objects.filter(bureau_id=tiny.bureau_id).count() > 5000
    cars = {c.pk for c in tiny.cars}
    assert set(TrackPoint.objects.filter(bureau_id=tiny.bureau_id).values_list("vehicle", flat=True)) == cars  # fmt: skip
    profile = traffic.active_profile(tiny.bureau_id)
    assert profile is not None and profile.learned_at == end
    factors = traffic.factors_for(tiny.bureau_id, graph.digest())
    assert factors is not None
    # the tiny town's cars drive mostly its ring road (trunk: 1.4 in the rush)
    assert (
        min(profile.samples[8][C.TRUNK], profile.samples[17][C.TRUNK]) >= traffic.rules.MIN_SAMPLES
    )
    assert factors[8, C.TRUNK] == pytest.approx(1.4, abs=0.1)
    assert factors[17, C.TRUNK] == pytest.approx(1.4, abs=0.1)
    assert factors[3].max() <= 1.05
    traffic.forget()


def test_the_nightly_job_purges_old_pings_and_learns_again(
    town: tuple[uuid.UUID, g.RoadGraph],
) -> None:
    from precinct.geo.jobs import learn_traffic
    from precinct.jobs.services import Work

    bureau_id, graph = town
    now = clock.now().astimezone(ZoneInfo(settings.TIME_ZONE))
    _load(bureau_id, graph, days=2, cars=8, end=now)
    _load(bureau_id, graph, days=1, cars=2, end=now - dt.timedelta(days=traffic.KEEP_DAYS + 1))
    old = TrackPoint.objects.filter(
        bureau_id=bureau_id, at__lt=now - dt.timedelta(days=traffic.KEEP_DAYS)
    ).count()
    assert old > 0
    work = Work(job_id=uuid.uuid4(), bureau_id=bureau_id, params={}, username="", attempt=1)
    learn_traffic(work)
    assert work.result["learned"] == 1 and work.result["purged"] == old
    profile = traffic.active_profile(bureau_id)
    assert profile is not None and profile.network_digest == graph.digest()
    assert traffic.factors_for(bureau_id, graph.digest())[17, C.PRIMARY] > 1.3  # type: ignore[index]
