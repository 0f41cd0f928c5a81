"""Schemathesis over the whole API, deeper than `make test`: many cases per operation, positive and
negative, each as a role its route rule lets in; prints the cases tried and the failures found.

    .venv/bin/python bench/fuzz_api.py [--examples 200] [--database URL] [--reuse] [--only TEXT]

The harness is the one of tests/integration/test_api_fuzz.py (the same checks: no 5xx, status
code, content type and body as documented), run on a scratch database with the demo city (seed 7;
SQLite under var/bench/ unless --database names another). Each operation runs in a transaction
that is rolled back, so the city is the same for every operation and --reuse can skip the load.
Hypothesis is derandomized: two runs with the same --examples try the same cases. Exits 1 if any
case failed.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


class _Rollback(Exception):
    pass


def prepare(database: str | None, reuse: bool) -> str:
    default = f"sqlite:///{ROOT / 'var' / 'bench' / 'fuzz_api.sqlite3'}"
    url = database or default
    if url.startswith("sqlite:///") and not reuse:
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["PRECINCT_DATABASE_URL"] = url
    os.environ.setdefault("PRECINCT_ENV", "development")
    os.environ["PRECINCT_API_RATE_PER_MINUTE"] = "1000000000"  # the limit is not under test
    os.environ["PRECINCT_OTP_REQUIRED"] = "0"  # bearer tokens; no sessions to gate
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")
    return url


def load_city() -> None:
    from django.conf import settings
    from django.core.management import call_command

    from precinct.common import transactions
    from precinct.core import clock
    from precinct.demo import services as demo
    from precinct.identity import services as identity
    from precinct.org import services as org

    call_command("migrate", verbosity=0)
    if org.first_bureau() is not None:
        return
    with identity.acting_as(identity.Actor(username="bench", role="system")), transactions.entry():
        demo.load(  # the test suite's city (tests/conftest.py)
            seed=7,
            today=clock.today(settings.TIME_ZONE),
            criminal_cases=120,
            administrative_cases=360,
            merit_months=3,
            incident_days=62,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=200, help="cases per operation and mode")
    parser.add_argument("--database", default=None, help="sqlite:///PATH or postgresql://…")
    parser.add_argument("--reuse", action="store_true", help="use the city an earlier run loaded")
    parser.add_argument("--only", default="", help="operations whose label contains this")
    args = parser.parse_args()
    url = prepare(args.database, args.reuse)

    import logging

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # every 4xx is a warning
    from django.db import connection
    from tests.integration import test_api_fuzz as harness

    from precinct.common import transactions

    t0 = time.perf_counter()
    load_city()
    print(f"database: {connection.vendor} ({url.split('@')[-1]}); city ready in "
          f"{time.perf_counter() - t0:.0f} s; {args.examples} cases per operation and mode")  # fmt: skip

    rows = []
    failures: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    with harness.in_process_app() as (app, tracebacks):
        for target in harness.operations():
            if args.only and args.only not in target.label:
                continue
            username = harness.USERS[target.role]
            counts: dict[str, int | str] = {}
            statuses: dict[int, int] = {}
            found = 0
            t = time.perf_counter()
            try:
                with transactions.entry():
                    token = harness.token_for(username)
                    schema = harness.load_schema(app, token)
                    ids = harness.known_ids(username)
                    for mode in harness.MODES:
                        if mode == harness.GenerationMode.NEGATIVE and not target.negatable:
                            counts[mode.value] = "–"
                            continue

                        def failed(
                            first: str, report: str, where: str = f"{target.label} [{mode.value}]"
                        ) -> None:
                            failures.append((where, first, report))

                        outcome = harness.fuzz(
                            schema,
                            target,
                            mode,
                            token=token,
                            ids=ids,
                            tracebacks=tracebacks,
                            examples=harness.examples_for(target, args.examples),
                            on_failure=failed,
                        )
                        counts[mode.value] = "–" if outcome.unsatisfiable else outcome.cases
                        for code, n in outcome.statuses.items():
                            statuses[code] = statuses.get(code, 0) + n
                        found += len(outcome.failures)
                    raise _Rollback
            except _Rollback:
                pass
            rows.append((target.label, target.role.value, counts, statuses, found,
                         time.perf_counter() - t))  # fmt: skip
            print(f"  {target.label}: {counts} {found} failure(s)", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started

    width = max(len(r[0]) for r in rows)
    print()
    print(f"| {'operation':<{width}} | role | positive | negative | answers | failures |")
    print(f"|{'-' * (width + 2)}|---|---:|---:|---|---:|")
    total = {"positive": 0, "negative": 0}
    for label, role, counts, statuses, found, _seconds in rows:
        for name in total:
            tried = counts.get(name, 0)
            total[name] += tried if isinstance(tried, int) else 0
        answers = " ".join(f"{code}×{n}" for code, n in sorted(statuses.items()))
        print(f"| {label:<{width}} | {role} | {counts.get('positive', '–')} | "
              f"{counts.get('negative', '–')} | {answers} | {found} |")  # fmt: skip
    print(f"| {'all ' + str(len(rows)) + ' operations':<{width}} | | {total['positive']} | "
          f"{total['negative']} | | {len(failures)} |")  # fmt: skip
    print(f"\n{sum(total.values())} cases in {elapsed:.0f} s ({connection.vendor})")
    for where, first, report in failures:
        print(f"\n=== {where}: {first}\n{report}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
