"""`precinct accounts disable-idle [--days N]` (a daily job: accounts unused for 90 days are
disabled), `precinct accounts enable USERNAME`, `precinct accounts enrolment-code USERNAME` (the
code a person enrols his authenticator with, shown once) and `precinct accounts unlock USERNAME`
(a lock from failed sign-ins or wrong codes lifted sooner; also the system administrator's own)."""

from typing import Annotated

import typer
from django.conf import settings
from django_typer.management import TyperCommand, command

from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core import clock
from precinct.core.errors import NotFound

from ... import lockout, services
from ...models import User


class Command(TyperCommand):
    help = "Accounts: disable the idle ones, enable one again, issue an enrolment code, unlock."

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

    @command(name="enrolment-code")
    def enrolment_code(
        self, usernames: Annotated[list[str], typer.Argument(help="The accounts.")]
    ) -> None:
        """Issue an enrolment code (valid 72 hours, once) to each account: the person enrols his
        authenticator app with it at his first sign-in, or after a lost phone. Shown only now."""
        lines = []
        with (
            services.acting_as(services.Actor(username="accounts", role="system")),
            transactions.entry(),
        ):
            for username in usernames:
                with refusals(not_found=f"{username}: no such account, nothing was issued"):
                    user = User.objects.filter(username=lockout.normal_username(username)).first()
                    if user is None:
                        raise NotFound("user")
                code = services.issue_enrolment_code(user, now=clock.now(), issued_by="accounts")
                lines.append(f"enrolment code for {user.username} (valid 72 hours, once): {code}")
        for line in lines:
            self.stdout.write(line)

    @command()
    def unlock(self, username: Annotated[str, typer.Argument(help="The account.")]) -> None:
        """Unlock an account locked by failed sign-ins or wrong authenticator codes."""
        with (
            refusals(not_found=f"{username}: no such account"),
            services.acting_as(services.Actor(username="accounts", role="system")),
            transactions.entry(),
        ):
            user = services.unlock_account(username=username)
        self.stdout.write(f"unlocked {user.username}")
