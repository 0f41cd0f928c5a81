"""`precinct stats refresh [--all]` (the computed monthly figures; run it every few minutes and
after bulk loads) and `precinct stats import FILE.xlsx --as USER` (earlier years' figures, all or
nothing)."""

from pathlib import Path
from typing import Annotated

import typer
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.progress import Progress, TaskID

from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core import clock
from precinct.identity import services as identity
from precinct.org import services as org

from ... import services


class Command(TyperCommand):
    help = "Public-safety statistics: refresh and import."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def refresh(
        self,
        every_month: Annotated[
            bool, typer.Option("--all", help="Every month precinct's records cover.")
        ] = False,
        bureau: Annotated[str | None, typer.Option(help="Bureau code (default: all).")] = None,
    ) -> None:
        """Work out the computed figures again: this month and last (or --all)."""
        console = Console(stderr=True, soft_wrap=True)
        ids = [org.bureau_id_by_code(bureau)] if bureau else org.bureau_ids()
        if not ids or ids[0] is None:
            console.print("[red]no such bureau")
            raise SystemExit(2)
        now = clock.now()
        with identity.acting_as(identity.Actor(username="stats", role="system")):
            for bureau_id in ids:
                assert bureau_id is not None
                if not every_month:
                    done = services.refresh(bureau_id, now=now, months=services.recent(now))
                else:
                    with Progress(console=console, transient=True) as bar:
                        task = bar.add_task("months", total=None)

                        def report(
                            d: int, t: int, task: TaskID = task, bar: Progress = bar
                        ) -> None:
                            bar.update(task, completed=d, total=t)

                        done = services.refresh(bureau_id, now=now, progress=report)
                self.stdout.write(f"{bureau_id}: {done} months refreshed")

    @command(name="import")
    def import_(
        self,
        path: Annotated[Path, typer.Argument(help="The Excel workbook (.xlsx).")],
        username: Annotated[
            str, typer.Option("--as", help="The account the figures are imported as.")
        ],
    ) -> None:
        """Figures of earlier years from an Excel workbook: every problem named by row and
        column, nothing written unless all are right."""
        console = Console(stderr=True, soft_wrap=True)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            console.print(f"[red]{path}: no such file")
            raise SystemExit(2) from None
        with refusals(not_found=f"{username}: no such active account"):
            scope = identity.scope_for_username(username)
        with (
            refusals(after="nothing was saved"),
            identity.acting_as(identity.Actor(username=username, role=scope.role)),
            transactions.entry(),
        ):
            result = services.import_xlsx(scope, content, by=username)
        self.stdout.write(
            f"{result.figures} figures for {result.months} months "
            f"({result.first:%Y-%m} – {result.last:%Y-%m}) imported"
        )
