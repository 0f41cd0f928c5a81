"""`precinct merit close-month YYYY-MM | pay YYYY-MM | fund YYYY-MM --yuan N | ledger verify`."""

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from django.conf import settings
from django.utils import translation
from django_typer.management import TyperCommand, command, group, initialize
from rich.console import Console

from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core import clock
from precinct.core.scoping import Role, Scope
from precinct.identity import services as identity
from precinct.org import services as org

from ... import pack as pack_files
from ... import rules, services


def _month(text: str) -> rules.Month:
    with refusals():
        return rules.Month.parse(text)


def _bureau() -> uuid.UUID:
    bureau = org.first_bureau()
    if bureau is None:
        Console(stderr=True).print("[red]error:[/red] no bureau: run `precinct demo load`")
        raise SystemExit(2)
    return bureau.pk


class Command(TyperCommand):
    help = "The 三一 monthly mechanism: close a month, pay its bonuses, check the ledger."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command("close-month")
    def close_month(
        self,
        month: Annotated[str, typer.Argument(help="YYYY-MM")],
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the snapshot's summary as JSON.")
        ] = False,
    ) -> None:
        """Freeze a month's points, line items and stars (closing again changes nothing)."""
        m = _month(month)
        actor = identity.Actor(username="close-month", role="system")
        with refusals(), identity.acting_as(actor), transactions.entry():
            closed = services.close_month(
                _bureau(),
                m,
                by=actor.username,
                today=clock.today(settings.TIME_ZONE),
            )
        officers = closed.data["officers"]
        summary = {
            "month": closed.month,
            "digest": closed.digest,
            "policy_version": closed.policy_version,
            "officers": len(officers),
            "stars": {str(n): sum(1 for o in officers if o["stars"] == n) for n in range(6)},
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False) if as_json else
                          f"{m}: {len(officers)} officers, digest {closed.digest[:16]}…")  # fmt: skip

    @command()
    def pack(
        self,
        month: Annotated[str, typer.Argument(help="YYYY-MM")],
        out: Annotated[
            Path, typer.Option("--out", help="FILE.xlsx or FILE.pdf: the format follows the name.")
        ],
        lang: Annotated[
            str, typer.Option("--lang", help="zh-hans (default), zh-hant or en.")
        ] = settings.LANGUAGE_CODE,
    ) -> None:
        """The monthly session pack: rankings, star officers, rewards, warnings, each unit's theme,
        charts; as the political department sees it."""
        m = _month(month)
        fmt = out.suffix.lower().lstrip(".")
        err = Console(stderr=True)
        if fmt not in pack_files.FORMATS:
            err.print(f"[red]error:[/red] --out: {out.name} must end in .xlsx or .pdf")
            raise SystemExit(2)
        if lang not in dict(settings.LANGUAGES):
            err.print(f"[red]error:[/red] --lang: one of {', '.join(dict(settings.LANGUAGES))}")
            raise SystemExit(2)
        scope = Scope(user_id=None, role=Role.POLITICAL_DEPT, bureau_id=_bureau(),
                      today=clock.today(settings.TIME_ZONE))  # fmt: skip
        with translation.override(lang):
            content = pack_files.render(services.session_pack(scope, m), fmt)
        try:
            out.write_bytes(content)
        except OSError as exc:
            err.print(f"[red]error:[/red] --out: {exc.strerror}: {out}", highlight=False)
            raise SystemExit(2) from None
        self.stdout.write(f"{m}: {out} ({len(content):,} bytes)")

    @command()
    def fund(
        self,
        month: Annotated[str, typer.Argument(help="YYYY-MM")],
        yuan: Annotated[
            int, typer.Option("--yuan", min=1, help="Amount for the month's bonus budget.")
        ],
    ) -> None:
        """Put money into a month's bonus budget (the cap its payouts cannot exceed)."""
        m = _month(month)
        with (
            identity.acting_as(identity.Actor(username="fund", role="system")),
            transactions.entry(),
        ):
            services.fund_month(_bureau(), m, amount_fen=yuan * rules.FEN_PER_YUAN, by="fund")
        self.stdout.write(f"{m}: budget +{rules.yuan(yuan * rules.FEN_PER_YUAN)}")

    @command()
    def pay(self, month: Annotated[str, typer.Argument(help="YYYY-MM")]) -> None:
        """Pay a closed month's star and solved-case bonuses (each at most once, all or nothing)."""
        m = _month(month)
        with (
            refusals(),
            identity.acting_as(identity.Actor(username="pay", role="system")),
            transactions.entry(),
        ):
            made, paid = services.pay_month(_bureau(), m, by="pay")
        self.stdout.write(f"{m}: {made} payment(s), {rules.yuan(paid)}")

    @group()
    def ledger(self) -> None:
        """The bonus ledger."""

    @ledger.command()
    def verify(self) -> None:
        """Every transaction balances, no budget or officer account is negative, every reversal is
        the exact opposite of what it reverses. Exit code 1 if not."""
        check = services.verify_ledger()
        if check.ok:
            self.stdout.write(f"ledger ok: {check.transactions} transaction(s) balance")
            return
        err = Console(stderr=True)
        for label, items in (
            ("unbalanced", check.unbalanced),
            ("negative", check.negative),
            ("bad reversal", check.bad_reversals),
        ):
            for item in items:
                err.print(f"[red]{label}:[/red] {item}", highlight=False)
        raise SystemExit(1)
