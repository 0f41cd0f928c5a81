"""The public-safety statistics dashboard over ten years of a big city's incidents: year over year,
month over month, 10-year highs and lows and the units compared, as ``stats.services.dashboard``
reads them from the monthly read model — side by side with the baseline that computes the same
figures from the incidents table on every request.

    .venv/bin/python bench/stats.py [--incidents N] [--database URL] [--runs R] [--reuse]

Builds a scratch database (SQLite file under var/bench/ by default; with ``--database
postgresql://…/NAME`` the named PostgreSQL database is dropped and created): a bureau with six
sub-bureaus and 30 stations, then N incidents (default 10,000,000) over the ten years to
2026-11-26 through the raw bulk path, by the demo's category mix. Then, timed:

1. the first full refresh of the read model (every month of ten years);
2. the periodic refresh (this month and last: ``precinct stats refresh``);
3. the dashboard for the bureau and for a station chief, ``--runs`` times each: p50 and p95,
   against the target of issue 7 (p95 ≤ 200 ms on PostgreSQL);
4. the baseline: the same figures grouped from the incidents table per request (fewer runs:
   it is slow), p50 and p95, and the ratio.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
TARGET_P95_MS = 200.0
TODAY = dt.date(2026, 11, 26)
from bench.supervision_sweep import prepare_database  # noqa: E402

CATEGORIES = [("criminal", 0.09), ("public_order", 0.22), ("traffic", 0.24), ("dispute", 0.2),
              ("help", 0.17), ("non_police", 0.08)]  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def build_city() -> tuple:
    from precinct.org import services as org
    from precinct.org.rules import UnitKind

    bureau = org.create_bureau(code="BENCH", name="统计基准市公安局")
    root = org.create_unit(bureau_id=bureau.pk, kind=UnitKind.BUREAU, code="ROOT",
                           name="统计基准市公安局", parent_id=None)  # fmt: skip
    stations = []
    for s in range(6):
        sub = org.create_unit(bureau_id=bureau.pk, kind=UnitKind.SUB_BUREAU, code=f"SB{s}",
                              name=f"第{s + 1}分局", parent_id=root.pk)  # fmt: skip
        for k in range(5):
            stations.append(
                org.create_unit(
                    bureau_id=bureau.pk,
                    kind=UnitKind.STATION,
                    code=f"ST{s}{k}",
                    name=f"第{s + 1}分局{k + 1}所",
                    parent_id=sub.pk,
                )
            )
    return bureau, stations


def load_incidents(bureau_id, stations, n: int, chunk: int = 200_000) -> float:
    import numpy as np
    from django.db import connection, transaction

    from precinct.common import bulk
    from precinct.core.ids import uuid7_at

    c = bulk.codec()
    rng = np.random.default_rng(2021)
    pyrng = random.Random(2021)
    end = dt.datetime.combine(TODAY, dt.time(0), tzinfo=dt.UTC)
    start = end - dt.timedelta(days=3653)
    span = (end - start).total_seconds()
    names = [x[0] for x in CATEGORIES]
    weights = np.array([x[1] for x in CATEGORIES])
    station_ids = [c.uuid(s.pk) for s in stations]
    bureau = c.uuid(bureau_id)
    stamp = c.datetime(dt.datetime.now(dt.UTC))
    columns = ["id", "created_at", "updated_at", "bureau_id", "number", "source", "category",
               "priority", "lon", "lat", "address", "summary", "caller_phone", "zone_id",
               "station_id", "status", "received_at", "dispatched_at", "acknowledged_at",
               "on_scene_at", "closed_at", "disposition", "received_by"]  # fmt: skip
    t0 = time.perf_counter()
    done = 0
    while done < n:
        size = min(chunk, n - done)
        # crime falls over the decade: later years thinner (the reform)
        offsets = np.sort(span * rng.power(0.8, size) ** 0.9)
        cats = rng.choice(len(names), size=size, p=weights / weights.sum())
        st = rng.integers(0, len(station_ids), size=size)
        rows = []
        for j in range(size):
            at = start + dt.timedelta(seconds=float(offsets[j]))
            pk = uuid7_at(int(at.timestamp() * 1000), pyrng.getrandbits(74))
            rows.append((
                c.uuid(pk), stamp, stamp, bureau, f"B{done + j:09d}", "call_110",
                names[cats[j]], 2, 130.3, 47.35, "基准路1号", "基准警情", "", None,
                station_ids[st[j]], "closed", c.datetime(at), None, None, None, None,
                "street", "bench",
            ))  # fmt: skip
        with transaction.atomic():
            bulk.insert("command_incident", columns, rows)
        done += size
        print(f"\rloaded {done:,} incidents", end="", file=sys.stderr)
    print(file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - t0


def baseline(scope, reference: dt.date) -> int:
    """The dashboard's incident figures grouped from the incidents table on the request: ten
    years by month for the bureau, and this year and last by station."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db.models import Count, Q
    from django.db.models.functions import TruncMonth

    from precinct.command.models import Incident
    from precinct.stats import rules

    tz = ZoneInfo(settings.TIME_ZONE)
    first = dt.datetime(reference.year - 10, 1, 1, tzinfo=tz)
    last = dt.datetime.combine(rules.add_months(reference, 1), dt.time(0), tzinfo=tz)
    qs = Incident.objects.filter(bureau_id=scope.bureau_id, received_at__gte=first,
                                 received_at__lt=last)  # fmt: skip
    months = list(
        qs.annotate(m=TruncMonth("received_at", tzinfo=tz))
        .values("m")
        .annotate(
            police=Count("id", filter=~Q(category="non_police")),
            criminal=Count("id", filter=Q(category="criminal")),
            traffic=Count("id", filter=Q(category="traffic")),
        )
    )
    units = list(
        qs.filter(received_at__gte=dt.datetime(reference.year - 1, 1, 1, tzinfo=tz))
        .annotate(m=TruncMonth("received_at", tzinfo=tz))
        .values("station_id", "m")
        .annotate(
            police=Count("id", filter=~Q(category="non_police")),
            criminal=Count("id", filter=Q(category="criminal")),
            traffic=Count("id", filter=Q(category="traffic")),
        )
    )
    return len(months) + len(units)


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=10_000_000)
    parser.add_argument("--database", default=None,
                        help="sqlite:///PATH or postgresql://… (default: SQLite)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument(
        "--reuse", action="store_true", help="Use the database an earlier run built."
    )
    args = parser.parse_args()

    default = f"sqlite:///{ROOT / 'var' / 'bench' / 'stats.sqlite3'}"
    os.environ["PRECINCT_DATABASE_URL"] = (
        (args.database or default) if args.reuse else prepare_database(args.database or default)
    )
    os.environ.setdefault("PRECINCT_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from precinct.command.models import Incident
    from precinct.core.scoping import Role, Scope
    from precinct.org.models import Bureau, Unit
    from precinct.stats import services as stats

    call_command("migrate", verbosity=0)
    if args.reuse:
        bureau = Bureau.objects.get(code="BENCH")
        stations = list(Unit.objects.filter(bureau=bureau, kind="station").order_by("code"))
        load_s = 0.0
    else:
        bureau, stations = build_city()
        load_s = load_incidents(bureau.pk, stations, args.incidents)
    n = Incident.objects.filter(bureau=bureau).count()
    print(f"database: {connection.vendor}; {n:,} incidents over ten years"
          + (f", loaded in {load_s:.0f} s" if load_s else ""))  # fmt: skip

    now = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    if not args.reuse:
        t0 = time.perf_counter()
        months = stats.refresh(bureau.pk, now=now)
        print(f"first full refresh of the read model: {months} months in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    periodic = timed(lambda: stats.refresh(bureau.pk, now=now, months=stats.recent(now)), 3)
    print(f"periodic refresh (this month and last): median {statistics.median(periodic):.0f} ms")

    leader = Scope(user_id=None, role=Role.LEADERSHIP, bureau_id=bureau.pk, today=TODAY)
    station = stations[0]
    chief = Scope(user_id=None, role=Role.UNIT_CHIEF, bureau_id=bureau.pk, unit_id=station.pk,
                  unit_path=station.path, today=TODAY)  # fmt: skip
    ref = stats.default_reference(TODAY)
    results = {}
    for label, scope in (("bureau", leader), ("station chief", chief)):
        stats.dashboard(scope, reference=ref)  # warm
        results[label] = timed(lambda scope=scope: stats.dashboard(scope, reference=ref), args.runs)
    base = timed(lambda: baseline(leader, ref), args.baseline_runs)
    for label, ms in results.items():
        p95 = percentile(ms, 95)
        print(f"dashboard from the read model, {label}: p50 {statistics.median(ms):.1f} ms, "
              f"p95 {p95:.1f} ms over {len(ms)} runs; target p95 {TARGET_P95_MS:.0f} ms -> "
              f"{'met' if p95 <= TARGET_P95_MS else 'missed'}")  # fmt: skip
    b50, b95 = statistics.median(base), percentile(base, 95)
    r50 = statistics.median(results["bureau"])
    print(f"baseline, grouped from the incidents table per request: p50 {b50:.0f} ms, p95 "
          f"{b95:.0f} ms over {len(base)} runs -> the read model is {b50 / r50:.0f}x faster "
          f"(p50)")  # fmt: skip


if __name__ == "__main__":
    main()
