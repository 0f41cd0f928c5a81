"""Log records of a database outage, thinned: the first in a window is written whole (with its
traceback), the rest of the window only counted, and the count told with the next one written.
During an outage every request fails the same way; a log of thousands of identical tracebacks
hides what else happened (docs/reliability.md)."""

import logging
import threading
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError

WINDOW_S = 60.0


def is_outage(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return record.name == "precinct.web" and str(record.msg).startswith("database unavailable")


class OutageFilter(logging.Filter):
    def __init__(self, window: float = WINDOW_S, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window, self.clock = window, clock
        self._lock = threading.Lock()
        self._opened: float | None = None  # when the window of the last record written opened
        self._held = 0  # records of the window not written

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_outage(record):
            return True
        with self._lock:
            now = self.clock()
            if self._opened is not None and now - self._opened < self.window:
                self._held += 1
                return False
            held, self._held, self._opened = self._held, 0, now
        if held:
            record.msg = f"{record.msg} ({held} more like it in the last {self.window:.0f} s)"
        return True
