"""`precinct demo load [--seed N] [--if-empty]`: the Hegang-like demo city, with a progress bar."""

import time
from typing import Annotated

import typer
from django.conf import settings
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from precinct.common import transactions
from precinct.core import clock
from precinct.identity import services as identity

from ... import services


class Command(TyperCommand):
    help = "Demo city: load."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow (a group even with one, so more can be added)."""

    @command()
    def load(
        self,
        seed: Annotated[
            int, typer.Option(help="Random seed: the same seed gives the same city.")
        ] = 2021,
        if_empty: Annotated[
            bool, typer.Option("--if-empty", help="Do nothing if a bureau exists.")
        ] = False,
        criminal: Annotated[int, typer.Option(help="Criminal cases over three years.")] = 5000,
        administrative: Annotated[int, typer.Option(help="Administrative cases.")] = 15000,
        merit_months: Annotated[
            int, typer.Option(help="Months of achievements, stars and bonuses.", min=0, max=120)
        ] = 24,
        incident_days: Annotated[
            int, typer.Option(help="Days of past 110 incidents (about 180 a day).", min=0, max=3660)
        ] = 365,
    ) -> None:
        """Create the demo bureau, its units, officers and one login per role."""
        console = Console(stderr=True)
        if settings.PRODUCTION:
            console.print(
                "[red]The demo city is not loaded in production (PRECINCT_ENV=production)."
            )
            raise SystemExit(2)
        if not services.is_empty():
            if if_empty:
                console.print("demo: the database already has a bureau; nothing loaded.")
                return
            console.print("[red]demo: the database already has a bureau; use an empty database.")
            raise SystemExit(2)
        started = time.perf_counter()
        with Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            with (
                identity.acting_as(identity.Actor(username="demo", role="system")),
                transactions.entry(),
            ):
                result = services.load(
                    seed=seed,
                    today=clock.today(settings.TIME_ZONE),
                    progress=report,
                    criminal_cases=criminal,
                    administrative_cases=administrative,
                    merit_months=merit_months,
                    incident_days=incident_days,
                    now=clock.now(),
                )
        elapsed = time.perf_counter() - started
        console.print(
            f"demo city loaded in {elapsed:.1f} s: {result.units} units, {result.officers} officers, "
            f"{result.assignments} postings, {result.cases} cases, {result.findings} findings."
        )
        self.stdout.write(f"Demo logins (password: {services.DEMO_PASSWORD}):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<10} {role}")

    @command()
    def replay(
        self,
        speed: Annotated[
            float,
            typer.Option(help="How much faster than real time the city lives.", min=0.1, max=1000),
        ] = 1.0,
        minutes: Annotated[
            float, typer.Option(help="Stop after this many minutes (0: run until Ctrl-C).", min=0)
        ] = 0,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 2021,
        dispatcher: Annotated[
            str, typer.Option(help="The account the replay acts as (a command-centre login).")
        ] = "command",
    ) -> None:
        """Feed incidents in real time: intake, dispatch, cars driving and arriving, closing."""
        from rich.live import Live

        from precinct.identity import services as identity_services

        from ...replay import ReplayStats, replay

        console = Console(stderr=True)
        scope = identity_services.scope_for_username(dispatcher)
        with Live(console=console, refresh_per_second=4, transient=True) as live:

            def show(s: ReplayStats) -> None:
                live.update(
                    f"replay ×{speed:g}: {s.calls} calls, {s.dispatched} dispatched, "
                    f"{s.on_scene} on scene, {s.closed} closed, {s.waiting} waited for a car"
                )

            try:
                with identity.acting_as(identity.Actor(username=dispatcher, role="system")):
                    stats = replay(
                        scope=scope,
                        speed=speed,
                        seconds=minutes * 60 if minutes else None,
                        seed=seed,
                        on_step=show,
                    )
            except KeyboardInterrupt:
                console.print("replay stopped.")
                return
        console.print(
            f"replay done: {stats.calls} calls, {stats.dispatched} dispatched, {stats.closed} closed"
            + (f"; {len(stats.errors)} steps skipped" if stats.errors else "")
        )
