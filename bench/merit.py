"""Closing a month: every officer's points, line items and stars frozen.

    .venv/bin/python bench/merit.py [--officers 2000] [--achievements 200000] [--repeat 5]
                                    [--database sqlite:///PATH | postgresql://…/NAME]

Builds a scratch database with the demo city's people (topped up to ``--officers`` with extra
patrol and community officers), spreads ``--achievements`` approved achievement records over one
month, then times ``merit.services.compute_month`` (the close's work) ``--repeat`` times and one
real ``close_month``. Prints the median next to the target of issue 4 (2 s on SQLite), and the
baseline side by side: the same scoring done per officer through the ORM (one query an officer),
which is how a first cut would do it.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
TARGET_S = 2.0

from bench.supervision_sweep import prepare_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officers", type=int, default=2000)
    parser.add_argument("--achievements", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--database", default="sqlite:///" + str(ROOT / "var/bench/merit.sqlite3"))
    args = parser.parse_args()
    os.environ["PRECINCT_DATABASE_URL"] = prepare_database(args.database)
    os.environ.setdefault("PRECINCT_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from precinct.common import transactions
    from precinct.demo import services as demo
    from precinct.merit import rules, services
    from precinct.merit.models import Achievement
    from precinct.org import services as org
    from precinct.org.models import Officer, Unit

    call_command("migrate", verbosity=0)
    today = dt.date(2026, 11, 26)
    month = rules.Month(2026, 10)
    rng = random.Random(4)
    with transactions.entry():
        demo.load(seed=7, today=today, criminal_cases=0, administrative_cases=0, merit_months=0)
        bureau_id = Unit.objects.filter(parent=None).values_list("bureau_id", flat=True).get()
        stations = list(Unit.objects.filter(kind="station").values_list("pk", flat=True))
        have = Officer.objects.count()
        extra, posts = [], []
        for n in range(max(0, args.officers - have)):
            oid = uuid.uuid4()
            extra.append(
                {
                    "id": oid, "police_number": f"9{n:05d}", "name": f"补充{n}", "gender": "M",
                    "birth_date": dt.date(1985, 1, 1), "hire_date": dt.date(2010, 1, 1),
                    "rank": "一级警员", "post_type": rng.choice(["patrol", "community"]),
                    "status": "active", "party": "",
                }
            )  # fmt: skip
            posts.append(
                {
                    "id": uuid.uuid4(), "officer_id": oid, "unit_id": rng.choice(stations),
                    "position": "民警", "start": dt.date(2020, 1, 1), "end": None, "note": "",
                }
            )  # fmt: skip
        org.bulk_load(bureau_id=bureau_id, officers=extra, assignments=posts, today=today)
        facts = [f for f in org.officer_facts(bureau_id) if f.unit_id is not None]
        kinds = [str(k) for k in rules.Kind]
        rows = []
        for _ in range(args.achievements):
            f = rng.choice(facts)
            kind = rng.choice(kinds)
            rows.append(
                {
                    "bureau_id": bureau_id, "officer_id": f.id, "unit_id": f.unit_id,
                    "kind": kind, "occurred_on": month.first + dt.timedelta(days=rng.randrange(31)),
                    "quantity": rng.randint(1, 3),
                    "role": rng.choice(["lead", "assist"]) if kind == "case_solved" else "",
                }
            )  # fmt: skip
        services.bulk_load_achievements(rows, by="bench")
    officers = len(facts)
    print(f"database: {connection.vendor}; {officers:,} officers, "
          f"{Achievement.objects.filter(month=str(month)).count():,} achievements in {month}")  # fmt: skip

    def baseline() -> int:
        """Per officer through the ORM: one query for each officer's achievements."""
        policy = services.policy_for(bureau_id, month)
        scores = []
        for f in facts:
            items = [
                rules.Item(a.kind, a.quantity, a.role, a.evidence, str(a.pk))
                for a in Achievement.objects.filter(officer_id=f.id, month=str(month), state="approved")
            ]  # fmt: skip
            scores.append(rules.score(policy, officer=str(f.id), unit=str(f.unit_id),
                                      post_type=f.post_type, items=items))  # fmt: skip
        return len(rules.award_stars(policy, scores, {}))

    ours, base = [], []
    for n in range(args.repeat):
        t = time.perf_counter()
        data = services.compute_month(bureau_id, month)
        ours.append(time.perf_counter() - t)
        if n < args.baseline_runs:  # the baseline takes over a minute a run
            t = time.perf_counter()
            baseline()
            base.append(time.perf_counter() - t)
    t = time.perf_counter()
    closed = services.close_month(bureau_id, month, by="bench", today=today)
    close_s = time.perf_counter() - t
    assert closed.digest == rules.snapshot_digest(data)
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    print(f"compute_month: median {m_ours:.2f} s over {args.repeat} runs "
          f"(min {min(ours):.2f}, max {max(ours):.2f})")  # fmt: skip
    print(f"baseline (ORM, one query an officer): median {m_base:.2f} s over {len(base)} run(s) -> ours is "
          f"{m_base / m_ours:.1f}x faster")  # fmt: skip
    print(f"close_month (compute, digest, store): {close_s:.2f} s; "
          f"target {TARGET_S:.0f} s -> ratio {close_s / TARGET_S:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
