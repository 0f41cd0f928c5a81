"""`precinct token create USERNAME` prints a new API token once; `precinct token revoke ID`."""

import uuid
from typing import Annotated

import typer
from django_typer.management import TyperCommand, command

from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core.errors import DomainError

from ... import services


class Command(TyperCommand):
    help = "API bearer tokens: create, revoke."

    @command()
    def create(
        self,
        username: Annotated[str, typer.Argument(help="The account the token acts as.")],
        name: Annotated[str, typer.Option(help="A label, e.g. the client's name.")] = "",
    ) -> None:
        """Issue a token. It is printed once and stored only as a hash."""
        with (
            refusals(),
            services.acting_as(services.Actor(username="cli", role="system")),
            transactions.entry(),
        ):
            token, secret = services.create_token(username=username, name=name)
        self.stderr.write(f"token {token.pk} for {username} (shown once; store it now):")
        self.stdout.write(secret)

    @command()
    def revoke(self, token_id: Annotated[str, typer.Argument(help="Token id.")]) -> None:
        """Revoke a token so that it no longer authenticates."""
        try:
            with (
                services.acting_as(services.Actor(username="cli", role="system")),
                transactions.entry(),
            ):
                services.revoke_token(token_id=uuid.UUID(token_id))
        except (DomainError, ValueError) as exc:
            self.stderr.write(f"no such token: {token_id}")
            raise SystemExit(2) from exc
        self.stdout.write("revoked")
