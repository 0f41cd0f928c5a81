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
