"""`precinct org refresh`: bring officers' current units up to date with postings now in force."""

from django.conf import settings
from django_typer.management import TyperCommand, command, initialize

from precinct.common import transactions
from precinct.core import actors, clock

from ... import services


class Command(TyperCommand):
    help = "Organisation: refresh."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def refresh(self) -> None:
        """Re-derive current units from postings (run daily, and at start-up by `make run`)."""
        with (
            actors.acting_as(actors.Actor(username="scheduler", role="system")),
            transactions.entry(),
        ):
            changed = services.refresh_current_units(today=clock.today(settings.TIME_ZONE))
        self.stdout.write(f"{changed} officer(s) moved to postings now in force")
