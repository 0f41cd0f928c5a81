"""`precinct network load FILE.osm.pbf [--bureau CODE]`, `precinct network synthetic`,
`precinct network info`: the bureau's road network for routing and the dispatch map;
`precinct network addresses FILE.csv|.xlsx`: its standard address register."""

from pathlib import Path
from typing import Annotated

import typer
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console

from precinct.command import services as command_services
from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core.roles import Role
from precinct.core.scoping import Scope
from precinct.geo import osm
from precinct.geo import rules as geo_rules
from precinct.geo import services as geo
from precinct.geo.rules import crs as coordinates
from precinct.identity import services as identity
from precinct.org import services as org


def _bureau(code: str | None) -> tuple[object, str]:
    console = Console(stderr=True)
    if code:
        bureau_id = org.bureau_id_by_code(code)
        if bureau_id is None:
            console.print(f"[red]no bureau with code {code!r}")
            raise SystemExit(2)
        return bureau_id, code
    bureau = org.first_bureau()
    if bureau is None:
        console.print("[red]no bureau yet: load the demo or create one first")
        raise SystemExit(2)
    return bureau.pk, bureau.code


class Command(TyperCommand):
    help = "Road network: load, synthetic, info; the address register: addresses."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def load(
        self,
        path: Annotated[Path, typer.Argument(help="An OpenStreetMap extract (.osm.pbf, .osm).")],
        bureau: Annotated[
            str | None, typer.Option(help="Bureau code (default: the first).")
        ] = None,
        name: Annotated[str, typer.Option(help="A name for the network.")] = "",
    ) -> None:
        """Read the drivable roads of an OSM extract and make them the bureau's network."""
        console = Console(stderr=True)
        bureau_id, code = _bureau(bureau)
        with console.status(f"reading {path} …"):
            try:
                graph = osm.load(path)
            except geo_rules.NetworkError as exc:
                console.print(f"[red]{exc}")
                raise SystemExit(2) from None
        with (
            identity.acting_as(identity.Actor(username="cli", role="system")),
            transactions.entry(),
        ):
            geo.install(bureau_id=bureau_id, graph=graph, name=name or path.name, source="osm")  # type: ignore[arg-type]
        console.print(
            f"{code}: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges from {path.name} "
            "(the largest strongly connected part)"
        )

    @command()
    def synthetic(
        self,
        bureau: Annotated[
            str | None, typer.Option(help="Bureau code (default: the first).")
        ] = None,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    ) -> None:
        """A synthetic Hegang-like city of about 50,000 nodes (the demo's)."""
        bureau_id, code = _bureau(bureau)
        graph = geo_rules.synthetic_city(seed=seed)
        with (
            identity.acting_as(identity.Actor(username="cli", role="system")),
            transactions.entry(),
        ):
            geo.install(bureau_id=bureau_id, graph=graph, name="synthetic", source="synthetic")  # type: ignore[arg-type]
        Console(stderr=True).print(f"{code}: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges")

    @command()
    def info(
        self,
        bureau: Annotated[
            str | None, typer.Option(help="Bureau code (default: the first).")
        ] = None,
    ) -> None:
        """The active network: name, source, size, digest."""
        bureau_id, code = _bureau(bureau)
        row = geo.active_info(bureau_id)  # type: ignore[arg-type]
        if row is None:
            self.stdout.write(f"{code}: no road network")
            raise SystemExit(1)
        self.stdout.write(
            f"{code}: {row.name} ({row.source}) {row.nodes:,} nodes, {row.edges:,} edges, "
            f"sha256 {row.digest[:16]}…, installed {row.created_at:%Y-%m-%d %H:%M}"
        )

    @command()
    def addresses(
        self,
        path: Annotated[
            Path,
            typer.Argument(help="The register: CSV (UTF-8) or .xlsx; 街路巷, 门牌号, 经度, 纬度."),
        ],
        bureau: Annotated[
            str | None, typer.Option(help="Bureau code (default: the first).")
        ] = None,
        crs: Annotated[
            str,
            typer.Option(
                help="The file's coordinate system: wgs84 (GPS), cgcs2000, gcj02 (Chinese web "
                "maps) or bd09 (Baidu); stored in wgs84."
            ),
        ] = "wgs84",
    ) -> None:
        """Replace the standard address register (all or nothing; every bad row named)."""
        if crs not in coordinates.CHOICES:
            Console(stderr=True).print(
                f"[red]error:[/red] --crs must be one of {', '.join(coordinates.CHOICES)}"
            )
            raise SystemExit(2)
        bureau_id, code = _bureau(bureau)
        try:
            content = path.read_bytes()
        except OSError as exc:
            Console(stderr=True).print(f"[red]error:[/red] {path}: cannot be read ({exc})")
            raise SystemExit(2) from None
        scope = Scope(user_id=None, role=Role.COMMAND_CENTRE, bureau_id=bureau_id)  # type: ignore[arg-type]
        with (
            refusals(after=f"{path}: nothing was saved"),
            identity.acting_as(identity.Actor(username="addresses", role="system")),
            transactions.entry(),
        ):
            n = command_services.import_register(scope, content, filename=path.name, crs=crs)
        converted = f", converted from {crs} to wgs84" if crs != coordinates.DEFAULT else ""
        self.stdout.write(f"{code}: {n:,} address(es) in the register{converted}")
