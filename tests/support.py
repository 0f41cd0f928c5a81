"""Helpers for tests that start processes (the console script, servers)."""

import os

from precinct.core import clock

# A process a test starts may wait for a loaded 2-core machine (the other worker, a browser, a
# database). Tests wait on what the process says; this bound only ends a process that hangs.
CHILD_TIMEOUT_S = 900
CLOCK_VARIABLES = (clock.SHIFT_VARIABLE, "PRECINCT_TZ")


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a process a test starts: none of this process's PRECINCT_ settings
    except the clock, so the child lives on the same day as the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRECINCT_")}
    if extra.get("PRECINCT_ENV") != "production":  # production refuses a moved clock
        env.update({k: os.environ[k] for k in CLOCK_VARIABLES if k in os.environ})
    env.update(extra)
    return env
