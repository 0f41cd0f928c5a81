"""An outage's log records are thinned to one a window, the rest counted; others pass."""

import logging

from django.db import OperationalError

from precinct.web.logs import OutageFilter


def _record(name: str, msg: str, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, (), info)


def test_one_outage_record_a_window_and_the_count_told_with_the_next() -> None:
    now = [100.0]
    f = OutageFilter(window=60, clock=lambda: now[0])
    lost = OperationalError("connection refused")
    assert f.filter(_record("django.request", "Internal Server Error", lost))
    passed = [f.filter(_record("django.request", "Internal Server Error", lost)) for _ in range(40)]
    passed += [f.filter(_record("precinct.web", "database unavailable: %s")) for _ in range(9)]
    assert not any(passed)
    assert f.filter(_record("django.request", "a bug", RuntimeError("x")))  # not an outage
    assert f.filter(_record("precinct", "an ordinary line"))
    now[0] += 60
    told = _record("precinct.web", "database unavailable: %s")
    assert f.filter(told)
    assert told.msg.endswith("(49 more like it in the last 60 s)")
    now[0] += 61
    quiet = _record("precinct.web", "database unavailable: refused")
    assert f.filter(quiet) and "more like it" not in quiet.msg
