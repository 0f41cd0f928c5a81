"""Incremental recompute through the service: record one event on a case and bring its findings
up to date (the domain-event reaction on commit), per event, as p50/p99 next to the target of
issue 3 (p99 ≤ 5 ms).

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
from django.db import connection, transaction  # noqa: E402

from precinct.cases import services as cases  # noqa: E402
from precinct.cases.models import Case  # noqa: E402
from precinct.cases.rules import EventContent  # noqa: E402
from precinct.core import clock  # noqa: E402
from precinct.demo import services as demo  # noqa: E402
from precinct.identity import services as identity  # noqa: E402

TARGET_P99_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=4000)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    now = clock.now()
    with identity.acting_as(identity.Actor(username="bench", role="system")), transaction.atomic():
        demo.load(
            seed=9,
            today=clock.today("Asia/Shanghai"),
            criminal_cases=args.cases // 4,
            administrative_cases=args.cases - args.cases // 4,
            now=now,
        )
    rng = random.Random(1)
    ids = list(Case.objects.values_list("pk", flat=True))
    timings = []
    for i in range(args.events):
        case = Case.objects.get(pk=rng.choice(ids))
        content = EventContent(
            "parties_notified", now - dt.timedelta(minutes=args.events - i), None, {"note": str(i)}
        )
        started = time.perf_counter()
        with transaction.atomic():  # the entry point's transaction; findings follow on commit
            cases.record_event(case=case, content=content, recorded_by="bench")
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"database: {connection.vendor}; cases {len(ids):,}; events recorded {len(timings)}")
    print(
        f"record event + recompute findings: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {timings[-1]:.2f} ms"
    )
    print(f"target p99 {TARGET_P99_MS} ms  ->  ratio {p99 / TARGET_P99_MS:.2f}x of the budget used")


if __name__ == "__main__":
    main()
