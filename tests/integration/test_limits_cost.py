"""The API's rate counter stays, and costs little (issue 19: 100 recommendation requests a second).

Every API call is counted in the shared table (settings.CACHES, ADR 0035). Counting was a
read-then-write cache increment in a write transaction of its own: about ten statements and a
synchronous commit (an fsync on SQLite) per request. It is one statement now, atomic on its own,
and on SQLite its commit skips the fsync (a counter lost to a power cut costs nothing)."""

import threading

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext

from precinct.web import middleware


def _count(key: str, minute: int) -> int:
    """Count a request as if it came in second 1 of ``minute`` (minutes since the epoch)."""
    original = middleware._now
    try:
        middleware._now = lambda: minute * 60.0 + 1.0
        return middleware._count(key)[0]
    finally:
        middleware._now = original


def test_a_request_is_counted_in_one_statement(db) -> None:
    _count("api:192.0.2.1:a", 1000)  # the minute's first: a new row
    with CaptureQueriesContext(connection) as seen:
        assert _count("api:192.0.2.1:a", 1000) == 2
    assert len(seen.captured_queries) == 1, [q["sql"] for q in seen.captured_queries]


def test_counts_go_on_within_a_minute_and_start_again_in_the_next(db) -> None:
    assert [_count("api:192.0.2.2:b", 2000) for _ in range(3)] == [1, 2, 3]
    assert _count("api:192.0.2.3:b", 2000) == 1  # another client
    assert _count("api:192.0.2.2:b", 2001) == 1  # the next minute


@pytest.mark.django_db(transaction=True)
def test_requests_counted_at_once_from_many_threads_are_all_counted() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def count(n: int) -> None:
        try:
            got = [_count("api:192.0.2.4:c", 3000) for _ in range(n)]
            with lock:
                seen.extend(got)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count, args=(25,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 101))  # none lost, none counted twice


@pytest.mark.django_db(transaction=True)
def test_the_connection_is_fully_durable_again_after_counting() -> None:
    _count("api:192.0.2.5:d", 4000)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL, as settings open it


@pytest.mark.django_db(transaction=True)
def test_counters_of_past_minutes_are_deleted(monkeypatch) -> None:
    _count("api:192.0.2.6:e", 5000)
    table = connection.ops.quote_name(caches["default"]._table)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET expires = %s", ["2000-01-01 00:00:00"])
    monkeypatch.setattr(middleware, "_swept", None)
    _count("api:192.0.2.6:e", 5001)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] == 1  # this minute's only


# --- the API's counts: kept in the process far below the limit, exact near it -------------------
def _api_count(key: str, minute: int, limit: int) -> int:
    original = middleware._now
    try:
        middleware._now = lambda: minute * 60.0 + 1.0
        return middleware._count(key, limit=limit)[0]
    finally:
        middleware._now = original


def _shared(key: str, minute: int) -> int | None:
    backend = caches["default"]
    table = connection.ops.quote_name(backend._table)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {table} WHERE cache_key = %s",
            [backend.make_and_validate_key(f"rate-n:{key}:{minute}")],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@pytest.fixture
def frozen_batch(monkeypatch):
    now = [5000.0]
    monkeypatch.setattr(middleware._BATCH, "clock", lambda: now[0])
    return now


def test_api_counts_far_below_the_limit_are_written_together_once_a_second(
    db, frozen_batch
) -> None:
    """A dispatch client at two questions a second wrote the shared table on each (issue 19:
    the server's processes queued for SQLite's write lock until it fell over)."""
    assert _api_count("api:192.0.2.7:f", 6000, limit=1200) == 1  # the first: written
    with CaptureQueriesContext(connection) as seen:
        got = [_api_count("api:192.0.2.7:f", 6000, limit=1200) for _ in range(99)]
        got.append(_api_count("api:192.0.2.8:g", 6000, limit=1200))
    assert got == [*range(2, 101), 1]
    assert seen.captured_queries == []
    assert _shared("api:192.0.2.7:f", 6000) == 1
    frozen_batch[0] += middleware.FLUSH_SECONDS
    assert _api_count("api:192.0.2.8:g", 6000, limit=1200) == 2
    assert _shared("api:192.0.2.7:f", 6000) == 100  # every key's counts, written together
    assert _shared("api:192.0.2.8:g", 6000) == 2


def test_near_the_limit_each_api_count_is_written_and_sees_the_other_processes(
    db, frozen_batch
) -> None:
    limit = 10
    counts = [_api_count("api:192.0.2.9:h", 7000, limit=limit) for _ in range(4)]
    assert counts == [1, 2, 3, 4]
    assert _shared("api:192.0.2.9:h", 7000) == 1  # below half the limit: kept here
    assert _api_count("api:192.0.2.9:h", 7000, limit=limit) == 5
    assert _shared("api:192.0.2.9:h", 7000) == 5  # from half on: written at once
    # another server process counted three in the meantime
    backend = caches["default"]
    table = connection.ops.quote_name(backend._table)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET value = '8' WHERE cache_key = %s",
            [backend.make_and_validate_key("rate-n:api:192.0.2.9:h:7000")],
        )
    assert _api_count("api:192.0.2.9:h", 7000, limit=limit) == 9
    assert [_api_count("api:192.0.2.9:h", 7000, limit=limit) for _ in range(2)] == [10, 11]


def test_counts_not_written_because_the_database_failed_are_written_later(
    db, frozen_batch, monkeypatch
) -> None:
    _api_count("api:192.0.2.10:i", 8000, limit=1200)
    _api_count("api:192.0.2.10:i", 8000, limit=1200)
    frozen_batch[0] += middleware.FLUSH_SECONDS

    def broken(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(middleware, "_add_in_table", broken)
    with pytest.raises(OperationalError):
        _api_count("api:192.0.2.10:i", 8000, limit=1200)
    monkeypatch.undo()
    monkeypatch.setattr(middleware._BATCH, "clock", lambda: frozen_batch[0])
    frozen_batch[0] += middleware.FLUSH_SECONDS
    assert _api_count("api:192.0.2.10:i", 8000, limit=1200) == 4
    assert _shared("api:192.0.2.10:i", 8000) == 4
