"""Use cases of the traffic profile: the fleet's position pings kept for a while, the profile
learned from them (travel-time factors by hour of day and road class, :mod:`.rules.traffic`),
the active profile's factors for the routing engine (cached per process), and the old pings'
purge.

Pings are telemetry: they are written without a model signal, so not audited point by point
(ADR 0015); a learned profile is one audited write (its creation, with its figures)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings

from precinct.common import bulk, transactions
from precinct.core.ids import uuid7_at

from . import services
from .models import RoadNetwork, TrackPoint, TrafficProfile
from .rules import traffic as rules

LEARN_DAYS = 14  # the profile is learned from this many days of pings before now
KEEP_DAYS = 35  # pings older than this are purged by the nightly job
CACHE_SECONDS = 5.0  # another process's new profile is seen within this (the same one's at once)


def record_ping(
    *, bureau_id: uuid.UUID, vehicle: uuid.UUID, at: dt.datetime, lon: float, lat: float
) -> None:
    """Keep one position ping (WGS-84, checked by the caller) for learning the profile."""
    TrackPoint.objects.bulk_create(  # no post_save: telemetry is not audited ping by ping
        [TrackPoint(bureau_id=bureau_id, vehicle=vehicle, at=at, lon=lon, lat=lat)]
    )


def load_pings(
    *,
    bureau_id: uuid.UUID,
    vehicles: list[uuid.UUID],
    vehicle: np.ndarray,
    t: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    seed: int = 0,
) -> int:
    """Trusted bulk insert of pings (the demo's): ``vehicle`` indexes ``vehicles``, ``t`` is unix
    seconds (kept to the millisecond). Returns how many rows."""
    c = bulk.codec()
    rng = np.random.default_rng(seed)
    ms = np.round(np.asarray(t, dtype=np.float64) * 1000).astype(np.int64)
    rand = rng.integers(0, 1 << 62, len(ms), dtype=np.int64)
    raw_vehicles = [c.uuid(v) for v in vehicles]
    bureau = c.uuid(bureau_id)
    stamp = c.datetime(dt.datetime.now(dt.UTC))
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return bulk.insert(
        TrackPoint._meta.db_table,
        ["id", "created_at", "updated_at", "bureau_id", "vehicle", "at", "lon", "lat"],
        (
            (
                c.uuid(uuid7_at(int(m), int(r))), stamp, stamp, bureau, raw_vehicles[v],
                c.datetime(epoch + dt.timedelta(milliseconds=int(m))), float(x), float(y),
            )
            for m, r, v, x, y in zip(
                ms.tolist(), rand.tolist(), np.asarray(vehicle).tolist(), lon, lat, strict=True
            )
        ),
    )  # fmt: skip


def ping_count(bureau_id: uuid.UUID, *, since: dt.datetime | None = None) -> int:
    qs = TrackPoint.objects.filter(bureau_id=bureau_id)
    return (qs if since is None else qs.filter(at__gte=since)).count()


def read_pings(bureau_id: uuid.UUID, *, since: dt.datetime, until: dt.datetime) -> rules.Pings:
    """The bureau's pings in [since, until) as arrays sorted by vehicle and time, each with its
    local hour in the bureau's zone (``settings.TIME_ZONE``)."""
    c = bulk.codec()
    table = bulk.quote(TrackPoint._meta.db_table)
    rows = bulk.select(
        f"SELECT {c.select_id('vehicle')}, {c.select_datetime('at')}, lon, lat FROM {table} "  # noqa: S608 - our names
        "WHERE bureau_id = %s AND at >= %s AND at < %s ORDER BY vehicle, at",
        [c.uuid(bureau_id), c.datetime(since), c.datetime(until)],
    )
    if not rows:
        empty = np.zeros(0)
        return rules.Pings(empty.astype(np.int64), empty, empty, empty, empty.astype(np.int64))
    raw_vehicle, raw_at, lon, lat = zip(*rows, strict=True)
    _names, vehicle = np.unique(
        np.array(raw_vehicle, dtype=object).astype(str), return_inverse=True
    )
    read = c.datetime_reader()
    t = np.array([read(a).timestamp() for a in raw_at])  # type: ignore[union-attr]
    hour = rules.local_hours(t, ZoneInfo(settings.TIME_ZONE))
    return rules.Pings(
        vehicle.astype(np.int64), t, np.array(lon, dtype=float), np.array(lat, dtype=float), hour
    )


@dataclass(frozen=True)
class Measured:
    """A profile learned but not yet stored: for the network ``digest``, from ``pings`` pings
    in [since, until)."""

    digest: str
    since: dt.datetime
    until: dt.datetime
    pings: int
    factors: np.ndarray
    samples: np.ndarray

    @property
    def pairs(self) -> int:
        return int(self.samples.sum())


def measure(bureau_id: uuid.UUID, *, now: dt.datetime, days: int = LEARN_DAYS) -> Measured:
    """Learn the factors from the last ``days`` days of pings on the active network. Reads
    only: a command or a job runs it outside its write transaction (it takes seconds)."""
    graph = services.graph_for(bureau_id)
    since = now - dt.timedelta(days=days)
    pings = read_pings(bureau_id, since=since, until=now)
    factors, samples = rules.learn(graph, pings)
    return Measured(graph.digest(), since, now, len(pings), factors, samples)


@transactions.inside
def store(bureau_id: uuid.UUID, measured: Measured, *, now: dt.datetime) -> TrafficProfile:
    """Make ``measured`` the bureau's active profile (the previous ones are kept, inactive)."""
    TrafficProfile.objects.select_for_update().filter(bureau_id=bureau_id, active=True).update(
        active=False
    )
    profile = TrafficProfile.objects.create(
        bureau_id=bureau_id,
        network_digest=measured.digest,
        learned_at=now,
        factors=[[round(float(x), 3) for x in row] for row in measured.factors],
        samples=[[int(x) for x in row] for row in measured.samples],
    )
    forget(bureau_id)
    return profile


@transactions.inside
def learn_profile(
    bureau_id: uuid.UUID, *, now: dt.datetime, days: int = LEARN_DAYS
) -> TrafficProfile:
    """Learn the profile from the last ``days`` days of pings and make it the active one."""
    return store(bureau_id, measure(bureau_id, now=now, days=days), now=now)


def active_profile(bureau_id: uuid.UUID) -> TrafficProfile | None:
    return (
        TrafficProfile.objects.filter(bureau_id=bureau_id, active=True)
        .order_by("-learned_at")
        .first()
    )


# --- the engine's read: microseconds after the first ---------------------------------------
# (bureau, digest) -> (when checked, profile id or None, its factors, read-only, or None)
_CACHE: dict[tuple[uuid.UUID, str], tuple[float, uuid.UUID | None, np.ndarray | None]] = {}
_ARRAYS: dict[uuid.UUID, np.ndarray] = {}  # profile id -> its factors (a profile never changes)
_LOCK = threading.Lock()


def factors_for(bureau_id: uuid.UUID, digest: str) -> np.ndarray | None:
    """The active profile's factors ``(24, len(RoadClass))`` for the network ``digest``, or
    ``None`` (drive at free flow) when there is none for it. Which profile is active is asked
    of the database at most every :data:`CACHE_SECONDS` (at once after a store in this
    process); a profile's figures are read once per process."""
    key = (bureau_id, digest)
    got = _CACHE.get(key)
    clock = time.monotonic()
    if got is not None and clock - got[0] < CACHE_SECONDS:
        return got[2]
    pk = (
        TrafficProfile.objects.filter(bureau_id=bureau_id, active=True, network_digest=digest)
        .order_by("-learned_at")
        .values_list("pk", flat=True)
        .first()
    )
    array = None
    if pk is not None:
        array = _ARRAYS.get(pk)
        if array is None:
            raw = TrafficProfile.objects.filter(pk=pk).values_list("factors", flat=True).get()
            array = np.array(raw, dtype=np.float64).reshape(rules.HOURS, rules.CLASSES)
            array.setflags(write=False)
            with _LOCK:
                _ARRAYS[pk] = array
    with _LOCK:
        _CACHE[key] = (clock, pk, array)
    return array


def forget(bureau_id: uuid.UUID | None = None) -> None:
    """Drop the cached answers (of one bureau, or all): the next read asks the database."""
    with _LOCK:
        for key in [k for k in _CACHE if bureau_id is None or k[0] == bureau_id]:
            del _CACHE[key]


# --- upkeep ------------------------------------------------------------------------------
@transactions.inside
def purge(bureau_id: uuid.UUID, *, before: dt.datetime) -> int:
    """Delete the bureau's pings older than ``before`` (one statement, no model signals: they
    were never audited one by one either). Returns how many."""
    qs = TrackPoint.objects.filter(bureau_id=bureau_id, at__lt=before)
    return int(qs._raw_delete(qs.db))


def bureaus_with_network() -> list[tuple[uuid.UUID, str]]:
    """(bureau id, bureau code) of every bureau with an active road network, oldest first."""
    return list(
        RoadNetwork.objects.filter(active=True)
        .order_by("bureau__created_at")
        .values_list("bureau_id", "bureau__code")
    )
