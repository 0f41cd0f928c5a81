"""`precinct supervision check FILE.json [--at ISO-8601] [--json]`: the legal-deadline engine on one
case document."""

import json
from pathlib import Path
from typing import Annotated

import typer
from django.conf import settings
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core import clock
from precinct.core.scoping import Role, Scope
from precinct.identity import services as identity
from precinct.org import services as org_services

from ... import holidays, services
from ...rules import PROBLEM_STATES, InterchangeError
from ...rules.interchange import parse_time

STATE_STYLE = {
    "late": "red",
    "overdue": "bold red",
    "violated": "bold red",
    "due_soon": "yellow",
    "met": "green",
    "waived": "cyan",
    "pending": "",
}


class Command(TyperCommand):
    help = "Law-enforcement supervision: check."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command(name="check")
    def check_case(
        self,
        file: Annotated[Path, typer.Argument(help="A case in the interchange format (JSON).")],
        at: Annotated[
            str, typer.Option("--at", help="'Now' as ISO-8601 with offset (default: the clock).")
        ] = "",
        as_json: Annotated[bool, typer.Option("--json", help='Print {"findings": [...]}.')] = False,
    ) -> None:
        """Evaluate one case's events against every legal time limit."""
        err = Console(stderr=True)
        try:
            now = parse_time(at, "--at", "at") if at else clock.now()
            try:
                document = json.loads(Path(file).read_text(encoding="utf-8"))
            except OSError as exc:
                raise InterchangeError(f"{file}: cannot be read ({exc.strerror})") from None
            except json.JSONDecodeError as exc:
                raise InterchangeError(
                    f"{file}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
                ) from None
            findings = services.check_document(document, now=now)
        except InterchangeError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise SystemExit(2) from None
        tz = services.engine_settings().tz
        if as_json:
            self.stdout.write(
                json.dumps(
                    {"findings": [f.as_dict(tz) for f in findings]}, ensure_ascii=False, indent=2
                )
            )
            return
        table = Table(
            title=f"{len(findings)} findings, as of {now.astimezone(tz):%Y-%m-%d %H:%M} ({settings.TIME_ZONE})"
        )
        for column in ("rule", "subject", "title", "trigger", "due", "state", "met", "basis"):
            table.add_column(column)
        for f in findings:
            style = STATE_STYLE.get(f.state.value, "")
            table.add_row(
                f.rule,
                f.subject,
                f.title,
                f"{f.trigger_at.astimezone(tz):%Y-%m-%d %H:%M}",
                f"{f.due_at.astimezone(tz):%Y-%m-%d %H:%M}" if f.due_at else "",
                f"[{style}]{f.state.value}[/{style}]" if style else f.state.value,
                f"{f.met_at.astimezone(tz):%Y-%m-%d %H:%M}" if f.met_at else "",
                f.basis,
            )
        Console().print(table)
        problems = sum(1 for f in findings if f.state in PROBLEM_STATES)
        Console().print(f"{problems} problem point(s)")

    @command(name="import")
    def import_cases(
        self,
        path: Annotated[Path, typer.Argument(help="A case file (JSON) or a folder of them.")],
        unit: Annotated[str, typer.Option(help="Unit code for cases that name none.")] = "",
        bureau: Annotated[str, typer.Option(help="Bureau code (default: the only one).")] = "",
    ) -> None:
        """Import cases in the interchange format: each file all-or-nothing, importing twice
        changes nothing."""
        err = Console(stderr=True)
        bureau_id = (
            org_services.bureau_id_by_code(bureau)
            if bureau
            else getattr(org_services.first_bureau(), "pk", None)
        )
        if bureau_id is None:
            err.print("[red]error:[/red] no such bureau (load the demo or create one first)")
            raise SystemExit(2)
        if not path.exists():
            err.print(f"[red]error:[/red] {path} does not exist")
            raise SystemExit(2)
        with (
            Progress(console=err, transient=True) as bar,
            identity.acting_as(identity.Actor(username="import", role="system")),
        ):
            task = bar.add_task("import", total=None)
            results = services.import_path(
                bureau_id=bureau_id,
                path=path,
                default_unit=unit,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        bad = [r for r in results if r.error]
        for r in results:
            if r.outcome:
                state = "new case" if r.outcome.created else "existing case"
                self.stdout.write(
                    f"{r.path}: {r.outcome.number} ({state}), {r.outcome.new_events} new event(s)"
                )
            else:
                err.print(f"[red]{r.path}:[/red] {r.error}", highlight=False)
        self.stdout.write(f"{len(results) - len(bad)} file(s) imported, {len(bad)} refused")
        if bad:
            raise SystemExit(2)

    @command()
    def sweep(
        self,
        at: Annotated[
            str, typer.Option("--at", help="'Now' as ISO-8601 with offset (default: the clock).")
        ] = "",
        full: Annotated[
            bool,
            typer.Option(
                "--full",
                help="Re-evaluate every case (after a calendar or rule change), not only those "
                "time can have changed.",
            ),
        ] = False,
        deep: Annotated[
            bool,
            typer.Option(
                "--deep",
                help="Full, and compare every case's stored findings row by row even where their "
                "fingerprint matches (after findings were changed outside precinct).",
            ),
        ] = False,
        workers: Annotated[
            int,
            typer.Option(
                "--workers", min=1, max=32, help="Processes sweeping in parallel (default: 1)."
            ),
        ] = 1,
    ) -> None:
        """Recompute every case's findings as of now (pending → due soon → overdue)."""
        err = Console(stderr=True)
        try:
            now = parse_time(at, "--at", "at") if at else clock.now()
        except InterchangeError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise SystemExit(2) from None
        with (
            Progress(console=err) as bar,
            identity.acting_as(identity.Actor(username="sweep", role="system")),
        ):
            task = bar.add_task("sweep", total=None)
            outcome = services.sweep(
                now=now,
                full=full,
                deep=deep,
                workers=workers,
                progress=lambda d, t: bar.update(task, completed=d, total=t),
            )
        self.stdout.write(
            f"{outcome.cases} case(s), {outcome.findings} finding(s): {outcome.changed} changed "
            f"({outcome.inserted} new, {outcome.updated} updated, {outcome.removed} removed), "
            f"{outcome.tickets} ticket(s) opened"
            + (
                f"; {outcome.caught_up} case(s) whose recompute had died caught up"
                if outcome.caught_up
                else ""
            )
        )

    @command(name="holidays-import")
    def holidays_import(
        self,
        year: Annotated[int, typer.Argument(help="The year the schedule is for.")],
        file: Annotated[
            Path,
            typer.Argument(help="CSV rows: date or FIRST..LAST, 休 or 班, the holiday's name."),
        ],
        source: Annotated[
            str, typer.Option(help="The State Council notice it comes from (number, date).")
        ] = "",
        recompute: Annotated[
            bool,
            typer.Option(
                "--recompute/--no-recompute",
                help="Recompute the cases it can change now (default), or leave them to the "
                "next sweep.",
            ),
        ] = True,
    ) -> None:
        """Enter the State Council's holiday schedule for a year (all or nothing; audited). It
        wins over the built-in calendar for that year."""
        err = Console(stderr=True)
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            err.print(f"[red]error:[/red] {file}: cannot be read as UTF-8 text ({exc})")
            raise SystemExit(2) from None
        bureau = org_services.first_bureau()
        scope = Scope(
            user_id=None, role=Role.LEGAL_SUPERVISION, bureau_id=getattr(bureau, "pk", None)
        )
        with (
            refusals(after=f"{file}: nothing was saved"),
            identity.acting_as(identity.Actor(username="holidays", role="system")),
            transactions.entry(),
        ):
            done = holidays.enter(scope, year, text, source=source, by="holidays", now=clock.now())
        self.stdout.write(
            f"{year}: {done.rest_days} rest day(s), {done.working_days} adjusted working day(s); "
            f"{done.cases_marked} case(s) marked for recompute"
        )
        if recompute and done.cases_marked:
            with identity.acting_as(identity.Actor(username="holidays", role="system")):
                n = services.catch_up(now=clock.now())
            self.stdout.write(f"{n} case(s) recomputed")

    @command(name="holidays-list")
    def holidays_list(self) -> None:
        """Each year's holiday schedule: entered, built in, or missing (weekends only)."""
        table = Table("year", "schedule", "rest days", "working days", "entered")
        for y in holidays.years(today=clock.today(settings.TIME_ZONE)):
            when = f"{y.entered_by} {y.entered_at:%Y-%m-%d}" if y.entered_at else ""
            table.add_row(str(y.year), y.source, str(y.rest_days), str(y.working_days), when)
        Console().print(table)
