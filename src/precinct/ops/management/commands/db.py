"""`precinct db upgrade` applies migrations; `precinct db status` lists the unapplied ones."""

from django.core.management import call_command
from django.db import connection
from django_typer.management import TyperCommand, command

from precinct.ops.checks import pending_migrations


class Command(TyperCommand):
    help = "Database schema: upgrade, status."

    @command()
    def upgrade(self) -> None:
        """Apply every unapplied migration (safe to run again)."""
        call_command("migrate", interactive=False, verbosity=1)
        if connection.vendor == "sqlite":
            # Page images from before a migration (e.g. numbers before they were sealed, ADR 0022)
            # stay in the write-ahead log until it is reused: empty it now.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @command()
    def status(self) -> None:
        """List unapplied migrations; exit code 1 if there are any."""
        pending = pending_migrations()
        for name in pending:
            self.stdout.write(name)
        if pending:
            raise SystemExit(1)
        self.stdout.write("up to date")
