"""Shared fixtures: the demo city is loaded once per test database (seed 7) and every ordinary test
runs inside a transaction that is rolled back. Tests that need committed data across connections
(transactional_db) run last in each worker; the ``city`` fixture reloads the demo if they flushed it."""

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from precinct.core import clock
from precinct.core.scoping import Scope

SEED = 7
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


def _load_demo() -> None:
    from precinct.demo import services as demo
    from precinct.identity import services as identity

    with identity.acting_as(identity.Actor(username="test", role="system")), transaction.atomic():
        demo.load(
            seed=SEED,
            today=clock.today(settings.TIME_ZONE),
            criminal_cases=120,
            administrative_cases=360,
            merit_months=3,
            incident_days=62,  # two months: a full month for the statistics,
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        _load_demo()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run tests that flush the database after those that share the loaded demo city."""

    def flushes(item: pytest.Item) -> bool:
        names = getattr(item, "fixturenames", ())
        return "transactional_db" in names or "live_server" in names

    items.sort(key=flushes)


@dataclass
class City:
    bureau_id: Any
    today: dt.date

    def user(self, username: str) -> Any:
        from precinct.identity.models import User

        return User.objects.get(username=username)

    def scope(self, username: str) -> Scope:
        from precinct.identity import services

        return services.scope_for(self.user(username))

    def client(self, username: str) -> Client:
        c = Client()
        c.force_login(self.user(username))
        return c


@pytest.fixture
def city(db: Any) -> City:
    from precinct.org import services as org

    bureau = org.first_bureau()
    if bureau is None:  # a transactional test flushed the database
        _load_demo()
        bureau = org.first_bureau()
    assert bureau is not None
    return City(bureau_id=bureau.pk, today=clock.today(settings.TIME_ZONE))


@pytest.fixture
def city_committed(transactional_db: Any) -> None:
    """The demo city, committed, for tests that use several connections (threads)."""
    from precinct.org import services as org

    if org.first_bureau() is None:
        _load_demo()


@pytest.fixture(autouse=True)
def _second_factor(request: pytest.FixtureRequest, settings: Any) -> None:
    """The second factor is required by default everywhere (settings.OTP_REQUIRED). Tests about
    other things sign in with ``Client.force_login`` and pass no second factor, so it is turned
    off for them; tests marked ``otp`` keep it on and go through it (tests/integration/
    test_second_factor.py, tests/e2e/test_second_factor.py)."""
    if request.node.get_closest_marker("otp") is None:
        settings.OTP_REQUIRED = False


@pytest.fixture(autouse=True)
def _fresh_rate_counters() -> Any:
    """Each test starts with the rate limits' counters at zero: every test client signs in from
    127.0.0.1, and one test's sign-ins must not use up the next one's (tests/test_limits.py
    checks the limits themselves)."""
    from django.core.cache import cache

    cache.clear()
    yield
