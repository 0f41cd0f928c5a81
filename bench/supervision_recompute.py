"""Incremental recompute through the service, per event, as p50/p99 next to the target of issue 3
(p99 ≤ 5 ms): (1) the recompute itself — `supervision.services.recompute_case` for the case that
got the event, in its own transaction, as the bus runs it; (2) for information, the whole write
path — record the event (with its audit entry and the chain link) and the recompute on commit.

    .venv/bin/python bench/supervision_recompute.py [--cases N] [--events M]
    PRECINCT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB .venv/bin/python bench/...

Works in a scratch SQLite file (or the PostgreSQL database named, which must be empty).
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("PRECINCT_VAR_DIR", tempfile.mkdtemp(prefix="precinct-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from precinct.cases import services as cases  # noqa: E402
from precinct.cases.models import Case  # noqa: E402
from precinct.cases.rules import EventContent  # noqa: E402
from precinct.common import bus, transactions  # noqa: E402
from precinct.core import clock  # noqa: E402
from precinct.demo import services as demo  # noqa: E402
from precinct.identity import services as identity  # noqa: E402
from precinct.supervision import services as supervision  # noqa: E402

TARGET_P99_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=4000)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    now = clock.now()
    with identity.acting_as(identity.Actor(username="bench", role="system")), transactions.entry():
        demo.load(
            seed=9,
            today=clock.today("Asia/Shanghai"),
            criminal_cases=args.cases // 4,
            administrative_cases=args.cases - args.cases // 4,
            now=now,
        )
    rng = random.Random(1)
    ids = list(Case.objects.values_list("pk", flat=True))

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[max(0, int(len(values) * q) - 1)]

    whole, recompute = [], []
    for i in range(args.events):  # (2) the whole write path, the reaction on commit included
        case = Case.objects.get(pk=rng.choice(ids))
        content = EventContent(
            "parties_notified",
            now - dt.timedelta(minutes=2 * args.events - i),
            None,
            {"note": f"w{i}"},
        )
        started = time.perf_counter()
        with transactions.entry():
            cases.record_event(case=case, content=content, recorded_by="bench")
        whole.append((time.perf_counter() - started) * 1000)
    bus.unsubscribe(cases.CASE_EVENT_RECORDED, supervision._on_case_event)
    for i in range(args.events):  # (1) the recompute alone, for a case that just got an event
        case = Case.objects.get(pk=rng.choice(ids))
        with transactions.entry():
            cases.record_event(
                case=case,
                content=EventContent(
                    "parties_notified",
                    now - dt.timedelta(minutes=args.events - i),
                    None,
                    {"note": f"r{i}"},
                ),
                recorded_by="bench",
            )
        started = time.perf_counter()
        with transactions.entry():
            supervision.recompute_case(case.pk, now=now)
        recompute.append((time.perf_counter() - started) * 1000)
    print(
        f"database: {connection.vendor}; cases {len(ids):,}; events {args.events} per measurement"
    )
    print(
        f"(1) recompute per event: p50 {statistics.median(recompute):.2f} ms, "
        f"p99 {pct(recompute, 0.99):.2f} ms  ->  target p99 {TARGET_P99_MS} ms, "
        f"ratio {pct(recompute, 0.99) / TARGET_P99_MS:.2f}x of the budget"
    )
    print(
        f"(2) whole write path (event + audit + chain link + recompute): "
        f"p50 {statistics.median(whole):.2f} ms, p99 {pct(whole, 0.99):.2f} ms"
    )


if __name__ == "__main__":
    main()
