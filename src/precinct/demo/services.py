"""Load the demo city: units, ~1,700 officers with three years of postings, one login per role."""

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from precinct.campaigns import services as campaigns
from precinct.cases import services as cases
from precinct.command import rules as command_rules
from precinct.command import services as command
from precinct.common import transactions
from precinct.core.scoping import Role, Scope
from precinct.geo import rules as geo_rules
from precinct.geo import services as geo
from precinct.identity import services as identity
from precinct.org import services as org
from precinct.org.rules import UnitKind
from precinct.stats import rules as stats_rules
from precinct.stats import services as stats
from precinct.supervision import services as supervision

from . import campaigngen, casegen, incidentgen, meritsteps, pings, rules, statsgen, steps
from .steps import City, Ids, Progress, current_postings

DEMO_PASSWORD = "Hegang-Demo-2026!"  # noqa: S105 - documented demo credential; no demo in production
LOGINS: list[tuple[str, Role, str]] = [
    ("leader", Role.LEADERSHIP, "局长"),
    ("political", Role.POLITICAL_DEPT, "政治部"),
    ("legal", Role.LEGAL_SUPERVISION, "法制支队"),
    ("command", Role.COMMAND_CENTRE, "指挥中心"),
    ("chief", Role.UNIT_CHIEF, "所长"),
    ("officer", Role.OFFICER, "民警"),
    ("sysadmin", Role.SYSADMIN, "系统管理员"),
    ("auditor", Role.AUDITOR, "审计员"),
    ("secadmin", Role.SECURITY_ADMIN, "安全保密管理员"),
]


@dataclass(frozen=True)
class DemoResult:
    bureau_id: uuid.UUID
    units: int
    officers: int
    assignments: int
    logins: list[tuple[str, str]]
    cases: int = 0
    findings: int = 0


@transactions.inside
def load(
    *,
    seed: int,
    today: dt.date,
    progress: Progress | None = None,
    criminal_cases: int = 5000,
    administrative_cases: int = 15000,
    now: dt.datetime | None = None,
    merit_months: int = 24,
    incident_days: int = 365,
) -> DemoResult:
    """Create the demo bureau. The caller owns the transaction. The random streams are seeded
    here, one a step (the units and the officers share one), and the steps run in this order:
    the same seed gives the same city."""
    report = progress or (lambda stage, done, total: None)
    rng = random.Random(seed)  # the units, then the officers
    bureau = org.create_bureau(code=rules.BUREAU[0], name=rules.BUREAU[1])
    units = steps.create_units(rng, bureau_id=bureau.pk, report=report)
    staff = steps.make_officers(
        rng, Ids(random.Random(seed ^ 0x5EED), base_ms=1_600_000_000_000),
        units=units, today=today, report=report,
    )  # fmt: skip
    secondments, seconded = steps.second_officers(
        random.Random(seed + 5), Ids(random.Random(seed ^ 0x2ECD), base_ms=1_620_000_000_000),
        units=units, staff=staff, today=today,
    )  # fmt: skip
    steps.store_officers(
        bureau_id=bureau.pk, staff=staff, secondments=secondments, today=today, report=report
    )
    moment = now or dt.datetime.combine(today, dt.time(8), tzinfo=casegen.TZ)
    city = City(bureau.pk, today, moment, report, units, staff)
    logins = _create_logins(city)
    n_cases, n_findings = _load_cases(
        city, random.Random(seed + 1), criminal=criminal_cases, administrative=administrative_cases
    )
    n_achievements = meritsteps.load_merit(city, random.Random(seed + 2), months=merit_months)
    n_zones, n_cars = _load_command(
        city, random.Random(seed + 3), seconded=seconded, incident_days=incident_days
    )
    n_campaigns = _load_campaigns(city, random.Random(seed + 4))
    n_figures = _load_stats(city, random.Random(seed + 5))
    _record_loaded(
        city, seed=seed, units=len(units.plan) + 1, officers=len(staff.officers),
        assignments=len(staff.assignments), cases=n_cases, findings=n_findings,
        achievements=n_achievements, patrol_zones=n_zones, patrol_cars=n_cars,
        secondments=len(secondments), campaigns=n_campaigns, imported_figures=n_figures,
    )  # fmt: skip
    return DemoResult(
        bureau.pk, len(units.plan) + 1, len(staff.officers), len(staff.assignments), logins,
        n_cases, n_findings,
    )  # fmt: skip


def _create_logins(city: City) -> list[tuple[str, str]]:
    """One login per role: the chief and the officer are the first station's first and last."""
    bureau_id, units, staff, report = city.bureau_id, city.units, city.staff, city.report
    root, plan, leads = units.root, units.plan, staff.leads
    station = next(p[0] for p in plan if p[1] == UnitKind.STATION)
    station_staff = [
        o["id"]
        for o, a in current_postings(staff.officers, staff.assignments)
        if a["unit_id"] == station.pk
    ]
    links: dict[str, tuple[uuid.UUID | None, uuid.UUID | None]] = {
        "leader": (root.pk, None),
        "political": (root.pk, leads["ZZB"]),
        "legal": (root.pk, leads["FZ"]),
        "command": (root.pk, leads["ZH"]),
        "chief": (station.pk, station_staff[0]),
        "officer": (station.pk, station_staff[-1]),
        "sysadmin": (None, None),
        "auditor": (None, None),
        "secadmin": (None, None),
    }
    logins = []
    for i, (username, role, title) in enumerate(LOGINS, start=1):
        unit_id, officer_id = links[username]
        identity.create_user(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            bureau_id=bureau_id,
            unit_id=unit_id,
            officer_id=officer_id,
            display_name=title,
        )
        logins.append((username, role.value))
        report("logins", i, len(LOGINS))
    return logins


def _create_crew_logins(city: City, cars: list[command.CarSpec], *, unit_id: uuid.UUID) -> int:
    """A login for each car's crew terminal (``crew01`` for 巡01, …): an officer account of the
    car's first crew member, with the demo password, hashed once for all of them."""
    from django.contrib.auth.hashers import make_password

    hashed = make_password(DEMO_PASSWORD)
    made = 0
    for car in cars:
        if not car.crew:
            continue
        identity.create_user(
            username=f"crew{car.call_sign.removeprefix('巡')}",
            password=DEMO_PASSWORD,
            password_hash=hashed,
            role=Role.OFFICER,
            bureau_id=city.bureau_id,
            unit_id=unit_id,
            officer_id=car.crew[0],
            display_name=f"{car.call_sign}车组",
        )
        made += 1
    city.report("crew logins", made, len(cars))
    return made


def _record_loaded(city: City, **detail: int) -> None:
    """The audit log's entry for the load, with what it made."""
    bureau_id = str(city.bureau_id)
    identity.record(
        "demo_loaded",
        object_type="org.bureau",
        object_id=bureau_id,
        bureau_id=bureau_id,
        detail=detail,
    )


def is_empty() -> bool:
    return org.first_bureau() is None


def _load_cases(
    city: City, rng: random.Random, *, criminal: int, administrative: int
) -> tuple[int, int]:
    """Three years of criminal and administrative cases across the stations and sub-bureaus, with
    their findings and the tickets for their problem points."""
    bureau_id, plan, today, report = city.bureau_id, city.units.plan, city.today, city.report
    officers, assignments = city.staff.officers, city.staff.assignments
    if criminal + administrative == 0:
        return 0, 0
    staff: dict[uuid.UUID, list[uuid.UUID]] = {}
    for o, a in current_postings(officers, assignments):
        staff.setdefault(a["unit_id"], []).append(o["id"])
    stations = [p[0] for p in plan if p[1] == UnitKind.STATION]
    sub_bureaus = [p[0] for p in plan if p[1] == UnitKind.SUB_BUREAU]
    timelines = casegen.generate(
        rng, criminal_n=criminal, administrative_n=administrative, today=today
    )
    ids = Ids(random.Random(rng.random()), base_ms=1_650_000_000_000)
    rows, events = [], []
    for n, tl in enumerate(timelines, start=1):
        unit = rng.choice(sub_bureaus + stations if tl.kind == "criminal" else stations)
        case_id = ids()
        rows.append(
            {
                "id": case_id,
                "bureau_id": bureau_id,
                "number": tl.number,
                "kind": tl.kind,
                "title": tl.title,
                "unit_id": unit.pk,
                "lead_officer_id": rng.choice(staff.get(unit.pk) or [None]),
                "flags": tl.flags,
            }
        )
        for seq, (etype, at, subject, attrs) in enumerate(tl.events, start=1):
            events.append(
                {
                    "id": ids(),
                    "bureau_id": bureau_id,
                    "case_id": case_id,
                    "seq": seq,
                    "type": etype,
                    "at": at,
                    "subject": subject or "",
                    "attrs": attrs,
                    "recorded_by": "demo",
                }
            )
        if n % 1000 == 0:
            report("cases", n, len(timelines))
    cases.bulk_load(cases=rows, events=events)
    report("cases", len(timelines), len(timelines))
    swept = supervision.sweep(
        now=city.now, bureau_id=bureau_id, progress=lambda d, t: report("findings", d, t)
    )
    return len(rows), swept.findings


def _load_command(
    city: City, rng: random.Random, *, seconded: list[uuid.UUID], incident_days: int
) -> tuple[int, int]:
    """The road network (a synthetic Hegang-like city of about 50,000 nodes), one patrol zone per
    station tiling the city, and the 48 patrol cars of the brigade, two officers each, on
    24-hour patrol from their zones' posts."""
    bureau_id, plan, brigade = city.bureau_id, city.units.plan, city.units.brigade
    officers, assignments = city.staff.officers, city.staff.assignments
    now, report = city.now, city.report
    report("road network", 0, 1)
    graph = geo_rules.synthetic_city(seed=rng.randrange(1 << 30))
    geo.install(bureau_id=bureau_id, graph=graph, name="鹤岗市区路网（合成）", source="synthetic")
    report("road network", 1, 1)
    command.replace_register(bureau_id, _address_register(graph))
    stations = [p[0] for p in plan if p[1] == UnitKind.STATION]
    west, south, east, north = graph.bounds()
    cols = 5
    rows = -(-len(stations) // cols)
    zones = []
    for i, station in enumerate(stations):
        r, c = divmod(i, cols)
        x0, x1 = west + (east - west) * c / cols, west + (east - west) * (c + 1) / cols
        y0, y1 = south + (north - south) * r / rows, south + (north - south) * (r + 1) / rows
        post = geo_rules.snap(graph, (x0 + x1) / 2, (y0 + y1) / 2, role="start").node
        zones.append(
            command.ZoneSpec(
                name=f"{station.name}网格",
                station_id=station.pk,
                polygon=[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]],
                post=(float(graph.lon[post]), float(graph.lat[post])),
            )
        )
    crew = [
        o["id"] for o, a in current_postings(officers, assignments) if a["unit_id"] == brigade.pk
    ]
    rng.shuffle(crew)
    cars = [
        command.CarSpec(
            call_sign=f"巡{n:02d}",
            zone=(n - 1) % len(zones),
            crew=tuple(crew[2 * (n - 1) : 2 * n]),
        )
        for n in range(1, 49)
    ]
    made = command.install_fleet(
        bureau_id=bureau_id,
        unit_id=brigade.pk,
        zones=zones,
        cars=cars,
        # the cars are placed at the day's start: the demo's moment (08:00) is still ahead
        # before 8 in the morning, and a car placed in the future ignores its terminal's pings
        now=dt.datetime.combine(city.today, dt.time(0), tzinfo=casegen.TZ),
    )
    report("patrol cars", len(cars), len(cars))
    _create_crew_logins(city, cars, unit_id=brigade.pk)
    # the cars' last days of position pings, and the traffic profile learned from them
    report("pings", 0, 1)
    n_pings = pings.load(
        bureau_id=bureau_id, graph=graph, end=now, seed=int(graph.digest()[:8], 16)
    )
    report("pings", n_pings, n_pings)
    # The 24-hour roster: one officer a car a 12-hour shift; the brigade's 120 are joined by
    # the public-order officers seconded from headquarters to the brigade (动态用警, ``seconded``)
    # to cover the rest after nights.
    today = now.astimezone(casegen.TZ).date()
    slots = command_rules.roster(crew + seconded, len(cars), today - dt.timedelta(days=1), 8)
    command.install_roster(bureau_id=bureau_id, call_signs=[c.call_sign for c in cars], slots=slots)
    if incident_days > 0:
        history = incidentgen.generate(
            graph,
            posts=[z.post for z in zones],
            car_posts=[c.zone for c in cars],
            start=today - dt.timedelta(days=incident_days),
            days=incident_days,
            seed=rng.randrange(1 << 30),
        )
        command.bulk_load_history(
            bureau_id=bureau_id,
            incidents=history.incidents,
            dispatches=history.dispatches,
            off_duty=history.off_duty,
            zone_names=[z.name for z in zones],
            call_signs=[c.call_sign for c in cars],
            seed=rng.randrange(1 << 30),
        )
        report("incidents", len(history.incidents), len(history.incidents))
    return made


def _address_register(graph: geo_rules.RoadGraph) -> list[command_rules.AddressRow]:
    """The standard address register of the demo city, from its own streets: the street and
    number the incidents' addresses use for a crossing (``incidentgen``) name that crossing."""
    first_round = min(graph.n_nodes, len(incidentgen.STREETS) * incidentgen.NUMBERS_A_STREET)
    return [
        command_rules.AddressRow(
            *incidentgen.address_of(node), float(graph.lon[node]), float(graph.lat[node])
        )
        for node in range(first_round)
    ]


def _load_campaigns(city: City, rng: random.Random) -> int:
    """The 23 special campaigns, their checklists and targets, linked to the demo's own cases
    and incidents."""
    bureau_id, plan, today, report = city.bureau_id, city.units.plan, city.today, city.report
    report("campaigns", 0, 1)
    scope = Scope(user_id=None, role=Role.LEGAL_SUPERVISION, bureau_id=bureau_id, today=today)
    units = [campaigngen.UnitRef(p[0].pk, p[0].code, p[0].name, str(p[1])) for p in plan]
    case_rows = list(
        cases.scope_cases(scope).order_by("number").values_list("pk", "number", "title", "unit_id")
    )
    incidents = {
        category: list(
            command.scope_incidents(scope)
            .filter(category=category)
            .order_by("-received_at")
            .values_list("pk", "number", "address", "station_id")[:400]
        )
        for category in ("criminal", "public_order", "traffic", "help")
    }
    made, _items, _links = campaigns.bulk_load(
        bureau_id,
        campaigngen.generate(rng, today=today, units=units, cases=case_rows, incidents=incidents),
        by="demo",
    )
    report("campaigns", 1, 1)
    return made


def _load_stats(city: City, rng: random.Random) -> int:
    """The computed monthly figures, and ten years of imported returns before them."""
    bureau_id, today, now, report = city.bureau_id, city.today, city.now, city.report
    report("statistics", 0, 1)
    stats.refresh(bureau_id, now=now)
    firsts = stats.covered_from(bureau_id)
    last = stats.default_reference(today)
    if not firsts:
        report("statistics", 1, 1)
        return 0
    scope = Scope(user_id=None, role=Role.LEADERSHIP, bureau_id=bureau_id, today=today)
    start = min(firsts.values())
    covered = stats.monthly(scope, first=start, last=max(start, last))
    level: dict[str, float] = {}
    for m in stats_rules.METRICS:
        if m.family in firsts:
            values = [
                row["values"][m.code]
                for row in covered
                if row["month"] >= f"{firsts[m.family]:%Y-%m}" and row["month"] <= f"{last:%Y-%m}"
                and row["values"][m.code] is not None
            ]  # fmt: skip
            level[m.code] = sum(values) / len(values) if values else 0.0
    figures = statsgen.generate(rng, covered_from=firsts, last_complete=last, monthly_level=level)
    n = stats.bulk_import(bureau_id, figures)
    report("statistics", 1, 1)
    return n
