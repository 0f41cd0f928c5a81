"""A tiny bureau made through the services, for the race tests: committed rows that several
connections (threads) share, without the demo city. Each call makes a bureau of its own, so a
database that still holds the demo city (or another tiny bureau) takes it as well; the tests
count what they make, never the whole table.

    tiny = tiny_bureau()
    tiny.user("command")          # an account of that role in the tiny bureau
    tiny.officers, tiny.cars      # ten officers, two patrol cars with positions
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from precinct.common import transactions
from precinct.core import clock
from precinct.core.roles import Role

# one of each kind of officer the race tests need: veterans (mentors), recruits, a patrol crew
HIRED = [
    dt.date(2006, 7, 1),
    dt.date(2009, 7, 1),
    dt.date(2011, 7, 1),
    dt.date(2013, 7, 1),
    dt.date(2016, 7, 1),
    dt.date(2018, 7, 1),
    dt.date(2020, 7, 1),
    dt.date(2022, 7, 1),
    dt.date(2024, 7, 1),
    dt.date(2025, 3, 1),  # a recruit
]


@dataclass
class Tiny:
    bureau_id: uuid.UUID
    station_id: uuid.UUID
    officers: list[Any]
    cars: list[Any]
    users: dict[str, Any]

    def user(self, role: str) -> Any:
        return self.users[role]


def tiny_bureau(*, cars: int = 2) -> Tiny:
    """A bureau with a sub-bureau, one station and the patrol brigade; ten officers; a small
    synthetic road network with one patrol zone; ``cars`` cars at its post; an account for each
    role the race tests sign in as (command, political, legal, chief, officer)."""
    from precinct.command import services as command
    from precinct.geo import rules as geo_rules
    from precinct.geo import services as geo
    from precinct.identity import services as identity
    from precinct.org import rules as org_rules
    from precinct.org import services as org
    from precinct.org.models import Assignment, Officer

    tag = uuid.uuid4().hex[:6]
    kind = org_rules.UnitKind
    with identity.acting_as(identity.Actor(username="test", role="system")), transactions.entry():
        bureau = org.create_bureau(code=f"T{tag}", name=f"测试局{tag}")
        root = org.create_unit(
            bureau_id=bureau.pk, kind=kind.BUREAU, code="root", name="测试市公安局", parent_id=None
        )
        sub = org.create_unit(
            bureau_id=bureau.pk, kind=kind.SUB_BUREAU, code="sub", name="测试分局",
            parent_id=root.pk,
        )  # fmt: skip
        station = org.create_unit(
            bureau_id=bureau.pk, kind=kind.STATION, code="st1", name="测试派出所",
            parent_id=sub.pk,
        )  # fmt: skip
        brigade = org.create_unit(
            bureau_id=bureau.pk, kind=kind.BRIGADE, code="patrol", name="巡警大队",
            parent_id=root.pk,
        )  # fmt: skip
        officers = []
        for n, hired in enumerate(HIRED):
            officer = Officer.objects.create(
                bureau_id=bureau.pk,
                police_number=f"9{n:05d}",
                name=f"测试警员{n}",
                gender="M" if n % 2 else "F",
                birth_date=dt.date(hired.year - 23, 3, 1),
                hire_date=hired,
                rank=org_rules.RANKS[0],
                post_type=org_rules.PostType.PATROL if n >= 8 else org_rules.PostType.COMMUNITY,
                current_unit=brigade if n >= 8 else station,
                current_position="民警",
            )
            Assignment.objects.create(
                bureau_id=bureau.pk, officer=officer, unit=officer.current_unit,
                position="民警", start=hired,
            )  # fmt: skip
            officers.append(officer)
        graph = geo_rules.synthetic_city(seed=3, rows=12, cols=12)
        geo.install(bureau_id=bureau.pk, graph=graph, name="测试路网", source="synthetic")
        west, south, east, north = graph.bounds()
        post = geo_rules.snap(graph, (west + east) / 2, (south + north) / 2).node
        zone = command.ZoneSpec(
            name="测试网格",
            station_id=station.pk,
            polygon=[[west, south], [east, south], [east, north], [west, north], [west, south]],
            post=(float(graph.lon[post]), float(graph.lat[post])),
        )
        command.install_fleet(
            bureau_id=bureau.pk,
            unit_id=brigade.pk,
            zones=[zone],
            cars=[
                command.CarSpec(call_sign=f"测{n}", zone=0, crew=(officers[8 + n % 2].pk,))
                for n in range(1, cars + 1)
            ],
            now=clock.now(),
        )
        accounts = {  # the names the demo city's accounts have, for the same roles
            "command": (Role.COMMAND_CENTRE, root),
            "political": (Role.POLITICAL_DEPT, root),
            "legal": (Role.LEGAL_SUPERVISION, root),
            "chief": (Role.UNIT_CHIEF, station),
            "officer": (Role.OFFICER, station),
        }
        users = {
            name: identity.create_user(
                username=f"tiny-{name}-{tag}",
                password=uuid.uuid4().hex,
                role=role,
                bureau_id=bureau.pk,
                unit_id=unit.pk,
                officer_id=officers[0].pk if role == Role.OFFICER else None,
            )
            for name, (role, unit) in accounts.items()
        }
    from precinct.command.models import PatrolUnit

    return Tiny(
        bureau_id=bureau.pk,
        station_id=station.pk,
        officers=officers,
        cars=list(PatrolUnit.objects.filter(bureau_id=bureau.pk).order_by("call_sign")),
        users=users,
    )
