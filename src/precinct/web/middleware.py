"""UI language: Simplified Chinese unless the user chose another with the switch (a cookie).

Django's LocaleMiddleware would follow the browser's Accept-Language; a bureau's intranet wants
its own default regardless of how a workstation's browser was installed.
"""

import contextlib
import datetime as dt
import hashlib
import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.views import defaults

from precinct.common import transactions
from precinct.identity.middleware import client_ip

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in SUPPORTED else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class RejectNulMiddleware:
    """Refuse NUL characters in query strings, forms and JSON bodies with a clear 400: no database
    stores them in text, and PostgreSQL would answer with an error (a 500) deep in a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        bad = "%00" in query or "\x00" in query
        if not bad and request.method in {"POST", "PUT", "PATCH"}:
            kind = request.content_type or ""
            if kind == "application/json":
                body = request.body
                bad = b"\\u0000" in body or b"\x00" in body
            elif kind == "application/x-www-form-urlencoded":
                bad = any("\x00" in v for values in request.POST.lists() for v in values[1])
        if bad:
            return HttpResponseBadRequest(
                "NUL characters are not allowed in input.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class LimitsMiddleware:
    """Bodies too large are refused before they are read (413); sign-in attempts and API calls
    are rate-limited (429 with Retry-After). Fixed one-minute windows counted in the shared cache
    (the database, or Redis: settings.CACHES), so every server process counts into one budget;
    sign-ins per client address as ``client_ip`` sees it behind a trusted proxy (ADR 0021, 0035).
    A rate-limited sign-in is audited once per address and minute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = (request.META.get("CONTENT_TYPE") or "").startswith("multipart/form-data")
        limit = settings.MAX_UPLOAD_BYTES if multipart else settings.MAX_BODY_BYTES
        if length > limit:
            return JsonResponse(
                {"detail": f"the request body is larger than {limit} bytes"}, status=413
            )
        path = request.path
        refused: int | None = None
        if path == resolve_url(settings.LOGIN_URL) and request.method == "POST":
            client = client_ip(request)
            count, wait = _count(f"login:{client}")
            if count > settings.LOGIN_RATE_PER_MINUTE:
                refused = wait
                if count == settings.LOGIN_RATE_PER_MINUTE + 1:  # the first refusal this minute
                    _audit_refused_sign_in(request, client)
        elif path.startswith("/api/"):
            who = request.headers.get("Authorization") or request.COOKIES.get(
                settings.SESSION_COOKIE_NAME, ""
            )
            count, wait = _count(
                f"api:{client_ip(request)}:{_digest(who)}", limit=settings.API_RATE_PER_MINUTE
            )
            refused = wait if count > settings.API_RATE_PER_MINUTE else None
        if refused is not None:
            response = JsonResponse({"detail": "too many requests: try again shortly"}, status=429)
            response["Retry-After"] = str(refused)
            return response
        return self.get_response(request)


def _audit_refused_sign_in(request: HttpRequest, client: str) -> None:
    """V8: a sign-in refused for its rate leaves an entry (who was tried, from where)."""
    from precinct.identity import services

    username = str(request.POST.get("username", ""))[:150]
    with transactions.entry():
        services.record(
            "login_rate_limited",
            object_type="identity.user",
            detail={"username": username},
            actor=services.Actor(username=username or "anonymous", ip=client),
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else "-"


def _now() -> float:
    return time.time()


def _count(key: str, *, limit: int | None = None) -> tuple[int, int]:
    """Count one request in this minute's window: the window's count so far, and the seconds
    until the next window. With a ``limit`` (the API's), a count far below it is kept in this
    process and added to the shared one with the others' at most a second later (:class:`_Batch`);
    from half the limit on, and without one (sign-ins), each count goes to the shared table."""
    now = _now()
    window = int(now // 60)
    wait = max(1, int((window + 1) * 60 - now))
    backend = caches["default"]
    if isinstance(backend, DatabaseCache) and connection.features.can_return_columns_from_insert:
        if limit is None:
            return _add_in_table(backend, {key: (window, 1)}, window)[key], wait
        return _BATCH.count(backend, key, window, limit), wait
    # Redis: INCR is atomic (and a database that cannot answer an upsert with its row)
    name = f"rate:{key}:{window}"
    with _one_at_a_time(name):
        cache.add(name, 0, timeout=120)
        try:
            count = int(cache.incr(name))
        except ValueError:  # evicted between add and incr
            cache.set(name, 1, timeout=120)
            count = 1
    return count, wait


FLUSH_SECONDS = 1.0  # a process adds what it counted to the shared counts at least this often
EXACT_FROM = 0.5  # of the limit: from there on, every count goes to the shared table at once


@dataclass
class _Local:
    window: int
    seen: int = 0  # the shared count as this process last wrote it
    taken: int = 0  # counted here, being written now
    pending: int = 0  # counted here since


class _Batch:
    """The API's counts, kept in the process and written together: a dispatch client asks
    several times a second, and a write for each request put every API read behind the
    database's write lock (on SQLite, one writer at a time across the server's processes: at
    100 requests a second they queued for it until the server fell over; issue 19). A count is
    exact within the process; another process's counts are in it at most :data:`FLUSH_SECONDS`
    late, and exact from :data:`EXACT_FROM` of the limit on, where being late would matter."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # the counts
        self.writing = threading.Lock()  # one write at a time per process
        self.local: dict[str, _Local] = {}
        self.written_at = -math.inf
        self.clock: Callable[[], float] = time.monotonic

    def reset(self) -> None:
        """Forget what this process counted (the tests: each starts at zero)."""
        with self.lock:
            self.local.clear()
            self.written_at = -math.inf

    def count(self, backend: DatabaseCache, key: str, window: int, limit: int) -> int:
        with self.lock:
            state = self.local.get(key)
            if state is None or state.window != window:
                state = self.local[key] = _Local(window)
            state.pending += 1
            estimate = state.seen + state.taken + state.pending
            due = self.clock() - self.written_at >= FLUSH_SECONDS
            if estimate < EXACT_FROM * limit and not due:
                return estimate
        with self.writing:
            with self.lock:
                if self.clock() - self.written_at >= FLUSH_SECONDS:
                    self.written_at = self.clock()
                    for old in [k for k, s in self.local.items() if s.window < window]:
                        del self.local[old]
                    states = {k: s for k, s in self.local.items() if s.pending}
                else:
                    states = {key: state} if state.pending else {}
                batch = {k: (s.window, s.pending) for k, s in states.items()}
                for s in states.values():
                    s.taken, s.pending = s.pending, 0
            totals: dict[str, int] = {}
            try:
                totals = _add_in_table(backend, batch, window) if batch else {}
            finally:
                with self.lock:
                    for k, s in states.items():
                        if k in totals:
                            s.seen = max(s.seen, totals[k])
                        else:  # not written (the database failed): counted again next time
                            s.pending += s.taken
                        s.taken = 0
        # this request's place: as counted here, or the shared count it was written with
        return max(estimate, totals.get(key, 0))


_BATCH = _Batch()


def reset_rate_counts() -> None:
    """Forget the API counts this process holds but has not written (with the cache cleared)."""
    _BATCH.reset()


_swept: int | None = None  # the window whose start deleted the past windows' rows (per process)


def _add_in_table(
    backend: DatabaseCache, counts: dict[str, tuple[int, int]], window: int
) -> dict[str, int]:
    """Add ``counts`` (key: (window, n)) to the shared counters, and answer each key's count.
    One statement per key, atomic by itself on SQLite and PostgreSQL alike (two processes
    counting at once both count, without a lock of ours): insert the window's row at n, or add n
    to it, and answer the count. The row holds the number as text, not the cache's pickle: only
    this function reads it (``rate-n:`` keys). The cache culls only when it is written through
    its own methods: here each process deletes the rows of past windows once a minute."""
    global _swept
    table = connection.ops.quote_name(backend._table)  # type: ignore[attr-defined]
    expires = connection.ops.adapt_datetimefield_value(
        dt.datetime.fromtimestamp(
            int(backend.get_backend_timeout(120)),  # type: ignore[arg-type]
            tz=dt.UTC if settings.USE_TZ else None,
        )
    )
    out = {}
    together = transactions.piece() if len(counts) > 1 else contextlib.nullcontext()
    with _fast_commit(), together, connection.cursor() as cursor:
        if _swept != window:
            _swept = window
            cursor.execute(
                f"DELETE FROM {table} WHERE expires < %s",  # noqa: S608 - the cache's table
                [connection.ops.adapt_datetimefield_value(timezone.now())],
            )
        for key, (at, n) in counts.items():
            cursor.execute(
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT (cache_key) DO UPDATE SET "
                f"value = CAST(CAST({table}.value AS INTEGER) + %s AS TEXT) RETURNING value",
                [backend.make_and_validate_key(f"rate-n:{key}:{at}"), str(n), expires, n],
            )
            out[key] = int(cursor.fetchone()[0])
    return out


@contextlib.contextmanager
def _fast_commit() -> Iterator[None]:
    """On SQLite, outside a transaction: the counter's commit without the fsync of
    ``synchronous=FULL`` (NORMAL for this one statement, then back). In WAL mode the database
    stays consistent after a crash at NORMAL; only the last counts may be lost, which a rate
    limit can afford. SQLite refuses the change inside a transaction: there the counter commits
    with the transaction around it."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        level = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {level}")


@contextlib.contextmanager
def _one_at_a_time(name: str) -> Iterator[None]:
    """The database cache's increment reads, then writes: two processes could both read 5 and
    both write 6. In one transaction they take turns: SQLite's write lock is taken at BEGIN
    (IMMEDIATE), PostgreSQL takes an advisory lock on the key. Redis's INCR needs neither."""
    if not isinstance(caches["default"], DatabaseCache):
        yield
        return
    with transactions.entry():  # the cache's table is in the default database
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
        yield


# --- the database is unavailable -----------------------------------------------------------------
RETRY_AFTER_S = 3
log = logging.getLogger("precinct.web")


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached (down, restarting, refusing connections, a connection
    lost in the middle of a request, SQLite locked past its busy timeout) is answered with 503,
    ``Retry-After`` and a short body — JSON under /api/, a page elsewhere — never a 500 or a
    hang. Nothing more is needed to recover: a request thread keeps its connection (ADR 0040,
    ADR 0044), Django closes one an error left unusable at the request's end and checks a kept
    one at the next request's start (``CONN_HEALTH_CHECKS``), so the first request after the
    database is back opens a new one and is served; a locked SQLite file leaves it usable.

    An error in a view arrives here whole (``process_exception``). One raised in a middleware
    (the token lookup, loading or saving the session) arrives as the 500 (or 400) page Django
    made of it: that page is a 503 when Django said the exception was the database's (the
    ``got_request_exception`` signal, or the session's error caught through ``handler400``), or
    when the database does not answer a fresh connection now. Register it near the top of
    MIDDLEWARE, above everything that reads the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_note_database_error, dispatch_uid=__name__ + ".db")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not _lost_the_database(request, response):
            return response
        if replayable(request) and settings.DATABASE_REPLAY_SECONDS > 0:
            # a highly available PostgreSQL is electing a new primary (ADR 0041): a request whose
            # replay is answered as the original would be (a read, or a write with its
            # Idempotency-Key) waits for it and runs again, instead of sending the caller away
            deadline = time.monotonic() + settings.DATABASE_REPLAY_SECONDS
            for _replay in range(MAX_REPLAYS):
                if not _await_database(deadline):
                    break
                request._database_error = False  # type: ignore[attr-defined]
                log.warning("database back: %s %s runs again", request.method, request.path)
                response = self.get_response(request)
                if not _lost_the_database(request, response):
                    return response
                if time.monotonic() + REPLAY_POLL_S > deadline:
                    break
                time.sleep(REPLAY_POLL_S)  # a connection opened, the work failed: not at once
        return database_unavailable(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, OperationalError | InterfaceError):
            log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
            request._database_error = True  # type: ignore[attr-defined]
            return database_unavailable(request)
        return None


REPLAYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REPLAY_POLL_S = 0.25  # how often a held request asks whether the database is back
MAX_REPLAYS = 3  # a request runs at most this many times more


def replayable(request: HttpRequest) -> bool:
    """Whether running the request again gives the answer its first run would have: a read, or
    a write the client made idempotent with an Idempotency-Key (a second run finds the first's
    recorded answer when that one had committed). Other writes (a form's post, a case event)
    are answered 503 with Retry-After and the client sends them again itself."""
    return request.method in REPLAYABLE_METHODS or bool(request.headers.get("Idempotency-Key"))


def _await_database(deadline: float) -> bool:
    """Wait, up to ``deadline``, until a fresh connection opens (on a cluster: to the new
    primary); the request's own broken connection is dropped first."""
    with contextlib.suppress(Exception):
        connection.close()
    while True:
        if _database_answers(quiet=True):
            return True
        if time.monotonic() + REPLAY_POLL_S > deadline:
            return False
        time.sleep(REPLAY_POLL_S)


def _note_database_error(
    sender: object, request: HttpRequest | None = None, **kwargs: object
) -> None:
    """Django turned an exception into a 500 page: remember when it was the database's (the
    exception is the one being handled, where Django converts it in the same thread)."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, OperationalError | InterfaceError):
        request._database_error = True  # type: ignore[attr-defined]


def _lost_the_database(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether an error page Django made stands for a database that went away. A 500: when
    Django said so, or a fresh connection does not open now. A 400 only when it is a session
    Django could not save ("session interrupted", after the view's own work was committed):
    no other 400 (bad input, which a client can send at will) costs a connection."""
    if getattr(request, "_database_error", False):
        return True
    if response.status_code == 500:
        return not _database_answers()
    if response.status_code == 400:
        exc = getattr(request, "_bad_request", None)
        if isinstance(exc, SessionInterrupted):
            return _from_the_database(exc) or not _database_answers()
    return False


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page (``handler400``), the exception kept for the middleware above."""
    request._bad_request = exception  # type: ignore[attr-defined]
    return defaults.bad_request(request, exception)


def _from_the_database(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OperationalError | InterfaceError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _database_answers(*, quiet: bool = False) -> bool:
    """Whether a fresh connection opens now (a connection of its own: the request's is left as
    it is)."""
    probe = connection.copy()
    try:
        probe.ensure_connection()
    except (OperationalError, InterfaceError) as exc:
        if not quiet:
            log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
        return False
    finally:
        probe.close()
    return True


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After; the page needs no database (no user, no navigation)."""
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": "the database is unavailable: try again shortly"}, status=503
        )
    else:
        response = HttpResponse(
            render_to_string(
                "web/database_unavailable.html",
                {"retry": RETRY_AFTER_S, "reload": request.method == "GET"},  # never re-post
            ),
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response
