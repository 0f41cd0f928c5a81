"""Reads that may go to a read replica (ADR 0042).

What only reads and may be a moment behind (dashboards, statistics, exports, the auditor's
searches, planning inputs) is marked with :func:`replica_reads`; its queries go to the
``replica`` database when one is configured (``PRECINCT_DATABASE_REPLICA_URL``), unless:

- the user wrote lately (read-your-writes: :class:`ReadYourWritesMiddleware` marks the browser
  for ``REPLICA_STICKY_SECONDS`` after a write, and its reads stay on the primary meanwhile);
- a transaction is open on the primary (what a write reads, it reads where it writes);
- the replica is behind by more than ``REPLICA_MAX_LAG_SECONDS``, or does not answer (asked at
  most once a second per process): then the primary serves, and says so in the log.

Everything else reads and writes the primary, as before: with no replica configured nothing
changes.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
COOKIE = "precinct_wrote"  # when this browser last wrote (seconds since the epoch)
LAG_CHECK_S = 1.0
# The records a replica may serve. Never sessions, the cache, sign-in lockouts or the job queue:
# a session made a moment ago must be found, a counter or a job's state must be the latest.
REPLICA_APPS = frozenset(
    {"org", "cases", "supervision", "merit", "command", "geo", "planning", "campaigns", "stats",
     "identity"}
)  # fmt: skip
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# How far behind a hot standby is: 0 when it has replayed all it received, else the age of the
# last transaction it replayed (an idle primary sends nothing, and is then not "behind").
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() IS NULL THEN 0 "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)
_reading: contextvars.ContextVar[bool] = contextvars.ContextVar("precinct_replica", default=False)
_sticky: contextvars.ContextVar[bool] = contextvars.ContextVar("precinct_sticky", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reads(view: Callable[P, T]) -> Callable[P, T]:
    """Mark a view (or any function) whose reads may be served by the replica."""

    @functools.wraps(view)
    def reading(*args: P.args, **kwargs: P.kwargs) -> T:
        token = _reading.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            _reading.reset(token)

    return reading


class _Lag:
    """The replica's lag, asked at most every LAG_CHECK_S per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = -LAG_CHECK_S
        self._ok = False
        self.clock: Callable[[], float] = time.monotonic
        self.probe: Callable[[], float] = _replica_lag

    def ok(self) -> bool:
        with self._lock:
            now = self.clock()
            if now - self._at < LAG_CHECK_S:
                return self._ok
            self._at = now
        try:
            lag = self.probe()
        except Exception as exc:  # the replica does not answer: the primary serves
            log.warning("read replica unavailable, reading the primary: %s", exc)
            ok = False
        else:
            ok = lag <= settings.REPLICA_MAX_LAG_SECONDS
            if not ok:
                log.warning("read replica %.1f s behind, reading the primary", lag)
        with self._lock:
            self._ok = ok
        return ok

    def reset(self) -> None:
        with self._lock:
            self._at, self._ok = -LAG_CHECK_S, False


def _replica_lag() -> float:
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
    except Exception:
        replica.close()
        raise
    return float(row[0] or 0) if row else 0.0


LAG = _Lag()


def use_replica() -> bool:
    return (
        _reading.get()
        and not _sticky.get()
        and configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        and LAG.ok()
    )


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads marked with :func:`replica_reads` to the replica."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        app = getattr(getattr(model, "_meta", None), "app_label", "")
        return REPLICA if app in REPLICA_APPS and use_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows, wherever they were read

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # a replica takes the primary's schema by replication


class ReadYourWritesMiddleware:
    """After a write (any request that is not a read and did not fail), the browser's reads stay
    on the primary for REPLICA_STICKY_SECONDS: the user who just saved sees what he saved."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            return self.get_response(request)
        token = _sticky.set(wrote_lately(request.COOKIES.get(COOKIE), time.time()))
        try:
            response = self.get_response(request)
        finally:
            _sticky.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            response.set_cookie(
                COOKIE, str(int(time.time())), max_age=settings.REPLICA_STICKY_SECONDS,
                httponly=True, samesite="Lax", secure=request.is_secure(),
            )  # fmt: skip
        return response


def wrote_lately(cookie: str | None, now: float) -> bool:
    try:
        wrote = float(cookie or "")
    except ValueError:
        return False
    return now - wrote < settings.REPLICA_STICKY_SECONDS + 1  # the cookie's second
