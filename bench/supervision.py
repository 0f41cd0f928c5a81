"""Throughput of the pure legal-deadline engine, in events per second on one core.

    .venv/bin/python bench/supervision.py [--cases N] [--repeat R]

Generates realistic criminal and administrative timelines (about 11 events a case, a few percent
late or missing), evaluates every case as of one "now", and prints the median of R runs next to the
target of issue 3 (200,000 events/s on one core here), as a ratio.
"""

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from precinct.supervision.calendar import is_holiday
from precinct.supervision.rules import Case, CaseKind, Event, Settings, evaluate

TZ = ZoneInfo("Asia/Shanghai")
TARGET = 200_000


def criminal(rng: random.Random, n: int, start: dt.datetime) -> tuple[Case, list[Event]]:
    t = start
    ev: list[tuple[str, str | None, dict]] = [
        ("report_received", None, {}),
        ("case_accepted", None, {}),
        ("case_filed", None, {}),
    ]
    people = ["p1"] if rng.random() < 0.7 else ["p1", "p2"]
    for p in people:
        ev += [
            ("summoned", p, {}),
            ("detained", p, {}),
            ("delivered_to_detention_centre", p, {}),
            ("family_notified", p, {"measure": "detention"}),
            ("interrogated", p, {"av_recorded": rng.random() > 0.03}),
            ("arrest_requested", p, {}),
            ("arrest_approved", p, {}),
            ("arrested", p, {}),
        ]
    events = []
    for i, (kind, subject, attrs) in enumerate(ev):
        if rng.random() < 0.03:
            continue  # a missing step: a problem point
        t += dt.timedelta(hours=rng.choice((1, 2, 3, 6, 20, 30)))
        events.append(Event(kind, t, subject, attrs, seq=i))
    return Case(f"XS-{n}", CaseKind.CRIMINAL, {"major": rng.random() < 0.1}), events


def administrative(rng: random.Random, n: int, start: dt.datetime) -> tuple[Case, list[Event]]:
    t = start
    ev = [
        ("report_received", None, {}),
        ("case_accepted", None, {}),
        ("case_filed", None, {}),
        ("summoned", "p1", {}),
        ("family_notified", "p1", {"measure": "summons"}),
        ("questioning_ended", "p1", {}),
        ("items_seized", "i1", {}),
        ("items_decided", "i1", {}),
        ("penalty_notice_given", "p1", {}),
        ("decision_made", None, {}),
        ("decision_served", None, {}),
    ]
    events = []
    for i, (kind, subject, attrs) in enumerate(ev):
        if rng.random() < 0.03:
            continue
        t += dt.timedelta(hours=rng.choice((1, 2, 4, 8, 24, 72)))
        events.append(Event(kind, t, subject, attrs, seq=i))
    return Case(f"XZ-{n}", CaseKind.ADMINISTRATIVE, {}), events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(2021)
    base = dt.datetime(2025, 6, 1, 8, 0, tzinfo=TZ)
    cases = [
        (criminal if rng.random() < 0.25 else administrative)(
            rng, n, base + dt.timedelta(hours=rng.randint(0, 8000))
        )
        for n in range(args.cases)
    ]
    total_events = sum(len(e) for _c, e in cases)
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=TZ)
    settings = Settings(tz=TZ, is_holiday=is_holiday)
    rates, problems = [], 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        problems = 0
        for case, events in cases:
            problems += sum(1 for f in evaluate(case, events, now, settings) if f.problem)
        rates.append(total_events / (time.perf_counter() - started))
    median = statistics.median(rates)
    print(
        f"cases {len(cases):,}, events {total_events:,} ({total_events / len(cases):.1f}/case), "
        f"problem points {problems:,}"
    )
    print(
        f"engine: median {median:,.0f} events/s over {args.repeat} runs "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f})"
    )
    print(f"target: {TARGET:,} events/s  ->  ratio {median / TARGET:.2f}x")


if __name__ == "__main__":
    main()
