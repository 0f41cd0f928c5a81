"""The sweep: stored findings kept current page by page (fingerprints, bulk writes, fork pool).

The run is here (catch-up, the cases to take, one process or a fork pool, the run recorded); a
page's read, fingerprints and writes are in ``sweep_pages``."""

import contextlib
import datetime as dt
import gc
import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from typing import Any

from django.db import connection, connections

from precinct.cases import services as cases
from precinct.common import bulk, transactions
from precinct.org import services as org

from .models import Finding, SweepRun
from .rules import Event
from .sweep_pages import FINDING_FIELDS as FINDING_FIELDS
from .sweep_pages import SWEEP_FORMAT as SWEEP_FORMAT
from .sweep_pages import WITHDRAWN as WITHDRAWN
from .sweep_pages import SweepOutcome, _sweep_page, engine_settings, recompute_case


def catch_up(*, now: dt.datetime, bureau_id: uuid.UUID | None = None) -> int:
    """Recompute the cases whose recompute after an event died (a crash right after the commit,
    a failed reaction): they are still marked ``findings_due``. Each in its own transaction.
    Returns how many."""
    due = cases.cases_with_findings_due(bureau_id=bureau_id)
    for case_id in due:
        with transactions.piece():
            recompute_case(case_id, now=now)
    return len(due)


def _sweep_range(
    after: Any,
    upto: Any,
    *,
    ids: list[Any] | None,
    now: dt.datetime,
    bureau_id: uuid.UUID | None,
    page: int,
    tick: Callable[[int], None],
    deep: bool = False,
) -> SweepOutcome:
    """Sweep the cases with raw ids in (after, upto], or the given ``ids``, page by page."""
    eng = engine_settings()
    out = SweepOutcome()
    todo = list(ids) if ids is not None else None
    with _young_garbage_per_page():
        while True:
            if todo is None:
                batch = cases.timelines_page(
                    after=after, upto=upto, limit=page, bureau_id=bureau_id, tz=eng.tz, row=Event
                )
                if not batch:
                    return out
                after = batch[-1][0].id
            else:
                if not todo:
                    return out
                chunk, todo = todo[:page], todo[page:]
                batch = cases.timelines_page(
                    ids=chunk, limit=page, bureau_id=bureau_id, tz=eng.tz, row=Event
                )
            n = len(batch)
            if batch:
                out.add(_sweep_page(batch, now=now, eng=eng, ranged=todo is None, deep=deep))
            del batch
            _page_done()
            tick(n)


@contextlib.contextmanager
def _young_garbage_per_page() -> Iterator[None]:
    """A page builds a few hundred thousand short-lived objects without reference cycles, which
    reference counting frees; the cyclic collector, left on, would walk them again and again as
    they are made (an eighth of the sweep's time). It is off while pages are swept and collects
    once after each page (``_page_done``), and is restored afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _page_done() -> None:
    if not gc.isenabled():
        gc.collect(0)


_DONE: Any = None  # a worker's shared progress counter


_INHERITED: list[Any] = []  # database connections a worker inherited at fork: kept, never used


def _worker_start(done: Any) -> None:
    """In a forked worker: its own database connections. One inherited from the parent shares
    the parent's socket; closing it would end the parent's session, so it is set aside unused."""
    global _DONE
    _DONE = done
    for wrapper in connections.all():
        if wrapper.connection is not None:
            _INHERITED.append(wrapper.connection)
            wrapper.connection = None


def _worker_tick(n: int) -> None:
    with _DONE.get_lock():
        _DONE.value += n


def _worker_sweep(
    after: Any,
    upto: Any,
    ids: list[Any] | None,
    now: dt.datetime,
    bureau_id: uuid.UUID | None,
    page: int,
    deep: bool,
) -> SweepOutcome:
    try:
        return _sweep_range(
            after, upto, ids=ids, now=now, bureau_id=bureau_id, page=page, tick=_worker_tick,
            deep=deep,
        )  # fmt: skip
    finally:
        connections.close_all()


def _time_sensitive(now: dt.datetime, bureau_id: uuid.UUID | None) -> list[Any] | None:
    """Raw ids of the cases whose findings time alone can change since the last sweep: those with
    a pending or due-soon finding, and those with an event dated between the last sweep and now.
    Every other change (events, corrections, flags) recomputes its case at once. None when there
    is no earlier sweep to go from (or it is later than ``now``): then every case is swept."""
    runs = SweepRun.objects.filter(as_of__lte=now)
    last = (
        (runs if bureau_id is None else runs.filter(bureau_id=bureau_id))
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    if last is None:
        return None
    c = bulk.codec()
    open_findings = Finding.objects.filter(state__in=("pending", "due_soon"))
    if bureau_id is not None:
        open_findings = open_findings.filter(bureau_id=bureau_id)
    ids = {c.uuid(k) for k in open_findings.values_list("case_id", flat=True).distinct()}
    ids |= cases.cases_with_events_between(last, now, bureau_id=bureau_id)
    return sorted(ids)


def sweep(
    *,
    now: dt.datetime,
    bureau_id: uuid.UUID | None = None,
    full: bool = False,
    deep: bool = False,
    workers: int = 1,
    page: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> SweepOutcome:
    """Bring stored findings up to date as of ``now``: pending findings move to due_soon and
    overdue as time passes, and new problem points get their tickets. The periodic sweep takes only
    the cases time can have changed since the last sweep; a ``full`` sweep (and the first one)
    re-evaluates every case in one pass over the events, which also brings in findings after a
    bulk load or a calendar or rule-table change. Pages of cases are read, evaluated, compared,
    and only the differences written, each page in its own short transaction; ``workers`` > 1
    sweeps parts of the cases in parallel processes. A case whose findings fingerprint to what was
    last written is known to be current and is not compared; ``deep`` (implies ``full``) compares
    every case row by row, for findings changed behind the sweep's back. First, the cases whose
    recompute after an event died are recomputed (``catch_up``). The run is recorded."""
    started = time.perf_counter()
    caught_up = catch_up(now=now, bureau_id=bureau_id)
    full = full or deep
    ids = None if full else _time_sensitive(now, bureau_id)
    is_full = ids is None
    total = cases.case_count(bureau_id=bureau_id) if ids is None else len(ids)
    report = progress or (lambda done, total: None)
    if workers <= 1 or total < 4 * page or connection.in_atomic_block:
        # (inside a transaction other processes could not see what it has written)
        seen = 0

        def tick(n: int) -> None:
            nonlocal seen
            seen += n
            report(seen, total)

        out = _sweep_range(
            None, None, ids=ids, now=now, bureau_id=bureau_id, page=page, tick=tick, deep=deep
        )
    else:
        if ids is None:
            bounds = cases.case_id_bounds(parts=workers, bureau_id=bureau_id)
            parts: list[tuple[Any, Any, list[Any] | None]] = [
                (lo, hi, None) for lo, hi in zip([None, *bounds], [*bounds, None], strict=True)
            ]
        else:
            step = -(-len(ids) // workers)
            parts = [(None, None, ids[k : k + step]) for k in range(0, len(ids), step)]
        out = _sweep_parallel(parts, now=now, bureau_id=bureau_id, page=page, report=report,
                              total=total, deep=deep)  # fmt: skip
    out.caught_up = caught_up
    _record_run(
        out, now=now, full=is_full, bureau_id=bureau_id, seconds=time.perf_counter() - started
    )
    return out


def _sweep_parallel(
    parts: list[tuple[Any, Any, list[Any] | None]],
    *,
    now: dt.datetime,
    bureau_id: uuid.UUID | None,
    page: int,
    report: Callable[[int, int], None],
    total: int,
    deep: bool = False,
) -> SweepOutcome:
    connections.close_all()  # the children open their own
    ctx = multiprocessing.get_context("fork")
    done = ctx.Value("q", 0)
    out = SweepOutcome()
    with ProcessPoolExecutor(
        max_workers=len(parts), mp_context=ctx, initializer=_worker_start, initargs=(done,)
    ) as pool:
        futures = [
            pool.submit(_worker_sweep, lo, hi, ids, now, bureau_id, page, deep)
            for lo, hi, ids in parts
        ]
        pending = set(futures)
        while pending:
            _finished, pending = wait(pending, timeout=0.5)
            report(done.value, total)
        for f in futures:
            out.add(f.result())
    return out


def _record_run(
    out: SweepOutcome,
    *,
    now: dt.datetime,
    full: bool,
    bureau_id: uuid.UUID | None,
    seconds: float,
) -> None:
    bureaus = [bureau_id] if bureau_id is not None else org.bureau_ids()
    with transactions.piece():
        for b in bureaus:
            SweepRun.objects.create(
                bureau_id=b,
                as_of=now,
                full=full,
                cases=out.cases,
                findings=out.findings,
                changed=out.changed,
                tickets=out.tickets,
                seconds=round(seconds, 3),
            )
