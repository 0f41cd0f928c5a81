"""`precinct traffic learn [--bureau CODE] [--days N]`: learn the bureau's traffic profile (travel
time factors by hour of day and road class) from its fleet's position pings;
`precinct traffic show [--bureau CODE]`: the active profile as a 24-row table."""

import time
import uuid
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from django.conf import settings
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.table import Table

from precinct.common import transactions
from precinct.core import actors, clock

from ... import traffic
from ...rules import RoadClass
from ...rules import traffic as rules

LABELS = {
    RoadClass.MOTORWAY: "高速公路",
    RoadClass.TRUNK: "快速路",
    RoadClass.PRIMARY: "主干路",
    RoadClass.SECONDARY: "次干路",
    RoadClass.TERTIARY: "支路",
    RoadClass.RESIDENTIAL: "街巷",
    RoadClass.SERVICE: "内部道路",
}


def _bureau(code: str | None) -> tuple[uuid.UUID, str]:
    bureaus = traffic.bureaus_with_network()
    chosen = [b for b in bureaus if code is None or b[1] == code][:1]
    if not chosen:
        Console(stderr=True).print(
            f"[red]error:[/red] no bureau with code {code!r} has a road network"
            if code
            else "[red]error:[/red] no bureau has a road network yet: load one first"
        )
        raise SystemExit(2)
    return chosen[0]


class Command(TyperCommand):
    help = "Traffic by hour of day: learn, show."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def learn(
        self,
        bureau: Annotated[
            str | None, typer.Option(help="Bureau code (default: the first with a network).")
        ] = None,
        days: Annotated[
            int, typer.Option(help="Learn from this many days of pings.", min=1, max=365)
        ] = traffic.LEARN_DAYS,
    ) -> None:
        """Learn the profile from the last days of pings and make it the active one."""
        bureau_id, code = _bureau(bureau)
        now = clock.now()
        started = time.perf_counter()
        with Console(stderr=True).status(f"{code}: matching {days} days of pings to the roads …"):
            measured = traffic.measure(bureau_id, now=now, days=days)
        took = time.perf_counter() - started
        with (
            actors.acting_as(actors.Actor(username="cli", role="system")),
            transactions.entry(),
        ):
            traffic.store(bureau_id, measured, now=now)
        self.stdout.write(
            f"{code}: {measured.pings:,} pings, {measured.pairs:,} matched moves, "
            f"learned in {took:.1f} s; the profile is active for network "
            f"{measured.digest[:12]}…"
        )

    @command()
    def show(
        self,
        bureau: Annotated[
            str | None, typer.Option(help="Bureau code (default: the first with a network).")
        ] = None,
    ) -> None:
        """The active profile: each hour's factor by road class (× free-flow time)."""
        bureau_id, code = _bureau(bureau)
        profile = traffic.active_profile(bureau_id)
        if profile is None:
            self.stdout.write(f"{code}: no traffic profile yet (free flow): precinct traffic learn")
            raise SystemExit(1)
        tz = ZoneInfo(settings.TIME_ZONE)
        table = Table(
            title=f"{code} 路况系数 (× free-flow time), learned "
            f"{profile.learned_at.astimezone(tz):%Y-%m-%d %H:%M}"
        )
        table.add_column("时段")
        for cls in RoadClass:
            table.add_column(LABELS[cls], justify="right")
        for hour in range(rules.HOURS):
            row = [f"{hour:02d}:00"]
            for cls in RoadClass:
                factor = float(profile.factors[hour][cls])
                own = int(profile.samples[hour][cls]) >= rules.MIN_SAMPLES
                row.append(f"{factor:.2f}" if own else f"[dim]{factor:.2f}*[/dim]")
            table.add_row(*row)
        console = Console(width=max(100, Console().width))
        console.print(table)
        pairs = sum(sum(row) for row in profile.samples)
        console.print(
            f"{pairs:,} matched moves; * fewer than {rules.MIN_SAMPLES} of that road class at "
            "that hour: the hour's figure over all roads, or 1.00 (free flow)."
        )
        info = traffic.services.active_info(bureau_id)
        if info is not None and info.digest != profile.network_digest:
            console.print(
                "[yellow]learned on another road network: routing drives at free flow until "
                "the profile is learned again"
            )
