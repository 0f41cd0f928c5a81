"""The server's requests run on kept threads, with their database connections (ADR 0040).

Django's ASGI handler started a thread for each request and stopped it after: each request
opened a new database connection (pragmas, a cold page cache) and built the routing engine's
per-thread queries again, several milliseconds of every dispatch request (issue 19)."""

import asyncio
import gc
import threading
from typing import Any

import pytest
from django.db import connection
from django.db.backends.signals import connection_created

from precinct.config import handler
from precinct.config.handler import PrecinctASGIHandler, _Threads
from precinct.identity import services


async def _get(app: Any, path: str, token: str | None = None) -> tuple[int, bytes]:
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []
    asked = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not asked.is_set():
            asked.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays: no disconnect
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


def _serve(app: Any, n: int, path: str, token: str | None = None) -> list[int]:
    """``n`` requests one after the other, on an event loop of their own in a thread of their
    own (a browser test's loop may be running in this one)."""
    statuses: list[int] = []

    async def run() -> None:
        for _ in range(n):
            statuses.append((await _get(app, path, token))[0])

    runner = threading.Thread(target=asyncio.run, args=(run(),))
    runner.start()
    runner.join()
    return statuses


@pytest.fixture
def app() -> Any:
    served = PrecinctASGIHandler()
    yield served
    served.threads.close()


def test_requests_keep_their_threads_and_database_connections(city_committed, app) -> None:
    _token, secret = services.create_token(username="command", name="110 gateway")
    opened: list[int] = []

    def on_open(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append(threading.get_ident())

    connection_created.connect(on_open)
    try:
        assert _serve(app, 20, "/api/v1/me", secret) == [200] * 20
    finally:
        connection_created.disconnect(on_open)
    # Django's own handler: a thread for each of the 20. A thread goes back to the idle ones
    # just after its answer was sent, so on a loaded machine the next request may come first
    # and start another (3 of 20 seen at load average 6)
    assert app.threads.started <= 10
    # SQLite and PostgreSQL alike (a PostgreSQL backend per request cost as much CPU as the
    # request itself under the busy evening's load: ADR 0044)
    assert 1 <= len(opened) <= app.threads.started, connection.vendor


def test_a_thread_still_busy_with_a_cancelled_request_is_not_lent() -> None:
    threads = _Threads(kept=4)
    try:
        first = threads.take()
        release = threading.Event()
        first.submit(release.wait)  # a call the cancelled request left running
        back = threads.give(first)
        second = threads.take()
        assert second is not first and not back.done()
        release.set()
        back.result(timeout=30)
        assert threads.idle == [first]
        threads.give(second).result(timeout=30)
        assert threads.take() is second  # the warmest first
        assert threads.started == 2
    finally:
        threads.close()


def test_idle_threads_beyond_those_kept_are_stopped() -> None:
    threads = _Threads(kept=1)
    a, b = threads.take(), threads.take()
    threads.give(a).result(timeout=30)
    threads.give(b).result(timeout=30)
    assert threads.idle == [a]
    assert b._shutdown  # its thread ends; a new request starts another
    threads.close()


def test_a_thread_let_go_closes_its_database_connection(transactional_db) -> None:
    """A request thread keeps its connection (ADR 0044); one stopped (beyond those kept, or at
    the server's end) closes it first: a PostgreSQL backend is not left to the collector."""
    threads = _Threads(kept=0)
    executor = threads.take()

    def query() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return connection.connection

    raw = executor.submit(query).result(timeout=30)
    assert _is_open(raw)
    threads.give(executor).result(timeout=30)
    executor.shutdown(wait=True)
    assert not _is_open(raw)


def _is_open(raw: Any) -> bool:
    if hasattr(raw, "closed"):  # psycopg
        return not raw.closed
    try:  # sqlite3
        raw.execute("SELECT 1")
    except Exception:
        return False
    return True


def test_the_heap_built_by_the_first_requests_is_frozen(db, app, monkeypatch) -> None:
    """The collector walked a server's few hundred thousand long-lived objects a few times a
    minute, 50 to 170 ms with its threads stopped: the slowest answers of the probe."""
    monkeypatch.setattr(handler, "SETTLE_AFTER", frozenset({3}))
    before = gc.get_freeze_count()
    try:
        assert _serve(app, 3, "/healthz") == [200] * 3
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_the_live_watcher_goes_on_when_its_connection_check_fails() -> None:
    """With kept connections Django asks an open connection whether it still works; an error
    there ended the watcher thread, and with it the board's updates in that process."""
    from precinct.common import live

    def broken() -> None:
        raise RuntimeError("database access not allowed")

    live._release(broken)  # logged, not raised
