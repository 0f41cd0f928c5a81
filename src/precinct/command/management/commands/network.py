"""`precinct network load FILE.osm.pbf [--bureau CODE] [--profile FILE.json]`, `precinct network synthetic`,
`precinct network info`: the bureau's road network for routing and the dispatch map;
`precinct network addresses FILE.csv|.xlsx`: its standard address register."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.table import Table

from precinct.command import services as command_services
from precinct.common import transactions
from precinct.common.cli import refusals
from precinct.core.roles import Role
from precinct.core.scoping import Scope
from precinct.geo import osm
from precinct.geo import rules as geo_rules
from precinct.geo import services as geo
from precinct.geo.rules import crs as coordinates
from precinct.geo.rules import profile as car_profile
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


def _car_profile(path: Path | None) -> car_profile.CarProfile:
    """The car profile from a JSON file (the default when none is given); exit 2 naming the
    field that is wrong."""
    if path is None:
        return car_profile.DEFAULT
    err = Console(stderr=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return car_profile.CarProfile.from_dict(data)
    except OSError as exc:
        err.print(f"[red]error:[/red] {path}: cannot be read ({exc.strerror})", highlight=False)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        err.print(f"[red]error:[/red] {path}: not JSON ({exc})", highlight=False)
    except car_profile.ProfileError as exc:
        err.print(f"[red]error:[/red] {path}: {exc}", highlight=False)
    raise SystemExit(2)


# what the load left out, in the words of the table (the keys are the report's)
REASONS = {
    "not_for_cars": "非机动车道路(人行道、自行车道、台阶等)",
    "area": "面状道路(area=yes)",
    "access_closed": "禁止机动车通行(motor_vehicle=no 等)",
    "reversible": "潮汐车道,未注明通行时段(oneway=reversible)",
    "missing_node": "节点不在数据范围内(道路在此断开)",
    "island": "与主路网不相连的孤立路网",
    "isolated_node": "不在任何路段上的节点",
    "self_loop": "首尾相同的路段",
    "parallel_edge": "重复的平行路段(保留最快者)",
    "restriction_missing_member": "转向限制:成员不在数据范围内",
    "restriction_not_drivable": "转向限制:成员道路汽车不能通行",
    "restriction_not_adjacent": "转向限制:成员道路互不相接",
    "restriction_ambiguous": "转向限制:道路穿过经由点,转向不明",
    "restriction_invalid": "转向限制:标注不完整或无效",
    "restriction_exempt": "转向限制:本局车辆豁免(except=)",
    "restriction_other_vehicle": "转向限制:只约束其他车型",
    "restriction_timed": "转向限制:限时,按配置不采用",
    "restriction_outside": "转向限制:不在保留的路网内",
}
NOTES = {
    "ways_broken_at_a_missing_node": "条道路在缺失节点处断开",
    "restriction_timed_kept_all_day": "条限时转向限制按全天执行",
    "restriction_nothing_else_to_forbid": "条 only_* 限制在路口已无其他去向",
    "barriers_closed": "处路障(桩、墩、禁行闸门)不可穿越",
    "oneway_condition_weekdays": "条单行时段只在部分日子有效,按每天计(从严)",
    "oneway_condition_unparsed": "条单行时段条件无法识别,按从严处理",
    "maxspeed_not_understood": "条道路限速值无法识别,不设上限",
}


def _print_report(console: Console, code: str, name: str, summary: dict[str, Any]) -> None:
    read, kept = summary["read"], summary["kept"]
    console.print(
        f"{code}: {name} — 保留 {kept['nodes']:,} 个节点、{kept['edges']:,} 条边"
        f"({kept['length_km']:,.1f} km,{kept['ways']:,}/{read['ways']:,} 条道路)\n"
        f"  转向限制 {kept['restrictions']}/{read['restrictions']} 条"
        f"({kept['forbidden_sequences']} 个禁行序列);"
        f"仅限出入的路段 {kept['destination_edges']:,} 条;分时段通行的路段 {kept['timed_edges']:,} 条",
        highlight=False,
    )
    table = Table(title=f"未采用的部分(读入 {read['nodes']:,} 个节点)")
    for column in ("原因", "道路", "节点", "边", "长度 km", "转向限制"):
        table.add_column(column, justify="left" if column == "原因" else "right")
    dropped = summary["dropped"]
    order = [r for r in REASONS if r in dropped] + sorted(set(dropped) - set(REASONS))
    for reason in order:
        row = dropped[reason]
        table.add_row(
            f"{REASONS.get(reason, reason)} [dim]{reason}[/dim]",
            f"{int(row['ways']):,}" if row["ways"] else "",
            f"{int(row['nodes']):,}" if row["nodes"] else "",
            f"{int(row['edges']):,}" if row["edges"] else "",
            f"{row['length_m'] / 1000:,.2f}" if row["length_m"] else "",
            f"{int(row.get('restrictions', 0)):,}" if row.get("restrictions") else "",
        )
    console.print(table)
    dropped_nodes = sum(int(row["nodes"]) for row in dropped.values())
    console.print(
        f"节点:保留 {kept['nodes']:,} + 未采用 {dropped_nodes:,} = 读入 {read['nodes']:,}",
        highlight=False,
    )
    for key, n in summary["notes"].items():
        console.print(f"  {n:,} {NOTES.get(key, key)}", highlight=False)


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
        profile: Annotated[
            Path | None,
            typer.Option(
                help="The bureau's car profile (JSON): patrol speeds, zone limits, access, "
                "exemptions; what it leaves out is the default (docs/command.md)."
            ),
        ] = None,
    ) -> None:
        """Read the roads a patrol car may drive in an OSM extract and make them the bureau's
        network; print what was left out, by reason."""
        console = Console(stderr=True)
        car = _car_profile(profile)
        bureau_id, code = _bureau(bureau)
        report = osm.Report()
        with console.status(f"reading {path} …"):
            try:
                graph = osm.load(path, profile=car, dropped=report)
            except geo_rules.NetworkError as exc:
                console.print(f"[red]{exc}")
                raise SystemExit(2) from None
        summary = report.summary()
        try:
            with (
                identity.acting_as(identity.Actor(username="cli", role="system")),
                transactions.entry(),
            ):
                geo.install(
                    bureau_id=bureau_id,  # type: ignore[arg-type]
                    graph=graph,
                    name=name or path.name,
                    source="osm",
                    area=command_services.bureau_places(bureau_id),  # type: ignore[arg-type]
                    report=summary,
                    profile=car.to_dict(),
                )
        except geo_rules.NetworkError as exc:
            console.print(f"[red]{path}: {exc}; nothing was installed", highlight=False)
            raise SystemExit(2) from None
        _print_report(Console(), code, path.name, summary)

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
