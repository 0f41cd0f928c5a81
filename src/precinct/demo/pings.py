"""The demo fleet's position pings over the last days: each car drives trips from stop to stop in
its patrol area along the real fastest paths of the demo network, slower in the rush hours, and
its terminal reports every ~30 s while it drives and every 5 minutes while it stands, with a few
metres of GPS noise. What the
traffic profile is learned from (``geo.traffic``). :func:`generate` is pure and seeded (the same
seed, network and moment give the same pings); :func:`load` stores them for the demo loader.

The roads' truth (:data:`RUSH`): free flow at night; in the morning (07:00-09:00) and evening
(17:00-19:00) rush the main roads (primary, secondary, tertiary) take 1.6 times their free-flow
time, the ring road and motorways 1.4, residential streets and service roads 1.3; half of that
extra in the hour either side, a quarter of it through the rest of the day."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass

import numpy as np

from precinct.geo import rules as geo
from precinct.geo.rules import traffic

C = geo.RoadClass
PEAK = {
    C.MOTORWAY: 1.4,
    C.TRUNK: 1.4,
    C.PRIMARY: 1.6,
    C.SECONDARY: 1.6,
    C.TERTIARY: 1.6,
    C.RESIDENTIAL: 1.3,
    C.SERVICE: 1.3,
}
# the share of the peak's extra time each hour carries: the rush, its shoulders, the day, the night
SHARE = np.array(
    [0, 0, 0, 0, 0, 0, 0.5, 1, 1, 0.5, 0.25, 0.25,
     0.25, 0.25, 0.25, 0.25, 0.5, 1, 1, 0.5, 0.25, 0.25, 0, 0]
)  # fmt: skip
RUSH = 1.0 + SHARE[:, None] * (np.array([PEAK[C(c)] for c in range(traffic.CLASSES)]) - 1.0)

CADENCE_S = 30.0  # a terminal's report interval while driving (± JITTER_S)
PARKED_S = 300.0  # and while standing (on arrival, then this often)
JITTER_S = 3.0
NOISE_M = (5.0, 15.0)  # GPS error: this far off, in a random direction
STOP_S = 20 * 60.0  # the mean stop between trips (exponential, at least a minute)
AREA_M = 2000.0  # a car's trips end within this of its post (its patrol area)
ROUND = 8  # trips searched for each car at a time
DAYS = 3  # of pings before the demo's moment: 48 cars make about 100,000


@dataclass(frozen=True)
class Generated:
    """The pings, in time order for each car: car index, unix seconds, lon, lat."""

    car: np.ndarray
    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    trips: int

    def __len__(self) -> int:
        return len(self.car)


def generate(
    graph: geo.RoadGraph,
    *,
    posts: list[int],
    end: dt.datetime,
    days: float,
    seed: int,
    rush: np.ndarray = RUSH,
) -> Generated:
    """Pings of one car per post node in ``posts`` over ``days`` days up to ``end`` (an aware
    time: its zone's hours are the rush hours)."""
    rng = np.random.default_rng(seed)
    tz = end.tzinfo or dt.UTC
    stop, start = end.timestamp(), end.timestamp() - days * 86400.0
    areas = [
        np.flatnonzero(geo.haversine_m(graph.lon[p], graph.lat[p], graph.lon, graph.lat) <= AREA_M)
        for p in posts
    ]
    seconds, cls = graph.seconds, graph.road_class
    # each car: (clock, node); trips are searched in rounds, all cars at once
    clock = start + rng.uniform(0, STOP_S, len(posts))
    at = np.asarray(posts, dtype=np.int64)
    out_car, out_t, out_lon, out_lat = [], [], [], []
    trips = 0
    live = np.flatnonzero(clock < stop)
    while len(live):
        cars = np.repeat(live, ROUND)  # a few trips a car a round: few rounds, few wasted searches
        dest = np.array([areas[c][rng.integers(len(areas[c]))] for c in cars], dtype=np.int64)
        origin = np.roll(dest, 1)  # a car's trips chain: each starts where the last ended
        origin[::ROUND] = at[live]
        _s, offsets, edges = traffic.fastest_paths(graph, origin, dest)
        for i, c in enumerate(cars):
            if clock[c] >= stop:
                continue
            path = edges[offsets[i] : offsets[i + 1]]
            at[c] = dest[i]
            if len(path) == 0:
                continue
            trips += 1
            times = _drive(clock[c], seconds[path], cls[path], rush, tz)
            nodes = np.concatenate([graph.src[path[:1]], graph.dst[path]])
            count = 2 + int((times[-1] - times[0]) / (CADENCE_S - JITTER_S))
            steps = rng.uniform(CADENCE_S - JITTER_S, CADENCE_S + JITTER_S, count)
            when = times[0] + np.concatenate([[0.0], np.cumsum(steps)])
            when = when[(when <= times[-1]) & (when < stop)]
            stop_s = max(60.0, rng.exponential(STOP_S))
            # standing at the stop: a ping on arrival, then one every few minutes
            standing = times[-1] + np.arange(0.0, stop_s, PARKED_S)
            standing = standing[standing < stop]
            out_car.append(np.full(len(when) + len(standing), c, dtype=np.int64))
            out_t.append(np.concatenate([when, standing]))
            out_lon.append(np.interp(when, times, graph.lon[nodes]))
            out_lon.append(np.full(len(standing), graph.lon[nodes[-1]]))
            out_lat.append(np.interp(when, times, graph.lat[nodes]))
            out_lat.append(np.full(len(standing), graph.lat[nodes[-1]]))
            clock[c] = times[-1] + stop_s
        live = np.flatnonzero(clock < stop)
    car = np.concatenate(out_car) if out_car else np.zeros(0, dtype=np.int64)
    t = np.concatenate(out_t) if out_t else np.zeros(0)
    lon = np.concatenate(out_lon) if out_lon else np.zeros(0)
    lat = np.concatenate(out_lat) if out_lat else np.zeros(0)
    lon, lat = _noise(rng, lon, lat)
    order = np.lexsort((t, car))
    return Generated(car[order], t[order], lon[order], lat[order], trips)


def load(
    *, bureau_id: uuid.UUID, graph: geo.RoadGraph, end: dt.datetime, seed: int, days: float = DAYS
) -> int:
    """Generate the bureau's cars' pings over ``days`` days up to ``end``, store them and learn the
    traffic profile from them as of ``end`` (the caller owns the transaction). Returns how many
    pings."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from precinct.command import services as command  # the loading half: Django's
    from precinct.core.scoping import Role, Scope
    from precinct.geo import traffic as learning

    end = end.astimezone(ZoneInfo(settings.TIME_ZONE))  # the rush hours are the bureau's

    scope = Scope(user_id=None, role=Role.COMMAND_CENTRE, bureau_id=bureau_id)
    cars = list(
        command.scope_patrol_units(scope)
        .filter(zone__isnull=False)
        .order_by("call_sign")
        .values_list("pk", "zone__post_lon", "zone__post_lat")
    )
    if not cars:
        return 0
    posts = [
        s.node
        for s in geo.snap_many(
            graph, np.array([c[1] for c in cars]), np.array([c[2] for c in cars])
        )
    ]
    made = generate(graph, posts=posts, end=end, days=days, seed=seed)
    n = learning.load_pings(
        bureau_id=bureau_id,
        vehicles=[c[0] for c in cars],
        vehicle=made.car,
        t=made.t,
        lon=made.lon,
        lat=made.lat,
        seed=seed,
    )
    learning.learn_profile(bureau_id, now=end)
    return n


def _drive(
    t0: float, free: np.ndarray, cls: np.ndarray, rush: np.ndarray, tz: dt.tzinfo
) -> np.ndarray:
    """When the car passes each node of a path entered at ``t0``: each edge's free-flow time
    times the factor of the hour the car enters it."""
    times = np.empty(len(free) + 1)
    times[0] = t0
    i, t = 0, t0
    while i < len(free):
        offset = (dt.datetime.fromtimestamp(t, tz).utcoffset() or dt.timedelta(0)).total_seconds()
        hour = int((t + offset) // 3600)
        boundary = (hour + 1) * 3600 - offset
        took = free[i:] * rush[hour % 24, cls[i:]]
        passed = t + np.cumsum(took)
        entered = np.concatenate([[t], passed[:-1]])
        k = max(1, int(np.searchsorted(entered, boundary, side="left")))
        times[i + 1 : i + 1 + k] = passed[:k]
        i += k
        t = float(times[i])
    return times


def _noise(
    rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    metres = rng.uniform(*NOISE_M, len(lon))
    bearing = rng.uniform(0, 2 * math.pi, len(lon))
    k = math.radians(1.0) * geo.EARTH_RADIUS_M
    dlat = metres * np.cos(bearing) / k
    dlon = metres * np.sin(bearing) / (k * np.cos(np.radians(lat)))
    return lon + dlon, lat + dlat
