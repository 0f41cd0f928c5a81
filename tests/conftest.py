"""Shared fixtures: the demo city (seed 7) is built once per test run and every worker restores it
from that snapshot (ADR 0027): SQLite through its backup API, PostgreSQL as a template database
(``CREATE DATABASE … TEMPLATE``). Every ordinary test runs inside a transaction that is rolled
back. Tests that need committed data across connections (transactional_db) run last in each
worker; they flush the database, and the next test that asks for the city gets the snapshot
back in about a second instead of a new demo load.

The whole run can live on another day: ``PRECINCT_TODAY=2028-02-29 make test`` moves the
project's clock (``precinct.core.clock``) in the test processes, their workers and the servers
they start, so month ends, year ends, leap days and holidays are cases, not accidents."""

import datetime as dt
import fcntl
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from precinct.common import transactions
from precinct.core import clock
from precinct.core.scoping import Scope

SEED = 7
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
RUN_VARIABLE = "PRECINCT_TEST_RUN"  # one id per run, shared by the controller and its workers
# tests/cluster needs the three-node PostgreSQL that `make cluster-up` starts: `make cluster-test`
# runs it (and CI, .ci/run); the ordinary run leaves it out
collect_ignore = [] if os.environ.get("PRECINCT_CLUSTER_DIR") else ["cluster"]


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without workers)
        os.environ.setdefault(RUN_VARIABLE, uuid.uuid4().hex[:12])


def pytest_report_header(config: pytest.Config) -> str:
    return f"precinct clock: today is {clock.today(settings.TIME_ZONE)} (shift {clock.shift().days} days)"


def _load_demo() -> None:
    from precinct.demo import services as demo
    from precinct.identity import services as identity

    with identity.acting_as(identity.Actor(username="test", role="system")), transactions.entry():
        demo.load(
            seed=SEED,
            today=clock.today(settings.TIME_ZONE),
            criminal_cases=120,
            administrative_cases=360,
            merit_months=3,
            incident_days=62,  # two months: a full month for the statistics,
        )


class Snapshot:
    """The demo city as loaded once per run, and how a worker's test database gets it back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.run = os.environ.get(RUN_VARIABLE) or uuid.uuid4().hex[:12]
        self.sqlite_file = folder / f"demo-{self.run}.sqlite3"
        self.template = f"precinct_snap_{self.run}"
        self.marker = folder / f"demo-{self.run}.{connection.vendor}.ready"

    def take_or_restore(self) -> None:
        """The first worker of the run loads the demo and takes the snapshot; the others (they
        wait on the lock) restore it."""
        with open(self.folder / f"demo-{self.run}.{connection.vendor}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.marker.exists():
                self.restore()
                return
            _load_demo()
            self._take()
            self.marker.write_text(self.template if connection.vendor == "postgresql" else "")

    def _take(self) -> None:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(self.sqlite_file)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            return
        name = connection.settings_dict["NAME"]
        connections.close_all()
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                f'CREATE DATABASE "{self.template}" TEMPLATE "{name}" STRATEGY FILE_COPY'
            )

    def restore(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        connections.close_all()
        if connection.vendor == "sqlite":
            source = sqlite3.connect(self.sqlite_file)
            target = sqlite3.connect(connection.settings_dict["NAME"])
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            name = connection.settings_dict["NAME"]
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(
                    f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY'
                )
        ContentType.objects.clear_cache()


_snapshot: Snapshot | None = None
_flushed = False  # a transactional test emptied this worker's database since the last restore


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    global _snapshot
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder
    _snapshot = Snapshot(shared)
    with django_db_blocker.unblock():
        _snapshot.take_or_restore()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller drops the run's template database (PostgreSQL) once the workers are done."""
    if hasattr(session.config, "workerinput") or connection.vendor != "postgresql":
        return
    run = os.environ.get(RUN_VARIABLE)
    if not run:
        return
    from pytest_django.plugin import blocking_manager_key

    try:
        with (
            session.config.stash[blocking_manager_key].unblock(),
            connection._nodb_cursor() as cursor,
        ):
            cursor.execute(f'DROP DATABASE IF EXISTS "precinct_snap_{run}" WITH (FORCE)')
    except Exception as exc:  # the run's result stands; say why the template stays
        print(f"could not drop the snapshot database precinct_snap_{run}: {exc}")


def _flushes(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return (
        "transactional_db" in names
        or "live_server" in names
        or bool(marker and marker.kwargs.get("transaction"))
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run tests that flush the database after those that share the loaded demo city."""
    items.sort(key=_flushes)


@pytest.fixture(autouse=True)
def _demo_city_back(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """Before a test that asks for the city, a database emptied by an earlier transactional
    test gets the snapshot back; after a transactional test, the database is marked emptied.
    Runs before the test's own database fixtures (autouse), so outside its transaction."""
    global _flushed
    wants = {"city", "city_committed"} & set(request.fixturenames)
    if wants and _flushed and _snapshot is not None:
        with django_db_blocker.unblock():
            _snapshot.restore()
        _flushed = False
    yield
    if _flushes(request.node):
        _flushed = True


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
    assert bureau is not None, "the demo city is missing: a flushing test ran without being sorted"
    return City(bureau_id=bureau.pk, today=clock.today(settings.TIME_ZONE))


@pytest.fixture
def city_committed(transactional_db: Any) -> None:
    """The demo city, committed, for tests that use several connections (threads)."""
    from precinct.org import services as org

    assert org.first_bureau() is not None


@pytest.fixture
def tiny(transactional_db: Any) -> Any:
    """A tiny bureau of its own, committed (``tests/factories.py``), for the race tests: several
    connections share it, and no demo city has to be restored for them."""
    from tests.factories import tiny_bureau

    return tiny_bureau()


@pytest.fixture(autouse=True)
def _second_factor(request: pytest.FixtureRequest, settings: Any) -> None:
    """The second factor is required by default everywhere (settings.OTP_REQUIRED). Tests about
    other things sign in with ``Client.force_login`` and pass no second factor, so it is turned
    off for them; tests marked ``otp`` keep it on and go through it (tests/integration/
    test_second_factor.py, tests/e2e/test_second_factor.py)."""
    if request.node.get_closest_marker("otp") is None:
        settings.OTP_REQUIRED = False


DATABASE_FIXTURES = {"db", "transactional_db", "city", "city_committed", "tiny", "live_server"}


@pytest.fixture(autouse=True)
def _fresh_rate_counters(request: pytest.FixtureRequest) -> Any:
    """Each test that reaches the database starts with the rate limits' counters at zero: every
    test client signs in from 127.0.0.1, and one test's sign-ins must not use up the next one's
    (tests/integration/test_limits.py checks the limits themselves). The counters live in the
    database (settings.CACHES, ADR 0035): an ordinary test's own rolled back with it anyway."""
    from django.core.cache import cache

    from precinct.web import middleware

    if DATABASE_FIXTURES & set(request.fixturenames) or request.node.get_closest_marker(
        "django_db"
    ):
        request.getfixturevalue("transactional_db" if _flushes(request.node) else "db")
        cache.clear()
        middleware.reset_rate_counts()
    yield
