"""`precinct accounts disable-idle [--days N]` (a daily job: accounts unused for 90 days are
disabled) and `precinct accounts enable USERNAME`."""

from typing import Annotated

import typer
from django.conf import settings
from django_typer.management import TyperCommand, command

from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core import clock

from ... import services


class Command(TyperCommand):
    help = "Accounts: disable the idle ones, enable one again."

    @command(name="disable-idle")
    def disable_idle(
        self,
        days: Annotated[
            int | None,
            typer.Option(help="Unused for this many days (default PRECINCT_IDLE_ACCOUNT_DAYS).",
                         min=1),
        ] = None,
    ) -> None:  # fmt: skip
        """Disable every active account unused for the given days (never used: since made)."""
        with (
            services.acting_as(services.Actor(username="accounts", role="system")),
            transactions.entry(),
        ):
            done = services.disable_idle_accounts(
                now=clock.now(), days=days or settings.IDLE_ACCOUNT_DAYS
            )
        for name in done:
            self.stdout.write(f"disabled {name}")
        self.stdout.write(f"{len(done)} accounts disabled")

    @command()
    def enable(self, username: Annotated[str, typer.Argument(help="The account.")]) -> None:
        """Enable a disabled account again."""
        with (
            refusals(not_found=f"{username}: no such account"),
            services.acting_as(services.Actor(username="accounts", role="system")),
            transactions.entry(),
        ):
            services.enable_account(username=username)
        self.stdout.write(f"enabled {username}")
