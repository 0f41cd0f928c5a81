"""`precinct db upgrade` applies migrations; `precinct db status` lists the unapplied ones."""

from django.core.management import call_command
from django_typer.management import TyperCommand, command

from precinct.config.checks import pending_migrations


class Command(TyperCommand):
    help = "Database schema: upgrade, status."

    @command()
    def upgrade(self) -> None:
        """Apply every unapplied migration (safe to run again)."""
        call_command("migrate", interactive=False, verbosity=1)

    @command()
    def status(self) -> None:
        """List unapplied migrations; exit code 1 if there are any."""
        pending = pending_migrations()
        for name in pending:
            self.stdout.write(name)
        if pending:
            raise SystemExit(1)
        self.stdout.write("up to date")
