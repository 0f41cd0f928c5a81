"""Start-up checks shared by `precinct serve` and the ASGI app."""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


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
