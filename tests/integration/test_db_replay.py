"""A request that lost its database while a highly available PostgreSQL elects a new primary
(ADR 0041): a read, or a write with its Idempotency-Key, waits for the database and runs again;
another write is answered 503 with Retry-After at once, and its client sends it again."""

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db(transaction=True)  # the replay drops the request's connection


def _client(username: str) -> Client:
    from precinct.identity import services

    token = services.create_token(username=username, name="replay")[1]
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def client(city_committed) -> Client:
    return _client("command")


def _lost_once(real, calls: list[int]):
    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    return flaky


@override_settings(DATABASE_REPLAY_SECONDS=5)
def test_a_read_that_lost_its_database_runs_again_once_it_answers(client, monkeypatch) -> None:
    from precinct.command import services

    calls: list[int] = []
    monkeypatch.setattr(services, "list_incidents", _lost_once(services.list_incidents, calls))
    r = client.get("/api/v1/incidents?limit=5")
    assert r.status_code == 200 and isinstance(r.json(), list)
    assert len(calls) == 2


@override_settings(DATABASE_REPLAY_SECONDS=5)
def test_an_intake_whose_answer_was_lost_after_its_commit_is_answered_with_that_incident(
    client, monkeypatch
) -> None:
    """The commit went through, then the connection broke before the answer: the replay finds
    the recorded incident by its key (200), and there is one incident, not two."""
    from precinct.command import api
    from precinct.command.models import Incident, IntakeKey

    calls: list[int] = []
    monkeypatch.setattr(api, "incident_out", _lost_once(api.incident_out, calls))
    body = {"category": "help", "priority": 2, "lat": 47.35, "lon": 130.29,
            "address": "重放测试路1号", "summary": "重放测试"}  # fmt: skip
    r = client.post("/api/v1/incidents", body, content_type="application/json",
                    headers={"Idempotency-Key": "replay-1"})  # fmt: skip
    assert r.status_code == 200, r.content  # the replay of a recorded incident
    assert len(calls) == 2
    stored = IntakeKey.objects.get(key="replay-1").incident_id
    assert str(stored) == r.json()["id"]
    assert Incident.objects.filter(summary="重放测试").count() == 1


@override_settings(DATABASE_REPLAY_SECONDS=5)
def test_a_write_without_a_key_is_not_run_again_but_answered_503(
    city_committed, monkeypatch
) -> None:
    from precinct.cases.models import Case
    from precinct.supervision import api

    calls: list[int] = []
    monkeypatch.setattr(api.cases, "get_case", _lost_once(api.cases.get_case, calls))
    case = Case.objects.filter(kind="criminal").first()
    assert case is not None
    r = _client("legal").post(
        f"/api/v1/cases/{case.pk}/events",
        {"type": "interrogated", "at": "2019-03-01T10:00:00+08:00", "subject": "p1"},
        content_type="application/json",
    )
    assert r.status_code == 503 and int(r["Retry-After"]) > 0
    assert len(calls) == 1


@override_settings(DATABASE_REPLAY_SECONDS=0.6)
def test_a_database_that_stays_away_is_a_503_after_the_wait(client, monkeypatch) -> None:
    from precinct.command import services

    calls: list[int] = []

    def lost(*args, **kwargs):
        calls.append(1)
        raise OperationalError("no connection to the server")

    monkeypatch.setattr(services, "list_incidents", lost)
    r = client.get("/api/v1/incidents")
    assert r.status_code == 503 and int(r["Retry-After"]) > 0
    assert 2 <= len(calls) <= 4  # run again while the wait lasted, then given up


def test_without_a_cluster_nothing_is_run_again(client, monkeypatch) -> None:
    """One server (SQLite, a single PostgreSQL): the default wait is 0, answered 503 at once."""
    from django.conf import settings

    from precinct.command import services

    assert settings.DATABASE_REPLAY_SECONDS == 0
    calls: list[int] = []
    monkeypatch.setattr(services, "list_incidents", _lost_once(services.list_incidents, calls))
    assert client.get("/api/v1/incidents").status_code == 503
    assert len(calls) == 1
