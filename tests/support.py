"""Helpers for tests that start processes (the console script, servers)."""

import ast
import os
from concurrent.futures import ThreadPoolExecutor

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


def parse_python(source: str) -> ast.Module:
    """``ast.parse`` in a thread of its own. CPython 3.11.7 checks that the interpreter's
    recursion depth is the same before and after building the tree; in a test process that ran
    Playwright's sync API (greenlets switch stacks) the main thread's count can be off, and the
    check fails with "AST constructor recursion depth mismatch" (CPython gh-106905). A new thread
    starts from a clean count."""

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(ast.parse, source).result()
