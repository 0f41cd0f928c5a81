"""The API's rate counter stays, and costs little (issue 19: 100 recommendation requests a second).

Every API call is counted in the shared table (settings.CACHES, ADR 0035). Counting was a
read-then-write cache increment in a write transaction of its own: about ten statements and a
synchronous commit (an fsync on SQLite) per request. It is one statement now, atomic on its own,
and on SQLite its commit skips the fsync (a counter lost to a power cut costs nothing)."""

import threading

import pytest
from django.core.cache import caches
from django.db import connection, connections
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
