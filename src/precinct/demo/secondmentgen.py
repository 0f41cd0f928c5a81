"""The demo city's secondments (动态用警): about 62 % of the headquarters officers seconded down to
stations, sub-bureaus and the patrol brigade for about three years, some back already, some who
asked to stay and were posted there, a few plans waiting for approval. Pure and seeded."""

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from precinct.org.rules import years_after

TZ = ZoneInfo("Asia/Shanghai")
SHARE = 0.62
ROSTER_SECONDED = 24  # public-order officers on the patrol brigade's 24-hour roster
STAYED_SHARE = 0.06
RETURNED = 40
EARLIER_ROTATIONS = 30
STAY_REQUESTS = 12
STAY_REFUSED = 3
PLANNED = 8
CANCELLED = 3
STAY_NOTE = "stayed after secondment"
PURPOSES = (
    "充实派出所警力",
    "社区警务",
    "街面巡防",
    "案件攻坚",
    "基层执法规范化建设",
    "治安防控",
    "传帮带，带教新警",
)
STAY_REASONS = (
    "熟悉辖区情况，申请留在基层工作",
    "与社区群众建立了感情，申请留任",
    "家住辖区，便于开展工作",
    "基层实战更能发挥专长",
)
RETURN_NOTES = ("期满返回", "工作需要，提前返回")


@dataclass(frozen=True)
class Units:
    departments: dict[uuid.UUID, str]  # unit id → code
    stations: list[uuid.UUID]
    sub_bureaus: list[uuid.UUID]
    brigade: uuid.UUID
    keep_out: frozenset[uuid.UUID]  # receiving units nobody stays in (their staff drive logins)


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _approved(rng: random.Random, start: dt.date) -> dt.datetime:
    day = start - dt.timedelta(days=rng.randint(3, 20))
    return dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randrange(60)), tzinfo=TZ)


def generate(
    rng: random.Random,
    ids: Callable[[], uuid.UUID],
    *,
    today: dt.date,
    units: Units,
    officers: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[uuid.UUID]]:
    """Secondment rows (Secondment fields with ``officer_id`` etc.) and the public-order officers
    seconded to the patrol brigade, in roster order. Officers granted a stay are posted to the
    receiving unit in ``assignments`` (their posting in headquarters closes that day)."""
    open_posting = {a["officer_id"]: a for a in assignments if a["end"] is None}
    by_dept: dict[uuid.UUID, list[dict[str, Any]]] = {d: [] for d in units.departments}
    for o in officers:
        a = open_posting[o["id"]]
        if a["unit_id"] in by_dept and o["status"] == "active" and a["position"] == "民警":
            by_dept[a["unit_id"]].append(o)
    three_years = years_after(today, -3)
    grassroots = units.stations + units.sub_bureaus
    rows: list[dict[str, Any]] = []
    busy: set[uuid.UUID] = set()  # officers given a secondment in force or ended by a stay

    def row(o: dict[str, Any], to: uuid.UUID, start: dt.date, status: str, **more: Any) -> None:
        a = open_posting[o["id"]]
        base = {
            "id": ids(),
            "officer_id": o["id"],
            "from_unit_id": a["unit_id"],
            "to_unit_id": to,
            "start": start,
            "planned_end": years_after(start, 3),
            "purpose": rng.choice(PURPOSES),
            "status": status,
            "planned_by": "demo",
        }
        if status != "planned" and status != "cancelled":
            base.update(approved_by="demo", approved_at=_approved(rng, start))
        base.update(more)
        rows.append(base)

    def to_unit(brigade_weight: float = 0.1) -> uuid.UUID:
        roll = rng.random()
        if roll < brigade_weight:
            return units.brigade
        return rng.choice(units.stations if roll < 0.75 else grassroots)

    def recent_start(o: dict[str, Any]) -> dt.date:
        posted = open_posting[o["id"]]["start"]
        return _day(rng, max(posted, three_years + dt.timedelta(days=1)), today - dt.timedelta(7))

    # The public-order officers the patrol brigade's roster already counts on.
    za = next(d for d, code in units.departments.items() if code == "ZA")
    roster = by_dept[za][:ROSTER_SECONDED]
    for o in roster:
        row(o, units.brigade, recent_start(o), "active", purpose="街面巡防")
        busy.add(o["id"])

    # Those who served about three years, asked to stay and were posted there.
    hq_total = sum(len(v) for v in by_dept.values())
    long_served = [
        o
        for d in by_dept
        for o in by_dept[d]
        if o["id"] not in busy
        and open_posting[o["id"]]["start"] <= three_years - dt.timedelta(days=90)
    ]
    stay_to = [u for u in grassroots if u not in units.keep_out]
    for o in rng.sample(long_served, min(len(long_served), round(STAYED_SHARE * hq_total))):
        posting = open_posting[o["id"]]
        start = _day(rng, max(posting["start"], years_after(today, -5)), three_years)
        start = min(start, three_years - dt.timedelta(days=60))
        ended = years_after(start, 3)
        to = rng.choice(stay_to)
        row(
            o,
            to,
            start,
            "stayed",
            ended_on=ended,
            stay_requested=True,
            stay_requested_on=ended - dt.timedelta(days=rng.randint(20, 90)),
            stay_note=rng.choice(STAY_REASONS),
            stay_decision="granted",
            stay_decided_by="demo",
            stay_decided_on=ended,
        )
        posting["end"] = ended
        moved = {
            "id": ids(),
            "officer_id": o["id"],
            "unit_id": to,
            "position": "民警",
            "start": ended,
            "end": None,
            "note": STAY_NOTE,
        }
        assignments.append(moved)
        busy.add(o["id"])
    for d in by_dept:
        by_dept[d] = [o for o in by_dept[d] if open_posting[o["id"]]["end"] is None]

    # Active secondments: about 62 % of the headquarters officers in active service (leaders
    # and officers on the second line count, but are not seconded), some departments more.
    hq_active = {
        d: sum(
            1
            for o in officers
            if open_posting[o["id"]]["unit_id"] == d
            and open_posting[o["id"]]["end"] is None
            and o["status"] == "active"
        )
        for d in by_dept
    }
    target = round(SHARE * sum(hq_active.values()))
    free = {d: [o for o in by_dept[d] if o["id"] not in busy] for d in by_dept}
    for d in free:
        rng.shuffle(free[d])
    quota = {
        d: min(len(free[d]), max(0, round(hq_active[d] * (SHARE + rng.uniform(-0.15, 0.12)))))
        for d in by_dept
    }
    quota[za] = max(0, min(len(free[za]), quota[za] - len(roster)))
    taken = len(roster) + sum(quota.values())
    order = sorted(by_dept, key=lambda d: units.departments[d])
    while taken != target:
        step = 1 if taken < target else -1
        shares = {
            d: (quota[d] + (len(roster) if d == za else 0)) / max(hq_active[d], 1) for d in order
        }
        room = [d for d in order if (quota[d] < len(free[d]) if step > 0 else quota[d] > 0)]
        if not room:
            break
        pick = (min if step > 0 else max)(room, key=lambda d: shares[d])
        quota[pick] += step
        taken += step
    active: list[dict[str, Any]] = []
    for d in order:
        chosen, free[d] = free[d][: quota[d]], free[d][quota[d] :]
        for o in chosen:
            row(o, to_unit(), recent_start(o), "active")
            active.append(rows[-1])
            busy.add(o["id"])
    # Some on secondment now have asked to stay (waiting, or refused).
    asking = rng.sample(active, min(len(active), STAY_REQUESTS + STAY_REFUSED))
    for k, r in enumerate(asking):
        r.update(
            stay_requested=True,
            stay_requested_on=_day(rng, r["start"], today),
            stay_note=rng.choice(STAY_REASONS),
        )
        if k >= STAY_REQUESTS:
            r.update(stay_decision="refused", stay_decided_by="demo", stay_decided_on=today)
    # Rotation: some of them served an earlier, shorter secondment elsewhere.
    earlier = [
        r
        for r in active
        if open_posting[r["officer_id"]]["start"] <= r["start"] - dt.timedelta(days=400)
    ]
    people = {o["id"]: o for o in officers}
    for r in rng.sample(earlier, min(len(earlier), EARLIER_ROTATIONS)):
        posted = open_posting[r["officer_id"]]["start"]
        start = _day(
            rng,
            max(posted, r["start"] - dt.timedelta(days=1200)),
            r["start"] - dt.timedelta(days=400),
        )
        ended = min(
            start + dt.timedelta(days=rng.randint(180, 700)), r["start"] - dt.timedelta(days=1)
        )
        note = RETURN_NOTES[1] if ended < years_after(start, 3) else RETURN_NOTES[0]
        row(people[r["officer_id"]], to_unit(0.0), start, "returned", ended_on=ended, end_note=note)
    # Back in headquarters now, and plans waiting for the leadership.
    rest = [o for d in order for o in free[d]]
    rng.shuffle(rest)
    back = [o for o in rest if open_posting[o["id"]]["start"] <= today - dt.timedelta(days=500)]
    back = back[:RETURNED]
    for o in back:
        posted = open_posting[o["id"]]["start"]
        start = _day(rng, max(posted, years_after(today, -5)), today - dt.timedelta(days=400))
        term = years_after(start, 3)
        last = min(term, today - dt.timedelta(days=30))
        ended = (
            term
            if term == last and rng.random() < 0.5
            else _day(rng, start + dt.timedelta(180), last)
        )
        note = RETURN_NOTES[0] if ended == term else RETURN_NOTES[1]
        row(o, to_unit(0.0), start, "returned", ended_on=ended, end_note=note)
    gone = {o["id"] for o in back}
    waiting = [o for o in rest if o["id"] not in gone]
    for o in waiting[:PLANNED]:
        row(o, to_unit(), today + dt.timedelta(days=rng.randint(7, 60)), "planned")
    for o in waiting[PLANNED : PLANNED + CANCELLED]:
        start = today - dt.timedelta(days=rng.randint(30, 300))
        row(o, to_unit(), start, "cancelled", end_note="工作需要，取消")
    return rows, [o["id"] for o in roster]
