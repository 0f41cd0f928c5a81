"""Reads that may go to a read replica (ADR 0042): only marked views, only business records,
never after the user's own write, never inside a write's transaction, never a replica too far
behind or not answering. The replica here is a mirror of the test database (settings: TEST
MIRROR); the cluster tests read a real standby (tests/cluster)."""

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import override_settings

from precinct.command.models import Incident
from precinct.common import routing

ROUTER = routing.ReplicaRouter()


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def replica(monkeypatch):
    """A replica configured, lag as the test says, the lag clock the test's."""
    lag = {"s": 0.0, "asked": 0}

    def probe() -> float:
        lag["asked"] += 1
        if lag["s"] < 0:
            raise OSError("the replica does not answer")
        return lag["s"]

    clock = Clock()
    monkeypatch.setattr(routing, "configured", lambda: True)
    monkeypatch.setattr(routing.LAG, "probe", probe)
    monkeypatch.setattr(routing.LAG, "clock", clock)
    routing.LAG.reset()
    lag["clock"] = clock
    yield lag
    routing.LAG.reset()


def _read_db(model=Incident) -> str:
    return str(ROUTER.db_for_read(model))


def test_without_a_replica_every_read_is_the_primarys() -> None:
    assert not routing.configured()
    assert routing.replica_reads(_read_db)() == "default"


def test_a_marked_read_goes_to_the_replica_and_nothing_else_does(replica) -> None:
    assert _read_db() == "default"  # not marked
    assert routing.replica_reads(_read_db)() == "replica"
    assert routing.replica_reads(_read_db)(Session) == "default"  # never sessions
    assert str(ROUTER.db_for_write(Incident)) == "default"
    assert ROUTER.allow_migrate("replica", "command") is False


@pytest.mark.django_db(transaction=True)  # no test transaction around it
def test_inside_a_write_transaction_reads_stay_on_the_primary(replica) -> None:
    with transaction.atomic():
        assert routing.replica_reads(_read_db)() == "default"
    assert routing.replica_reads(_read_db)() == "replica"


def test_a_replica_too_far_behind_or_silent_sends_reads_to_the_primary(replica, settings) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 5
    replica["s"] = 7.5
    assert routing.replica_reads(_read_db)() == "default"
    replica["s"] = 0.2
    assert routing.replica_reads(_read_db)() == "default"  # asked at most once a second
    replica["clock"].t += routing.LAG_CHECK_S
    assert routing.replica_reads(_read_db)() == "replica"
    asked = replica["asked"]
    for _ in range(50):
        routing.replica_reads(_read_db)()
    assert replica["asked"] == asked  # the lag is not asked per query
    replica["s"] = -1  # the replica went away
    replica["clock"].t += routing.LAG_CHECK_S
    assert routing.replica_reads(_read_db)() == "default"


def _request(method: str, cookie: str | None = None) -> HttpRequest:
    request = HttpRequest()
    request.method = method
    if cookie is not None:
        request.COOKIES[routing.COOKIE] = cookie
    return request


def test_after_a_write_the_browsers_reads_stay_on_the_primary(replica, settings) -> None:
    settings.REPLICA_STICKY_SECONDS = 15
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(routing.replica_reads(_read_db)())
        return HttpResponse(status=302 if request.method == "POST" else 200)

    middleware = routing.ReadYourWritesMiddleware(view)
    assert routing.COOKIE not in middleware(_request("GET")).cookies
    wrote = middleware(_request("POST"))
    cookie = wrote.cookies[routing.COOKIE]
    assert int(cookie["max-age"]) == 15 and cookie["httponly"]
    middleware(_request("GET", cookie.value))
    import time

    middleware(_request("GET", str(int(time.time()) - 60)))  # a minute ago: over
    # a read; the write's own reads (outside its transaction); sticky; no longer sticky
    assert seen == ["replica", "replica", "default", "replica"]


def test_a_failed_write_does_not_make_the_browser_sticky(replica) -> None:
    middleware = routing.ReadYourWritesMiddleware(lambda request: HttpResponse(status=400))
    assert routing.COOKIE not in middleware(_request("POST")).cookies


@override_settings(REPLICA_STICKY_SECONDS=15)
def test_a_cookie_that_is_not_a_time_is_ignored() -> None:
    import time

    assert not routing.wrote_lately("yesterday", time.time())
    assert not routing.wrote_lately(None, time.time())
    assert routing.wrote_lately(str(time.time() - 3), time.time())
