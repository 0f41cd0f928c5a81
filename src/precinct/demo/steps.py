"""The first steps of the demo city (its units, officers and postings) and what all steps share."""

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from precinct.core.ids import uuid7_at
from precinct.org import services as org
from precinct.org.rules import PostType, UnitKind

from . import rules, secondmentgen

Progress = Callable[[str, int, int], None]
# A unit and what staffs it: (unit, kind, headcount, post-type weights, age range or None).
PlanRow = tuple[Any, UnitKind, int, list[tuple[PostType, float]], tuple[int, int] | None]


class Ids:
    """Deterministic UUIDv7s for a seed: the same seed gives the same keys."""

    def __init__(self, rng: random.Random, base_ms: int) -> None:
        self.rng, self.ms = rng, base_ms

    def __call__(self) -> uuid.UUID:
        self.ms += 1
        return uuid7_at(self.ms, self.rng.getrandbits(74))


@dataclass(frozen=True)
class Units:
    """The bureau's own unit, every unit below it with what staffs it, and the patrol brigade."""

    root: Any
    plan: list[PlanRow]
    brigade: Any


@dataclass(frozen=True)
class Staff:
    """The officers and their postings (rows for the bulk load), and each unit's head by code."""

    officers: list[dict[str, Any]]
    assignments: list[dict[str, Any]]
    leads: dict[str, uuid.UUID]


@dataclass(frozen=True)
class City:
    """What the steps after the organisation share."""

    bureau_id: uuid.UUID
    today: dt.date
    now: dt.datetime
    report: Progress
    units: Units
    staff: Staff


def create_units(rng: random.Random, *, bureau_id: uuid.UUID, report: Progress) -> Units:
    """The bureau's unit tree: its departments, sub-bureaus and their stations, the brigade."""
    root = org.create_unit(
        bureau_id=bureau_id,
        kind=UnitKind.BUREAU,
        code=rules.BUREAU[0],
        name=rules.BUREAU[1],
        parent_id=None,
    )
    plan: list[PlanRow] = []
    order = 0
    total_units = 1 + len(rules.DEPARTMENTS) + 1 + sum(1 + len(s[2]) for s in rules.SUB_BUREAUS)
    for code, name, post, headcount in rules.DEPARTMENTS:
        order += 1
        unit = org.create_unit(
            bureau_id=bureau_id,
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
            bureau_id=bureau_id,
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
                bureau_id=bureau_id,
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
        bureau_id=bureau_id,
        kind=UnitKind.BRIGADE,
        code=code,
        name=name,
        parent_id=root.pk,
        sort_order=order,
    )
    plan.append((brigade, UnitKind.BRIGADE, headcount, [(PostType.PATROL, 1.0)], (55, 60)))
    report("units", total_units, total_units)
    return Units(root, plan, brigade)


def make_officers(
    rng: random.Random, ids: Ids, *, units: Units, today: dt.date, report: Progress
) -> Staff:
    """Every unit's officers with three years of postings (rows, not stored yet)."""
    plan = units.plan
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
    return Staff(officers, assignments, leads)


def second_officers(
    rng: random.Random, ids: Ids, *, units: Units, staff: Staff, today: dt.date
) -> tuple[list[dict[str, Any]], list[uuid.UUID]]:
    """Secondments (动态用警) and the officers seconded to the brigade, in roster order. Stays
    move some officers' postings in ``staff``: run before the officers are stored."""
    plan = units.plan
    return secondmentgen.generate(
        rng,
        ids,
        today=today,
        units=secondmentgen.Units(
            departments={p[0].pk: p[0].code for p in plan if p[1] == UnitKind.DEPARTMENT},
            stations=[p[0].pk for p in plan if p[1] == UnitKind.STATION],
            sub_bureaus=[p[0].pk for p in plan if p[1] == UnitKind.SUB_BUREAU],
            brigade=units.brigade.pk,
            keep_out=frozenset({next(p[0].pk for p in plan if p[1] == UnitKind.STATION)}),
        ),
        officers=staff.officers,
        assignments=staff.assignments,
    )


def store_officers(
    *,
    bureau_id: uuid.UUID,
    staff: Staff,
    secondments: list[dict[str, Any]],
    today: dt.date,
    report: Progress,
) -> None:
    """Bulk-load the officers, their postings and their secondments."""
    org.bulk_load(
        bureau_id=bureau_id, officers=staff.officers, assignments=staff.assignments, today=today
    )
    org.bulk_load_secondments(bureau_id=bureau_id, rows=secondments)
    total = len(staff.officers)
    report("officers", total, total)


def current_postings(
    officers: list[dict[str, Any]], assignments: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each officer with their posting in force."""
    open_by_officer = {a["officer_id"]: a for a in assignments if a["end"] is None}
    return [(o, open_by_officer[o["id"]]) for o in officers]


def _weighted(rng: random.Random, table: list[tuple[PostType, float]]) -> PostType:
    return rng.choices([p for p, _w in table], weights=[w for _p, w in table])[0]
