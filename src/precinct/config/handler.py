"""Django's ASGI handler with its request threads kept (ADR 0040).

Django runs a request's synchronous part (middleware, views, the database) on a thread of the
request's own: each request entered a new ``ThreadSensitiveContext``, which started a thread
and stopped it at the end. So nothing a thread holds lived longer than one request: each
request opened a new database connection (with its pragmas and a cold page cache) and built the
routing engine's per-thread query objects again, several milliseconds a request (issue 19).

Here each request borrows a single-thread executor from a pool, gives it to
``ThreadSensitiveContext(executor=...)`` (asgiref 3.13: the caller owns the executor), and
gives it back when the request is over. A request still has a thread of its own while it runs
(a slow page or a long-lived stream never holds up another request: a new thread is started
when none is idle); an idle thread is kept for the next request, at most :data:`IDLE_KEPT` of
them, so the database connection and the engine's query objects are reused. The connection is
kept by Django's own ``CONN_MAX_AGE`` (settings), checked and closed if unusable at the start
and end of every request, as Django does it.
"""

from __future__ import annotations

import gc
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import HttpRequest, HttpResponseBase

IDLE_KEPT = 16  # idle request threads kept per worker process; more are stopped when freed
# requests: what the first ones built and keep (URL and template caches, each request thread's
# connection and engine queries) is frozen then too
SETTLE_AFTER = frozenset({100, 1_000, 10_000})


class _Threads:
    """Single-thread executors, lent one per request: the idle ones newest first (a warm
    thread, its connection and caches in use, is lent before a cold one)."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.idle: list[ThreadPoolExecutor] = []
        self.lock = threading.Lock()
        self.started = 0  # threads started, for the tests and the benchmark

    def take(self) -> ThreadPoolExecutor:
        with self.lock:
            if self.idle:
                return self.idle.pop()
            self.started += 1
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="precinct-request")

    def give(self, executor: ThreadPoolExecutor) -> Future[None]:
        """Back to the idle ones once its thread has finished what it was given: a request
        cancelled (its client gone) may have left a call running there, and the next request
        must not queue behind it. The future is done when it is back."""
        back: Future[None] = Future()

        def idle(_done: Future[None]) -> None:
            self._idle(executor)
            back.set_result(None)

        executor.submit(_nothing).add_done_callback(idle)
        return back

    def close(self) -> None:
        """Stop the idle threads (a test's end; a server process ends with its threads)."""
        with self.lock:
            idle, self.idle = self.idle, []
        for executor in idle:
            _stop(executor)
            executor.shutdown(wait=True)

    def _idle(self, executor: ThreadPoolExecutor) -> None:
        with self.lock:
            if len(self.idle) < self.kept:
                self.idle.append(executor)
                return
        _stop(executor)
        executor.shutdown(wait=False)  # its thread ends


def _stop(executor: ThreadPoolExecutor) -> None:
    """A thread that is let go first closes the database connections it kept (a PostgreSQL
    backend would otherwise stay until the garbage collector found the connection)."""
    executor.submit(connections.close_all)


def _nothing() -> None:
    """The last call given to a request's thread: when it has run, so has all before it."""


class PrecinctASGIHandler(ASGIHandler):
    """Django's handler, each request on a kept thread instead of a new one, its middleware
    and view called there in one go."""

    def __init__(self) -> None:
        # Every middleware of precinct is synchronous: built as one synchronous chain, it runs
        # in a single hop to the request's thread. Built for an asynchronous handler, Django
        # wraps the chain in a hop to the thread, its innermost step in a hop back to the
        # event loop, and the view in a third hop to the thread again.
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = _Threads(IDLE_KEPT)
        self.served = 0

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        """The synchronous ``get_response`` (the same steps) on the request's thread. An
        asynchronous view would still run on the event loop (Django's ``async_to_sync``), and a
        streamed answer (the live board's events) is still sent by the event loop, its database
        reads on the request's thread."""
        response: HttpResponseBase = await sync_to_async(self.get_response, thread_sensitive=True)(
            request
        )
        return response

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        context = ThreadSensitiveContext(executor=executor)
        try:
            async with context:
                await self.handle(scope, receive, send)
        finally:
            # Every thread-sensitive call of the request has returned (Django awaits them; one
            # made later by a task that outlived the request is refused by asgiref).
            self.threads.give(executor)
            self.served += 1
            if self.served in SETTLE_AFTER:
                settle_heap()


def settle_heap() -> None:
    """Take what is alive now out of the cyclic garbage collector's rounds (``gc.freeze``).

    A server process holds a few hundred thousand long-lived objects (Django, the API schema,
    numba, the road networks); each full collection walked all of them, 50 to 170 ms with
    the process's other threads stopped, a few times a minute under load: the slowest
    answers of the dispatch probe, and a tenth of its CPU (issue 19). Frozen objects are
    still freed when their last reference goes; only a cycle among them would stay. Called
    once the server has loaded what it keeps (``config.asgi``) and again after so many requests
    (:data:`SETTLE_AFTER`)."""
    gc.collect()
    gc.freeze()


def end_with_parent() -> None:
    """In a worker process of ``precinct serve --workers N`` (uvicorn's supervisor spawns one per
    core): stop when the supervisor dies. Killed (SIGKILL, the out-of-memory killer), it used to
    leave its workers serving on its socket for ever, each with its memory (a test that killed
    the server twelve times left two dozen of them). Linux sends the worker SIGTERM, and it
    stops as on any shutdown. Elsewhere, and outside a supervisor, nothing is done."""
    import ctypes
    import multiprocessing
    import os
    import signal

    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent.pid:  # it died before this was asked
        os.kill(os.getpid(), signal.SIGTERM)


def get_asgi_application() -> PrecinctASGIHandler:
    """As ``django.core.asgi.get_asgi_application``, with the kept threads."""
    import django

    django.setup(set_prefix=False)
    return PrecinctASGIHandler()
