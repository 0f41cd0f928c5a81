"""Live updates: a write says "this topic changed"; server-sent-event streams waiting on that topic
wake up and send a fresh snapshot (ADR 0015).

Within a process a :class:`Hub` wakes the waiting streams (asyncio events, woken thread-safely after
the write commits). Between processes, PostgreSQL carries the word: the write calls ``pg_notify``
inside its transaction (delivered only if it commits) and one listener thread per process hears it.
On SQLite (one server process by design) a watcher thread also polls a cheap version probe twice a
second, so writes from another process (``precinct demo replay``) reach the board too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connection, transaction

from precinct.common import databases

T = TypeVar("T")
CHANNEL = "precinct_live"
POLL_S = 0.5
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.25, 2.0  # the listener's back-off after losing the database
DATABASE_RETRY_S = 0.5  # a stream whose database did not answer looks again after this
log = logging.getLogger(__name__)


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def subscribe(self, topic: str) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        token = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(topic, set()).add(token)
        return token

    def unsubscribe(
        self, topic: str, token: tuple[asyncio.AbstractEventLoop, asyncio.Event]
    ) -> None:
        with self._lock:
            self._waiters.get(topic, set()).discard(token)

    def publish(self, topic: str) -> None:
        with self._lock:
            waiting = list(self._waiters.get(topic, ()))
        for loop, event in waiting:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

    def topics(self) -> list[str]:
        with self._lock:
            return [t for t, waiting in self._waiters.items() if waiting]

    def subscribers(self, topic: str) -> int:
        with self._lock:
            return len(self._waiters.get(topic, ()))


HUB = Hub()
_PROBES: dict[str, Callable[[], Any]] = {}
_WATCHER: threading.Thread | None = None
_WATCHER_LOCK = threading.Lock()


def changed(topic: str) -> None:
    """Call inside the write's transaction: every process's streams on ``topic`` wake after it
    commits (and never if it rolls back)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, topic])
    transaction.on_commit(lambda: HUB.publish(topic))


def while_database_answers(read: Callable[[], T]) -> Callable[[], T | None]:
    """``read`` for a long-lived stream: None, not an exception, when the database does not
    answer (its connection is dropped, so the next call opens a new one: after a failover, to
    the new primary)."""

    def guarded() -> T | None:
        try:
            return read()
        except (OperationalError, InterfaceError) as exc:
            log.warning("live stream: the database did not answer: %s", exc)
            with contextlib.suppress(Exception):
                connection.close()
            return None

    return guarded


def register_probe(topic: str, probe: Callable[[], Any]) -> None:
    """A cheap query whose value changes when ``topic`` does (polled on SQLite only)."""
    _PROBES[topic] = probe


def ensure_watcher() -> None:
    """Start this process's watcher thread once (a daemon: it dies with the process)."""
    global _WATCHER
    with _WATCHER_LOCK:
        if _WATCHER is not None and _WATCHER.is_alive():
            return
        target = _listen if connection.vendor == "postgresql" else _poll
        _WATCHER = threading.Thread(target=target, name="precinct-live", daemon=True)
        _WATCHER.start()


def _listen() -> None:
    import psycopg

    # the same hosts, session attributes (a cluster's read-write node) and TCP keepalives as the
    # requests' connections: after a failover the listener finds the new primary (ADR 0041)
    params = databases.libpq_params(connection.settings_dict)
    backoff = RECONNECT_MIN_S
    while True:
        try:
            with psycopg.connect(**params, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                backoff = RECONNECT_MIN_S
                # what changed while nobody listened: every stream sends a fresh snapshot
                for topic in list(HUB.topics()):
                    HUB.publish(topic)
                for note in conn.notifies():
                    HUB.publish(note.payload)
        except Exception as exc:  # the database went away: say so, wait, listen again
            log.warning("live listener lost the database (%s); retrying in %.1f s", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_S)


def _poll() -> None:
    from django.db import close_old_connections

    seen: dict[str, Any] = {}
    failing: set[str] = set()  # the probes whose last try failed: their traceback was logged
    while True:
        for topic, probe in list(_PROBES.items()):
            try:
                value = probe()
            except Exception as exc:
                # the traceback once per spell of failures, then a line each time: formatting
                # one parses source (Python 3.11's carets), and CPython 3.11's parser is not
                # safe in two threads at once (gh-106905)
                if topic in failing:
                    log.warning("live probe %s failed again: %s", topic, exc)
                else:
                    log.warning("live probe %s failed", topic, exc_info=True)
                failing.add(topic)
                _release(close_old_connections)
                continue
            failing.discard(topic)
            if topic in seen and seen[topic] != value:
                HUB.publish(topic)
            seen[topic] = value
        _release(close_old_connections)
        time.sleep(POLL_S)


def _release(close_old_connections: Callable[[], None]) -> None:
    """Django's check of the thread's connection (a kept SQLite connection is asked whether it
    still works: ADR 0040); whatever it raises, the watcher goes on and tries again."""
    try:
        close_old_connections()
    except Exception as exc:  # a line, not a traceback (see _poll)
        log.warning("live watcher could not check its database connection: %s", exc)
