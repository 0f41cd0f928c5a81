"""A year of the demo city's 110 incidents: daily, weekly and seasonal cycles, hotspots, the car
that went (the nearest post's car, now and then the next one when it was busy), travel on the road
network, and dispositions drifting towards the street-handling goal as the reform takes hold.
Pure and seeded: the same seed and network give the same history."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from precinct.geo import rules as geo

TZ = ZoneInfo("Asia/Shanghai")
PER_DAY = 180.0  # mean incidents a day in the urban area
HOUR_WEIGHT = np.array(
    [3.5, 2.5, 1.8, 1.4, 1.2, 1.4, 2.2, 3.2, 4.2, 4.7, 5.0, 5.0,
     4.8, 4.7, 4.7, 4.8, 5.0, 5.3, 5.6, 6.0, 6.2, 6.0, 5.2, 4.4]
)  # fmt: skip
HOUR_WEIGHT = HOUR_WEIGHT / HOUR_WEIGHT.sum()
WEEKDAY = (0.95, 0.95, 0.97, 1.0, 1.08, 1.12, 1.03)  # Monday first
MONTH = (0.88, 0.86, 0.92, 0.98, 1.04, 1.12, 1.16, 1.14, 1.04, 0.98, 0.94, 0.9)
CATEGORIES = (
    ("criminal", 0.08, (0.6, 0.35, 0.05)),
    ("public_order", 0.18, (0.25, 0.6, 0.15)),
    ("traffic", 0.22, (0.2, 0.6, 0.2)),
    ("dispute", 0.25, (0.1, 0.6, 0.3)),
    ("help", 0.17, (0.15, 0.45, 0.4)),
    ("non_police", 0.10, (0.0, 0.2, 0.8)),
)
SUMMARIES = {
    "criminal": ("入室盗窃", "扒窃", "抢夺", "故意伤害", "电信诈骗报案"),
    "public_order": ("打架斗殴", "酒后滋事", "噪音扰民", "聚众赌博举报"),
    "traffic": ("两车刮擦", "交通事故有人受伤", "车辆违停堵路", "醉驾嫌疑"),
    "dispute": ("邻里纠纷", "家庭纠纷", "消费纠纷", "劳资纠纷"),
    "help": ("老人走失", "儿童走失", "醉酒人员倒地", "求助开锁"),
    "non_police": ("供暖投诉", "噪音施工投诉", "水电故障", "咨询"),
}
STREETS = (
    "红军路",
    "解放路",
    "新华街",
    "光明街",
    "胜利路",
    "工农路",
    "南山路",
    "东山街",
    "兴安路",
    "鹤立街",
)


NUMBERS_A_STREET = 300


def address_of(node: int) -> tuple[str, str]:
    """The street and house number the demo city gives a crossing: 300 numbers a street, the
    streets in turn, over again after the last (the standard address register holds the first
    round)."""
    street = STREETS[(node // NUMBERS_A_STREET) % len(STREETS)]
    return street, str(node % NUMBERS_A_STREET + 1)


@dataclass
class History:
    incidents: list[dict] = field(default_factory=list)
    dispatches: list[dict] = field(default_factory=list)
    off_duty: list[tuple[int, dt.datetime, dt.datetime]] = field(default_factory=list)  # car


def node_weights(
    graph: geo.RoadGraph, rng: np.random.Generator, *, night: bool = False
) -> np.ndarray:
    """Where incidents happen: a dozen hotspots (markets, stations, night streets) over a thin
    background everywhere. At night (20-08) the first four — the night streets — draw three times
    as much and the others half."""
    west, south, east, north = graph.bounds()
    w = np.full(graph.n_nodes, 0.15)
    for k in range(12):
        cx, cy = rng.uniform(west, east), rng.uniform(south, north)
        spread = rng.uniform(0.006, 0.02)
        strength = rng.uniform(0.5, 2.0)
        if night:
            strength *= 3.0 if k < 4 else 0.5
        d2 = ((graph.lon - cx) / spread) ** 2 + ((graph.lat - cy) / (spread * 0.7)) ** 2
        w += strength * np.exp(-d2 / 2)
    return w / w.sum()


def generate(
    graph: geo.RoadGraph,
    *,
    posts: list[tuple[float, float]],
    car_posts: list[int],
    start: dt.date,
    days: int,
    seed: int,
    per_day: float = PER_DAY,
) -> History:
    """``posts``: each zone's standby point (lon, lat); ``car_posts``: each car's zone index.
    Incidents of ``days`` days from ``start`` (bureau time)."""
    rng = np.random.default_rng(seed)
    spot_seed = int(rng.integers(1 << 31))
    weights = node_weights(graph, np.random.default_rng(spot_seed))
    night_weights = node_weights(graph, np.random.default_rng(spot_seed), night=True)
    post_nodes = [geo.snap(graph, lon, lat, role="start").node for lon, lat in posts]
    post_times = np.vstack([geo.times_from(graph, n) for n in post_nodes])  # zones x nodes
    cars_by_zone: dict[int, list[int]] = {}
    for car, zone in enumerate(car_posts):
        cars_by_zone.setdefault(zone, []).append(car)
    cats = [c[0] for c in CATEGORIES]
    cat_p = np.array([c[1] for c in CATEGORIES])
    out = History()
    serial: dict[dt.date, int] = {}
    for d in range(days):
        day = start + dt.timedelta(days=d)
        progress = d / max(days - 1, 1)  # the reform takes hold over the period
        mean = per_day * WEEKDAY[day.weekday()] * MONTH[day.month - 1] * (1.0 - 0.12 * progress)
        count = int(rng.poisson(mean))
        hours = rng.choice(24, size=count, p=HOUR_WEIGHT)
        seconds = np.sort(hours * 3600 + rng.integers(0, 3600, size=count))
        at_night = (hours < 8) | (hours >= 20)
        nodes = np.where(
            at_night,
            rng.choice(graph.n_nodes, size=count, p=night_weights),
            rng.choice(graph.n_nodes, size=count, p=weights),
        )
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=TZ)
        for s, node in zip(seconds.tolist(), nodes.tolist(), strict=True):
            received = midnight + dt.timedelta(seconds=int(s))
            cat_i = int(rng.choice(len(cats), p=cat_p))
            category = cats[cat_i]
            priority = int(rng.choice(3, p=CATEGORIES[cat_i][2])) + 1
            serial[day] = serial.get(day, 0) + 1
            zone = int(np.argmin(post_times[:, node]))
            incident = {
                "number": f"JQ{day:%Y%m%d}{serial[day]:05d}",
                "source": str(
                    rng.choice(["call_110"] * 8 + ["walk_in", "patrol", "transfer_12345"])
                ),
                "category": category,
                "priority": priority,
                "lon": float(graph.lon[node]),
                "lat": float(graph.lat[node]),
                "address": "{}{}号附近".format(*address_of(node)),
                "summary": str(rng.choice(SUMMARIES[category])),
                "caller_phone": f"13{int(rng.integers(0, 10**9)):09d}",
                "zone": zone,
                "received_at": received,
            }
            if category == "non_police":
                incident.update(
                    status="closed",
                    closed_at=received + dt.timedelta(seconds=int(rng.uniform(120, 600))),
                    disposition="non_police",
                )
                out.incidents.append(incident)
                continue
            # the nearest posts' cars; now and then the nearest is busy and the next one goes
            order = np.argsort(post_times[:, node])
            pick = 0 if rng.random() > 0.25 else 1
            zone_sent = int(order[min(pick, len(order) - 1)])
            car = int(rng.choice(cars_by_zone.get(zone_sent) or [0]))
            hour = received.hour
            # the 110 desk is busier in the evening peak; the roads in the rush hours
            desk = 0.75 + 0.5 * float(HOUR_WEIGHT[hour] / HOUR_WEIGHT.max())
            roads = 1.3 if hour in (7, 8, 17, 18) else (0.85 if hour < 6 else 1.0)
            median_dispatch = {1: 50.0, 2: 90.0, 3: 150.0}[priority] * desk
            dispatched = received + dt.timedelta(
                seconds=float(rng.lognormal(math.log(median_dispatch), 0.5))
            )
            travel = (
                float(post_times[zone_sent, node]) * float(rng.uniform(0.95, 1.35)) * roads + 45.0
            )
            acknowledged = dispatched + dt.timedelta(seconds=float(rng.uniform(15, 60)))
            on_scene = acknowledged + dt.timedelta(seconds=travel)
            closed = on_scene + dt.timedelta(seconds=float(rng.lognormal(math.log(25 * 60), 0.5)))
            if category == "criminal":
                disposition = str(
                    rng.choice(["criminal_investigation", "station", "street"], p=[0.45, 0.3, 0.25])
                )
            else:
                # a car that comes late finds the caller gone to the station: fewer handled on
                # the street beyond 5 minutes from the call (what the post optimiser weighs)
                minutes = (on_scene - received).total_seconds() / 60
                late = min(1.0, max(0.55, 1.0 - 0.05 * (minutes - 5.0)))
                street = (0.64 + 0.22 * progress) * late
                disposition = "street" if rng.random() < street else "station"
            incident.update(
                status="closed",
                dispatched_at=dispatched,
                acknowledged_at=acknowledged,
                on_scene_at=on_scene,
                closed_at=closed,
                disposition=disposition,
            )
            out.incidents.append(incident)
            out.dispatches.append(
                {
                    "incident": len(out.incidents) - 1,
                    "car": car,
                    "at": dispatched,
                    "rank": 1 if pick == 0 else 2,
                    "eta_seconds": travel,
                    "reason": "" if pick == 0 else "最近车组忙",
                    "cleared_at": closed,
                }
            )
    # cars off the road now and then (refuelling, repairs, training): 1-4 hours, ~2 a week each
    end = dt.datetime.combine(start + dt.timedelta(days=days), dt.time(0), tzinfo=TZ)
    first = dt.datetime.combine(start, dt.time(0), tzinfo=TZ)
    span = (end - first).total_seconds()
    for car in range(len(car_posts)):
        for _ in range(int(rng.poisson(days * 2 / 7))):
            at = first + dt.timedelta(seconds=float(rng.uniform(0, span)))
            back = at + dt.timedelta(hours=float(rng.uniform(1, 4)))
            out.off_duty.append((car, at, min(back, end)))
    return out
