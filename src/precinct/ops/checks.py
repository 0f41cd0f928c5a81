"""Start-up checks shared by `precinct serve` and the ASGI app."""

import time
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor

SAY_EVERY_S = 5.0


def wait_for_database(seconds: float, *, say: Callable[[str], None]) -> str:
    """Try to connect until the database answers or ``seconds`` have passed (a server started
    with the machine may come up before its database). Says what it waits for, at most every
    few seconds. Returns "" once connected, else the last error's first line."""
    connection = connections[DEFAULT_DB_ALIAS]
    started = time.monotonic()
    said = None
    while True:
        try:
            connection.ensure_connection()
            return ""
        except (OperationalError, InterfaceError) as exc:
            problem = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            connection.close()
        waited = time.monotonic() - started
        if waited >= seconds:
            return problem
        if said is None or waited - said >= SAY_EVERY_S:
            say(f"waiting for the database ({waited:.0f} s of {seconds:.0f}): {problem}")
            said = waited
        time.sleep(min(1.0, max(seconds - waited, 0.0)))


class UnmigratedDatabase(SystemExit):
    pass


def pending_migrations() -> list[str]:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def require_migrated() -> None:
    pending = pending_migrations()
    if pending:
        raise UnmigratedDatabase(
            f"The database has {len(pending)} unapplied migration(s) (first: {pending[0]}). "
            "Run `precinct db upgrade` first."
        )


class FieldKeysDoNotOpen(SystemExit):
    pass


def field_key_problems() -> list[str]:
    from precinct.common import fields

    return fields.check_keys()


def require_field_keys() -> None:
    """Refuse to start when the configured field keys do not open the sealed personal data (a
    missing or wrong PRECINCT_FIELD_KEY): better than pages that cannot show it, and than new
    values sealed under a key the old ones do not share (ADR 0022)."""
    problems = field_key_problems()
    if problems:
        raise FieldKeysDoNotOpen(
            "The field keys do not open the personal data in the database: " + "; ".join(problems)
        )
