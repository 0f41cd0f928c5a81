"""`precinct supervision check FILE.json [--at ISO-8601] [--json]`: the legal-deadline engine on one
case document."""

import json
from pathlib import Path
from typing import Annotated

import typer
from django.conf import settings
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.table import Table

from precinct.core import clock

from ... import services
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
                f"{f.trigger_at.astimezone(tz):%m-%d %H:%M}",
                f"{f.due_at.astimezone(tz):%m-%d %H:%M}" if f.due_at else "",
                f"[{style}]{f.state.value}[/{style}]" if style else f.state.value,
                f"{f.met_at.astimezone(tz):%m-%d %H:%M}" if f.met_at else "",
                f.basis,
            )
        Console().print(table)
        problems = sum(1 for f in findings if f.state in PROBLEM_STATES)
        Console().print(f"{problems} problem point(s)")
