"""Setting up the fleet (demo, CLI): patrol zones and cars, the crew roster, the past incidents."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from precinct.common import fields

from .. import rules
from ..models import CrewShift, Dispatch, Incident, PatrolUnit, PatrolZone, UnitStatusChange
from ._common import _log


# --- set-up (demo, CLI) -------------------------------------------------------------------
@dataclass(frozen=True)
class ZoneSpec:
    name: str
    station_id: uuid.UUID
    polygon: list[list[float]]
    post: tuple[float, float]  # lon, lat


@dataclass(frozen=True)
class CarSpec:
    call_sign: str
    zone: int  # index into the zones
    crew: tuple[uuid.UUID, ...]
    status: str = rules.AVAILABLE


def install_fleet(
    *,
    bureau_id: uuid.UUID,
    unit_id: uuid.UUID,
    zones: list[ZoneSpec],
    cars: list[CarSpec],
    now: dt.datetime,
) -> tuple[int, int]:
    """Create patrol zones and cars, each car at its zone's post (the caller owns the
    transaction). Returns (zones, cars)."""
    made = [
        PatrolZone.objects.create(
            bureau_id=bureau_id,
            name=z.name,
            station_id=z.station_id,
            post_lon=z.post[0],
            post_lat=z.post[1],
            polygon=z.polygon,
        )
        for z in zones
    ]
    for c in cars:
        zone = made[c.zone]
        unit = PatrolUnit.objects.create(
            bureau_id=bureau_id,
            call_sign=c.call_sign,
            unit_id=unit_id,
            zone=zone,
            status=c.status,
            status_at=now,
            lon=zone.post_lon,
            lat=zone.post_lat,
            position_at=now,
        )
        unit.crew.set(c.crew)  # type: ignore[arg-type]  # ids are accepted
        _log(unit, c.status, now, None)
    return len(made), len(cars)


def install_roster(
    *, bureau_id: uuid.UUID, call_signs: list[str], slots: list[rules.RosterSlot]
) -> int:
    """Store a roster (slots name cars by position in ``call_signs``); the caller owns the
    transaction."""
    by_sign = {u.call_sign: u.pk for u in PatrolUnit.objects.filter(bureau_id=bureau_id)}
    rows = [
        CrewShift(
            bureau_id=bureau_id,
            patrol_unit_id=by_sign[call_signs[s.car]],
            day=s.day,
            shift=s.shift,
            officer_id=s.officer,
        )
        for s in slots
    ]
    CrewShift.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def bulk_load_history(
    *,
    bureau_id: uuid.UUID,
    incidents: list[dict[str, Any]],
    dispatches: list[dict[str, Any]],
    off_duty: list[tuple[int, dt.datetime, dt.datetime]],
    zone_names: list[str],
    call_signs: list[str],
    seed: int,
) -> tuple[int, int]:
    """Trusted bulk insert of past incidents for the demo (closed ones, with their dispatches and
    the cars' off-duty spells), straight to the driver like the other demo loaders. ``zone`` and
    ``car`` are indexes into ``zone_names`` and ``call_signs``."""
    import random

    from precinct.common import bulk
    from precinct.core.ids import uuid7_at

    rng = random.Random(seed)  # noqa: S311 - ids for fixtures, not secrets
    c = bulk.codec()
    by_name = {z.name: z for z in PatrolZone.objects.filter(bureau_id=bureau_id)}
    by_sign = {u.call_sign: u for u in PatrolUnit.objects.filter(bureau_id=bureau_id)}
    zones = [by_name[n] for n in zone_names]
    cars = [by_sign[s] for s in call_signs]
    stamp = c.datetime(dt.datetime.now(dt.UTC))

    def new_id(at: dt.datetime) -> uuid.UUID:
        return uuid7_at(int(at.timestamp() * 1000), rng.getrandbits(74))

    ids = [new_id(i["received_at"]) for i in incidents]
    phone = fields.encrypted(Incident, "caller_phone")  # sealed for its row, as save() would
    n = bulk.insert(
        Incident._meta.db_table,
        [
            "id", "created_at", "updated_at", "bureau_id", "number", "source", "category",
            "priority", "lon", "lat", "address", "summary", "caller_phone", "zone_id",
            "station_id", "status", "received_at", "dispatched_at", "acknowledged_at",
            "on_scene_at", "closed_at", "disposition", "received_by", "caller_name", "note",
        ],
        (
            (
                c.uuid(pk), stamp, stamp, c.uuid(bureau_id), i["number"], i["source"],
                i["category"], i["priority"], i["lon"], i["lat"], i["address"], i["summary"],
                phone.seal_raw(i["caller_phone"], pk), c.uuid(zones[i["zone"]].pk),
                c.uuid(zones[i["zone"]].station_id), i["status"], c.datetime(i["received_at"]),
                c.datetime(i.get("dispatched_at")), c.datetime(i.get("acknowledged_at")),
                c.datetime(i.get("on_scene_at")), c.datetime(i.get("closed_at")),
                i["disposition"], "demo", "", "",
            )
            for pk, i in zip(ids, incidents, strict=True)
        ),
    )  # fmt: skip
    bulk.insert(
        Dispatch._meta.db_table,
        [
            "id", "created_at", "updated_at", "bureau_id", "incident_id", "patrol_unit_id", "at",
            "dispatcher", "rank", "eta_seconds", "reason", "cleared_at",
        ],
        (
            (
                c.uuid(new_id(d["at"])), stamp, stamp, c.uuid(bureau_id), c.uuid(ids[d["incident"]]),
                c.uuid(cars[d["car"]].pk), c.datetime(d["at"]), "demo", d["rank"],
                d["eta_seconds"], d["reason"], c.datetime(d["cleared_at"]),
            )
            for d in dispatches
        ),
    )  # fmt: skip
    spells = []
    for car, start, end in off_duty:
        for status, at in ((rules.OFF_DUTY, start), (rules.AVAILABLE, end)):
            spells.append(
                (c.uuid(new_id(at)), stamp, stamp, c.uuid(bureau_id), c.uuid(cars[car].pk),
                 status, c.datetime(at), None)
            )  # fmt: skip
    bulk.insert(
        UnitStatusChange._meta.db_table,
        ["id", "created_at", "updated_at", "bureau_id", "patrol_unit_id", "status", "at",
         "incident_id"],
        spells,
    )  # fmt: skip
    return n, len(dispatches)
