"""Load the demo city: units, ~1,700 officers with three years of postings, one login per role."""

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from precinct.campaigns import services as campaigns
from precinct.cases import services as cases
from precinct.command import rules as command_rules
from precinct.command import services as command
from precinct.core.errors import ValidationFailed
from precinct.core.ids import uuid7_at
from precinct.core.scoping import Role, Scope
from precinct.geo import rules as geo_rules
from precinct.geo import services as geo
from precinct.identity import services as identity
from precinct.merit import services as merit
from precinct.merit.rules import Month
from precinct.org import services as org
from precinct.org.rules import PostType, UnitKind
from precinct.stats import rules as stats_rules
from precinct.stats import services as stats
from precinct.supervision import services as supervision

from . import campaigngen, casegen, incidentgen, rules, secondmentgen, statsgen

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
]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoResult:
    bureau_id: uuid.UUID
    units: int
    officers: int
    assignments: int
    logins: list[tuple[str, str]]
    cases: int = 0
    findings: int = 0


class Ids:
    """Deterministic UUIDv7s for a seed: the same seed gives the same keys."""

    def __init__(self, rng: random.Random, base_ms: int) -> None:
        self.rng, self.ms = rng, base_ms

    def __call__(self) -> uuid.UUID:
        self.ms += 1
        return uuid7_at(self.ms, self.rng.getrandbits(74))


def _weighted(rng: random.Random, table: list[tuple[PostType, float]]) -> PostType:
    return rng.choices([p for p, _w in table], weights=[w for _p, w in table])[0]


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
    """Create the demo bureau. The caller owns the transaction."""
    report = progress or (lambda stage, done, total: None)
    rng = random.Random(seed)
    ids = Ids(random.Random(seed ^ 0x5EED), base_ms=1_600_000_000_000)

    bureau = org.create_bureau(code=rules.BUREAU[0], name=rules.BUREAU[1])
    root = org.create_unit(
        bureau_id=bureau.pk,
        kind=UnitKind.BUREAU,
        code=rules.BUREAU[0],
        name=rules.BUREAU[1],
        parent_id=None,
    )
    # (unit, kind, headcount, post-type weights, age range or None)
    plan: list[tuple[Any, UnitKind, int, list[tuple[PostType, float]], tuple[int, int] | None]] = []
    order = 0
    total_units = 1 + len(rules.DEPARTMENTS) + 1 + sum(1 + len(s[2]) for s in rules.SUB_BUREAUS)
    for code, name, post, headcount in rules.DEPARTMENTS:
        order += 1
        unit = org.create_unit(
            bureau_id=bureau.pk,
            kind=UnitKind.DEPARTMENT,
            code=code,
            name=name,
            parent_id=root.pk,
            sort_order=order,
        )
        plan.append((unit, UnitKind.DEPARTMENT, headcount, [(post, 1.0)], None))
        report("units", order + 1, total_units)
    for code, name, stations in rules.SUB_BUREAUS:
        order += 1
        sub = org.create_unit(
            bureau_id=bureau.pk,
            kind=UnitKind.SUB_BUREAU,
            code=code,
            name=name,
            parent_id=root.pk,
            sort_order=order,
            area_km2=round(rng.uniform(60, 900), 1),
        )
        plan.append(
            (
                sub,
                UnitKind.SUB_BUREAU,
                rules.SUB_BUREAU_HQ_STAFF,
                rules.SUB_BUREAU_POSTS,
                None,
            )
        )
        for i, station_name in enumerate(stations, start=1):
            order += 1
            st = org.create_unit(
                bureau_id=bureau.pk,
                kind=UnitKind.STATION,
                code=f"{code}{i:02d}",
                name=station_name,
                parent_id=sub.pk,
                sort_order=i,
                area_km2=round(rng.uniform(4, 120), 1),
            )
            plan.append(
                (
                    st,
                    UnitKind.STATION,
                    rng.randint(*rules.STATION_STAFF),
                    rules.STATION_POSTS,
                    None,
                )
            )
            report("units", order + 1, total_units)
    order += 1
    code, name, headcount = rules.PATROL_BRIGADE
    brigade = org.create_unit(
        bureau_id=bureau.pk,
        kind=UnitKind.BRIGADE,
        code=code,
        name=name,
        parent_id=root.pk,
        sort_order=order,
    )
    plan.append((brigade, UnitKind.BRIGADE, headcount, [(PostType.PATROL, 1.0)], (55, 60)))
    report("units", total_units, total_units)

    officers: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    numbers = rng.sample(range(230001, 239999), k=sum(p[2] for p in plan) + 1)
    three_years_ago = today - dt.timedelta(days=3 * 365)
    all_units = [p[0] for p in plan]
    leads: dict[str, uuid.UUID] = {}
    total = sum(p[2] for p in plan)
    for unit, kind, headcount, post_table, ages in plan:
        lead_titles = rules.POSITIONS_LEAD[kind]
        for i in range(headcount):
            lead = i < len(lead_titles)
            person = rules.make_person(rng, today, age_range=ages, lead=lead)
            post = _weighted(rng, post_table)
            oid = ids()
            status = "active"
            if (
                not lead
                and ages is None
                and (today - person.birth_date).days >= 56 * 365
                and rng.random() < 0.35
            ):
                status = "second_line"
            officers.append(
                {
                    "id": oid,
                    "police_number": str(numbers.pop()),
                    "name": person.name,
                    "gender": person.gender,
                    "birth_date": person.birth_date,
                    "hire_date": person.hire_date,
                    "rank": person.rank,
                    "post_type": post.value,
                    "status": status,
                    "party": person.party,
                }
            )
            position = lead_titles[i] if lead else "民警"
            if i == 0:
                leads[unit.code] = oid
            # Three years of history: about a third moved during it (from another unit).
            current_start = max(
                person.hire_date, three_years_ago - dt.timedelta(days=rng.randint(0, 2000))
            )
            if rng.random() < 0.35 and person.hire_date < three_years_ago:
                moved_on = three_years_ago + dt.timedelta(days=rng.randint(30, 3 * 365 - 30))
                before = rng.choice(all_units)
                assignments.append(
                    {
                        "id": ids(),
                        "officer_id": oid,
                        "unit_id": before.pk,
                        "position": "民警",
                        "start": current_start,
                        "end": moved_on,
                        "note": "",
                    }
                )
                current_start = moved_on
            assignments.append(
                {
                    "id": ids(),
                    "officer_id": oid,
                    "unit_id": unit.pk,
                    "position": position,
                    "start": current_start,
                    "end": None,
                    "note": "",
                }
            )
            if len(officers) % 100 == 0:
                report("officers", len(officers), total)
    secondments, roster_seconded = secondmentgen.generate(
        random.Random(seed + 5),
        Ids(random.Random(seed ^ 0x2ECD), base_ms=1_620_000_000_000),
        today=today,
        units=secondmentgen.Units(
            departments={p[0].pk: p[0].code for p in plan if p[1] == UnitKind.DEPARTMENT},
            stations=[p[0].pk for p in plan if p[1] == UnitKind.STATION],
            sub_bureaus=[p[0].pk for p in plan if p[1] == UnitKind.SUB_BUREAU],
            brigade=brigade.pk,
            keep_out=frozenset({next(p[0].pk for p in plan if p[1] == UnitKind.STATION)}),
        ),
        officers=officers,
        assignments=assignments,
    )  # stays move some officers' postings: before the officers are loaded
    org.bulk_load(bureau_id=bureau.pk, officers=officers, assignments=assignments, today=today)
    org.bulk_load_secondments(bureau_id=bureau.pk, rows=secondments)
    report("officers", total, total)

    station = next(p[0] for p in plan if p[1] == UnitKind.STATION)
    station_staff = [
        o["id"] for o, a in _current(officers, assignments) if a["unit_id"] == station.pk
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
    }
    logins = []
    for i, (username, role, title) in enumerate(LOGINS, start=1):
        unit_id, officer_id = links[username]
        identity.create_user(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            bureau_id=bureau.pk,
            unit_id=unit_id,
            officer_id=officer_id,
            display_name=title,
        )
        logins.append((username, role.value))
        report("logins", i, len(LOGINS))
    n_cases, n_findings = _load_cases(
        rng=random.Random(seed + 1),
        bureau_id=bureau.pk,
        plan=plan,
        officers=officers,
        assignments=assignments,
        today=today,
        now=now,
        criminal=criminal_cases,
        administrative=administrative_cases,
        report=report,
    )
    n_achievements = _load_merit(
        rng=random.Random(seed + 2),
        bureau_id=bureau.pk,
        officers=officers,
        assignments=assignments,
        today=today,
        months=merit_months,
        report=report,
    )
    n_zones, n_cars = _load_command(
        rng=random.Random(seed + 3),
        bureau_id=bureau.pk,
        plan=plan,
        brigade=brigade,
        seconded=roster_seconded,
        officers=officers,
        assignments=assignments,
        now=now or dt.datetime.combine(today, dt.time(8), tzinfo=casegen.TZ),
        report=report,
        incident_days=incident_days,
    )
    n_campaigns = _load_campaigns(
        rng=random.Random(seed + 4), bureau_id=bureau.pk, plan=plan, today=today, report=report
    )
    n_figures = _load_stats(
        rng=random.Random(seed + 5), bureau_id=bureau.pk, today=today,
        now=now or dt.datetime.combine(today, dt.time(8), tzinfo=casegen.TZ), report=report,
    )  # fmt: skip
    identity.record(
        "demo_loaded",
        object_type="org.bureau",
        object_id=str(bureau.pk),
        bureau_id=str(bureau.pk),
        detail={
            "seed": seed,
            "units": len(all_units) + 1,
            "officers": len(officers),
            "assignments": len(assignments),
            "cases": n_cases,
            "findings": n_findings,
            "achievements": n_achievements,
            "patrol_zones": n_zones,
            "patrol_cars": n_cars,
            "secondments": len(secondments),
            "campaigns": n_campaigns,
            "imported_figures": n_figures,
        },
    )
    return DemoResult(
        bureau.pk, len(all_units) + 1, len(officers), len(assignments), logins, n_cases, n_findings
    )


def _load_command(
    *,
    rng: random.Random,
    bureau_id: uuid.UUID,
    plan: list[Any],
    brigade: Any,
    seconded: list[uuid.UUID],
    officers: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    now: dt.datetime,
    report: Progress,
    incident_days: int,
) -> tuple[int, int]:
    """The road network (a synthetic Hegang-like city of about 50,000 nodes), one patrol zone per
    station tiling the city, and the 48 patrol cars of the brigade, two officers each, on
    24-hour patrol from their zones' posts."""
    report("road network", 0, 1)
    graph = geo_rules.synthetic_city(seed=rng.randrange(1 << 30))
    geo.install(bureau_id=bureau_id, graph=graph, name="鹤岗市区路网（合成）", source="synthetic")
    report("road network", 1, 1)
    stations = [p[0] for p in plan if p[1] == UnitKind.STATION]
    west, south, east, north = graph.bounds()
    cols = 5
    rows = -(-len(stations) // cols)
    zones = []
    for i, station in enumerate(stations):
        r, c = divmod(i, cols)
        x0, x1 = west + (east - west) * c / cols, west + (east - west) * (c + 1) / cols
        y0, y1 = south + (north - south) * r / rows, south + (north - south) * (r + 1) / rows
        post = geo_rules.snap(graph, (x0 + x1) / 2, (y0 + y1) / 2).node
        zones.append(
            command.ZoneSpec(
                name=f"{station.name}网格",
                station_id=station.pk,
                polygon=[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]],
                post=(float(graph.lon[post]), float(graph.lat[post])),
            )
        )
    crew = [o["id"] for o, a in _current(officers, assignments) if a["unit_id"] == brigade.pk]
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
        bureau_id=bureau_id, unit_id=brigade.pk, zones=zones, cars=cars, now=now
    )
    report("patrol cars", len(cars), len(cars))
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


# What each post type does in a month: (kind, low, high, chance the officer has any).
MONTHLY_WORK: dict[str, list[tuple[str, int, int, float]]] = {
    "criminal": [("case_solved", 1, 3, 0.6), ("arrest", 1, 2, 0.4), ("seizure", 1, 2, 0.2)],
    "community": [("community_visit", 6, 22, 0.95), ("dispute_mediated", 1, 5, 0.7)],
    "patrol": [("incident_handled", 8, 40, 0.95), ("rescue", 1, 1, 0.05), ("arrest", 1, 1, 0.1)],
    "traffic": [("accident_handled", 3, 16, 0.9)],
    "cyber": [("cyber_clue", 1, 5, 0.6), ("case_solved", 1, 1, 0.2)],
    "public_order": [
        ("dispute_mediated", 1, 4, 0.6),
        ("arrest", 1, 2, 0.3),
        ("seizure", 1, 1, 0.2),
    ],
    "legal": [("hq_task", 1, 4, 0.7)],
    "command": [("hq_task", 1, 4, 0.7)],
    "political": [("hq_task", 1, 3, 0.6)],
    "other": [("hq_task", 1, 3, 0.5)],
}
EVERYONE_MONTHLY = [
    ("problem_free_month", 1, 1, 0.85),
    ("campaign_task", 1, 2, 0.25),
    ("public_commendation", 1, 1, 0.03),
]


def _load_merit(
    *,
    rng: random.Random,
    bureau_id: uuid.UUID,
    officers: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    today: dt.date,
    months: int,
    report: Progress,
) -> int:
    """``months`` months of achievements for every officer by post type, every month before this
    one closed, the last closed month's bonuses paid from a funded budget, a few warnings,
    sanctions and awards. Returns the number of achievement records."""
    if months <= 0:
        return 0
    current = Month.of(today)
    span = [current.minus(k) for k in range(months - 1, -1, -1)]
    rows = []
    for o, a in _current(officers, assignments):
        if o.get("status", "active") != "active":
            continue
        work = MONTHLY_WORK.get(str(o["post_type"]), MONTHLY_WORK["other"]) + EVERYONE_MONTHLY
        for m in span:
            last_day = min(m.last, today)
            for kind, low, high, chance in work:
                if rng.random() >= chance:
                    continue
                day = m.first + dt.timedelta(days=rng.randrange((last_day - m.first).days + 1))
                row = {
                    "bureau_id": bureau_id,
                    "officer_id": o["id"],
                    "unit_id": a["unit_id"],
                    "kind": kind,
                    "occurred_on": day,
                    "quantity": rng.randint(low, high),
                    "state": "submitted" if m == current else "approved",
                }
                if kind == "case_solved":
                    row["role"] = "lead" if rng.random() < 0.5 else "assist"
                    row["evidence"] = f"case:XS-{m.year}-{rng.randint(1, 99999):05d}"
                rows.append(row)
    report("merit", 0, len(span))
    n = merit.bulk_load_achievements(rows, by="demo")
    active = [
        (o, a) for o, a in _current(officers, assignments) if o.get("status", "active") == "active"
    ]
    scope = Scope(user_id=None, role=Role.POLITICAL_DEPT, bureau_id=bureau_id, today=today)
    for m in span:  # a few lighter measures every month, now and then a sanction
        for k in range(rng.randint(2, 5)):
            o, _a = rng.choice(active)
            measure, reason = rng.choice(DEMO_MEASURES)
            if k == 0 and rng.random() < 0.2:
                measure, reason = "warning", "违反工作纪律，造成不良影响"
            start = m.first + dt.timedelta(
                days=rng.randrange((min(m.last, today) - m.first).days + 1)
            )
            merit.add_discipline(
                scope, officer_id=o["id"], measure=measure, start=start, reason=reason
            )
    units = sorted({a["unit_id"] for _o, a in active}, key=str)
    sessions = []
    for m in span[:-1]:  # most units hold the month's meeting and publish its warning case
        for unit_id in units:
            if rng.random() < 0.08:
                continue
            sessions.append(
                {"bureau_id": bureau_id, "unit_id": unit_id, "month": str(m),
                 "warning_case": rng.choice(DEMO_WARNING_CASES),
                 "warning_published": rng.random() < 0.9, "theme": rng.choice(DEMO_THEMES),
                 "held_on": m.next().first + dt.timedelta(days=rng.randrange(5)),
                 "attendance": rng.randint(12, 60), "minutes": "传达本月警示案例，表彰星级民警。"}
            )  # fmt: skip
    merit.bulk_load_sessions(sessions)
    for i, m in enumerate(span[:-1], start=1):
        merit.close_month(bureau_id, m, by="demo", today=today)
        report("merit", i, len(span))
    for m in span[-4:-1]:  # the last months: commendations and a third-class merit, paid
        merit.fund_month(bureau_id, m, amount_fen=300_000_000 if m == span[-2] else 20_000_000,
                         by="demo")  # fmt: skip
        best = [o for o in merit.month_results(scope, m)["officers"] if o["stars"] >= 4]
        for k, o in enumerate(rng.sample(best, min(len(best), 5))):
            level, deed = ("third_class", "破获系列案件，表现突出") if k == 0 else (
                "commendation", f"{m}月工作成绩显著")  # fmt: skip
            day = min(m.last, today) - dt.timedelta(days=2)
            award = merit.propose_award(
                scope, officer_id=uuid.UUID(o["officer"]), level=level, deed=deed,
                notice_start=day - dt.timedelta(days=14), notice_end=day,
            )  # fmt: skip
            try:
                merit.decide_award(scope, award.pk, approve=True, today=day)
            except ValidationFailed:
                merit.decide_award(scope, award.pk, approve=False, today=day)
    if len(span) > 1:
        merit.pay_month(bureau_id, span[-2], by="demo")
    _load_inductions(rng, scope, active, today)
    report("merit", len(span), len(span))
    return n


def _load_inductions(
    rng: random.Random,
    scope: Scope,
    active: list[tuple[dict[str, Any], dict[str, Any]]],
    today: dt.date,
) -> None:
    """Most recruits met a leader within days; about half have a mentor from their own unit;
    the rest wait (the page's list)."""
    since = today - dt.timedelta(days=365)
    seniors: dict[Any, list[dict[str, Any]]] = {}
    for o, a in active:
        if o["hire_date"] < today - dt.timedelta(days=365 * 8):
            seniors.setdefault(a["unit_id"], []).append(o)
    leaders = [o for o, _a in active if o["hire_date"] < today - dt.timedelta(days=365 * 20)]
    for o, a in sorted(active, key=lambda t: t[0]["police_number"]):
        if o["hire_date"] < since or rng.random() < 0.25 or not leaders:
            continue
        met = min(today, o["hire_date"] + dt.timedelta(days=rng.randint(1, 20)))
        mentor = rng.choice(seniors[a["unit_id"]]) if seniors.get(a["unit_id"]) else None
        paired = mentor is not None and rng.random() < 0.6
        try:
            merit.record_induction(
                scope, o["id"], today=today,
                leader_number=rng.choice(leaders)["police_number"], met_on=met,
                mentor_number=mentor["police_number"] if paired and mentor else "",
                mentor_from=min(today, met + dt.timedelta(days=7)) if paired else None,
            )  # fmt: skip
        except ValidationFailed:
            continue  # e.g. the chosen mentor is serving a sanction: the recruit waits


DEMO_MEASURES = [
    ("talk_reminder", "值班期间脱岗"),
    ("talk_reminder", "接处警记录不规范"),
    ("criticism", "执法记录仪未全程开启"),
    ("criticism", "案卷材料归档超期"),
    ("admonition", "受案登记不及时"),
    ("warning_education", "违规使用警车"),
]
DEMO_WARNING_CASES = [
    "某派出所民警违规查询公民个人信息案",
    "某民警酒后驾驶机动车案",
    "某所办案超期羁押被问责案",
    "某民警收受当事人财物案",
    "某队接警后未及时出警被通报案",
    "某民警泄露案情被处分案",
]
DEMO_THEMES = [
    "规范执法，从我做起", "忠诚担当，争创星级", "严守纪律，警钟长鸣", "为民服务，街面见警",
    "传帮带，新警成长", "执法监督，问题清零",
]  # fmt: skip


def _current(
    officers: list[dict[str, Any]], assignments: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    open_by_officer = {a["officer_id"]: a for a in assignments if a["end"] is None}
    return [(o, open_by_officer[o["id"]]) for o in officers]


def is_empty() -> bool:
    return org.first_bureau() is None


def _load_cases(
    *,
    rng: random.Random,
    bureau_id: uuid.UUID,
    plan: list[Any],
    officers: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    today: dt.date,
    now: dt.datetime | None,
    criminal: int,
    administrative: int,
    report: Progress,
) -> tuple[int, int]:
    """Three years of criminal and administrative cases across the stations and sub-bureaus, with
    their findings and the tickets for their problem points."""
    if criminal + administrative == 0:
        return 0, 0
    staff: dict[uuid.UUID, list[uuid.UUID]] = {}
    for o, a in _current(officers, assignments):
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
    moment = now or dt.datetime.combine(today, dt.time(8), tzinfo=casegen.TZ)
    cases.bulk_load(cases=rows, events=events)
    report("cases", len(timelines), len(timelines))
    swept = supervision.sweep(
        now=moment, bureau_id=bureau_id, progress=lambda d, t: report("findings", d, t)
    )
    return len(rows), swept.findings


def _load_campaigns(
    *,
    rng: random.Random,
    bureau_id: uuid.UUID,
    plan: list[Any],
    today: dt.date,
    report: Progress,
) -> int:
    """The 23 special campaigns, their checklists and targets, linked to the demo's own cases
    and incidents."""
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


def _load_stats(
    *,
    rng: random.Random,
    bureau_id: uuid.UUID,
    today: dt.date,
    now: dt.datetime,
    report: Progress,
) -> int:
    """The computed monthly figures, and ten years of imported returns before them."""
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
