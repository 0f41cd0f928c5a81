"""`precinct province publish | subscribe CITY CONNINFO | status` (ADR 0043): a city publishes
the province's tables (without its people's personal data); the province subscribes to each city
by PostgreSQL logical replication. docs/operations.md says how."""

from typing import Annotated

import typer
from django_typer.management import TyperCommand, command, initialize

from ... import rules, services


class Command(TyperCommand):
    help = "The province view's replication: publish (in a city), subscribe, status (province)."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def publish(self) -> None:
        """In a city: publish the tables the province reads (again after an upgrade)."""
        try:
            tables = services.publish()
        except services.ReplicationRefused as exc:
            self.stderr.write(str(exc))
            raise SystemExit(2) from None
        self.stdout.write(f"publication {rules.PUBLICATION}: {', '.join(tables)}")
        for table, kept in rules.PUBLISHED.items():
            if kept:
                self.stdout.write(f"  {table}: kept in the city: {', '.join(kept)}")

    @command()
    def subscribe(
        self,
        city: Annotated[str, typer.Argument(help="A short name for the city: letters, digits, _.")],
        conninfo: Annotated[
            str,
            typer.Argument(
                help="How the province reaches the city's database (libpq), e.g. "
                "'host=city-db dbname=precinct user=province'."
            ),
        ],
    ) -> None:
        """At the province: receive a city's published tables (copied first, then followed)."""
        try:
            name = services.subscribe(city, conninfo)
        except (services.ReplicationRefused, rules.BadCityName) as exc:
            self.stderr.write(str(exc))
            raise SystemExit(2) from None
        self.stdout.write(f"subscription {name} to {city}")

    @command()
    def status(self) -> None:
        """At the province: each city's subscription, when it last received, and how many first
        copies and changes were refused (exit code 1 then: PostgreSQL's log says why)."""
        rows = services.subscriptions()
        if not rows:
            self.stdout.write("no city subscribed")
        for r in rows:
            state = "on" if r["enabled"] else "off"
            self.stdout.write(
                f"{r['city']}: {state}, received {r['received']} at {r['latest']}, "
                f"errors {r['copy_errors']}/{r['apply_errors']} (first copy/changes)"
            )
        if any(r["copy_errors"] or r["apply_errors"] for r in rows):
            raise SystemExit(1)
