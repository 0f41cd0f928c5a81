"""Crash test: the server is killed with SIGKILL at random moments while clients write; nothing
acknowledged may be lost, nothing duplicated, the ledger must balance.

    .venv/bin/python bench/crash.py [--db sqlite|postgresql] [--rounds 200] [--seed 8]
                                    [--demo full|small] [--workers 1] [--json FILE]

A scratch copy of the demo city (SQLite: the city is built once and cached under var/faults/;
PostgreSQL: a scratch cluster of our own, never the shared server) is served by `precinct serve`
(its own process group). Writer threads, each with its own credential and connection, write all
the time: incidents (POST /api/v1/incidents with an Idempotency-Key), case events (POST
/api/v1/cases/{id}/events; the timeline refuses the same event twice) and bonus payouts (approving
an award proposal on the page, which pays its statutory bonus from the month's budget; a
proposal is decided once). Each round the server serves for a random (seeded) moment, then the
whole process group gets SIGKILL; writes in flight get no answer. The server is started again
on the same database and every unacknowledged write is sent again, identically (same key, same
body). After the last round the writers drain their queues, and the checks run:

- every acknowledged write is there, once (an incident per key, the one the answer named; the
  event on its case; the award approved and paid exactly once), each with its audit entry;
- the ledger: every transaction sums to 0, no budget or officer account below 0, reversals
  exact, approved <=> paid, and the budget holds exactly what was funded less what was paid;
- PRAGMA integrity_check and foreign_key_check (SQLite) / pg_amcheck --heapallindexed
  (PostgreSQL); `precinct audit verify`.

Exit code 0 when everything holds. The rate limit of the API is raised for the run (writers go
as fast as the server answers) and so is the re-authentication window of the approvals' session
(the run is longer than its 10 minutes).
"""

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=200, help="kills (default 200)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--demo", choices=["full", "small"], default="full")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    parser.add_argument("--intake", type=int, default=2, help="intake writer threads")
    parser.add_argument("--events", type=int, default=2, help="case-event writer threads")
    parser.add_argument("--payouts", type=int, default=1, help="payout writer threads")
    parser.add_argument("--min-up", type=float, default=0.05, help="shortest serving time, s")
    parser.add_argument("--max-up", type=float, default=1.5, help="longest serving time, s")
    parser.add_argument("--no-cache", action="store_true", help="build the SQLite city afresh")
    parser.add_argument("--dir", type=Path, help="work folder (default: under var/faults/)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)

    console = Console(stderr=True, width=max(150, shutil.get_terminal_size().columns))
    started = time.perf_counter()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = args.dir or faults.WORK / f"crash-{args.db}-{stamp}"
    console.print(f"crash test: {args.db}, {args.rounds} kills, seed {args.seed}; in {run_dir}")
    with console.status("preparing the scratch database (the demo city)…"):
        scratch = faults.scratch_database(args.db, run_dir, size=args.demo, cache=not args.no_cache)
    try:
        return _run(args, scratch, run_dir, console, started)
    finally:
        scratch.destroy()
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def _run(args: argparse.Namespace, scratch: faults.Scratch, run_dir: Path, console: Console,
         started: float) -> int:  # fmt: skip
    faults.use_database(scratch)
    rng = random.Random(args.seed)
    run = f"crash{args.seed}x{rng.randrange(10**6):06d}"
    with console.status("tokens, sessions, award proposals, the month's budget…"):
        work = faults.prepare_workload(
            run,
            writers={"intake": args.intake, "event": args.events, "payout": args.payouts},
            cases=20,
            awards=args.rounds * 12 if args.payouts else 0,
            seed=args.seed,
        )
    faults.release_database()
    setup_s = time.perf_counter() - started
    log = run_dir / "server.log"
    server = faults.Server(
        scratch.env(PRECINCT_API_RATE_PER_MINUTE="1000000", PRECINCT_REAUTH_SECONDS="86400"),
        log,
        workers=args.workers,
    )
    writers = faults.Writers(lambda: server.url)
    writers.add("intake", work.intake, args.intake)
    writers.add("event", work.event, args.events)
    writers.add("payout", work.payout, args.payouts, pause=0.05)
    writers.start()
    ready: list[float] = []
    in_flight: list[int] = []
    loop_started = time.perf_counter()
    with Progress(
        TextColumn("kills"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=args.rounds)
        for _round in range(args.rounds):
            ready.append(server.start())
            writers.up.set()
            time.sleep(rng.uniform(args.min_up, args.max_up))
            in_flight.append(writers.in_flight)
            server.kill()
            writers.up.clear()
            c = writers.counts()
            bar.update(
                task, advance=1,
                description=f"acknowledged {c['acked']}, awaiting retry {c['pending']}, "
                f"refused {c['refused']}",
            )  # fmt: skip
    # the last start: every unacknowledged write is sent again until it is acknowledged
    ready.append(server.start())
    writers.up.set()
    drained = writers.join(timeout=600)
    server.stop()
    loop_s = time.perf_counter() - loop_started
    with console.status("checking: writes, ledger, integrity, audit chain…"):
        verdict = faults.verify(scratch, work, writers.ops)
    tracebacks = faults.count_tracebacks(log)
    ops = writers.ops
    figures = {
        "database": args.db,
        "demo": args.demo,
        "workers": args.workers,
        "seed": args.seed,
        "kills": args.rounds,
        "kills_with_writes_in_flight": sum(1 for n in in_flight if n),
        "writes_in_flight_at_kills": sum(in_flight),
        "restart_s_median": statistics.median(ready),
        "restart_s_p95": faults.quantile(ready, 0.95),
        "requests_sent": sum(o.attempts for o in ops),
        "writes": len(ops),
        "retried_writes": sum(1 for o in ops if o.attempts > 1),
        "acknowledged_on_a_retry_as_done_already": sum(1 for o in ops if o.ack.get("already")),
        "drained": drained,
        "server_tracebacks": tracebacks,
        "setup_s": round(setup_s, 1),
        "kill_loop_s": round(loop_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "machine": faults.machine(),
        **{f"verdict_{k}": v for k, v in verdict.as_dict().items() if k != "problems"},
        "problems": verdict.problems[:50],
    }
    _table(console, figures, verdict)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    return 0 if verdict.ok and drained else 1


def _table(console: Console, f: dict, v: faults.Verdict) -> None:
    t = Table(title=f"crash test: {f['database']}, {f['kills']} SIGKILLs", show_header=True)
    t.add_column("figure")
    t.add_column("intake", justify="right")
    t.add_column("case events", justify="right")
    t.add_column("payouts", justify="right")
    t.add_column("all", justify="right")

    def row(name: str, d: dict[str, int]) -> None:
        t.add_row(name, *(str(d.get(k, 0)) for k in ("intake", "event", "payout")),
                  str(sum(d.values())))  # fmt: skip

    row("writes acknowledged", v.acked)
    row("lost (acknowledged, not there)", v.lost)
    row("duplicated", v.duplicated)
    row("without their audit entry", v.unaudited)
    row("refused", v.refused)
    row("never acknowledged", v.unacked)
    console.print(t)
    s = Table(show_header=False)
    s.add_column("figure")
    s.add_column("value")
    s.add_row("kills with writes in flight", f"{f['kills_with_writes_in_flight']} of {f['kills']}")
    s.add_row("writes in flight at the kills", str(f["writes_in_flight_at_kills"]))
    s.add_row("writes sent again after a kill", str(f["retried_writes"]))
    s.add_row("…answered 'done already' (the lost answer's write stood)",
              str(f["acknowledged_on_a_retry_as_done_already"]))  # fmt: skip
    s.add_row("requests sent", str(f["requests_sent"]))
    s.add_row("ledger violations", f"{v.ledger_violations} {'; '.join(v.ledger_detail[:3])}")
    s.add_row("cases whose findings' recompute a kill interrupted (caught up by the next sweep)",
              str(v.findings_caught_up))  # fmt: skip
    s.add_row("findings still stale after that (deep sweep)", str(v.findings_stale))
    s.add_row("integrity", f"{'ok' if v.integrity_ok else 'FAILED'}: {v.integrity}")
    s.add_row("audit chain", f"{'ok' if v.audit_ok else 'FAILED'}: {v.audit}")
    s.add_row("restart to first answer", f"median {f['restart_s_median']:.2f} s, "
              f"p95 {f['restart_s_p95']:.2f} s")  # fmt: skip
    s.add_row("tracebacks in the server log", str(f["server_tracebacks"]))
    s.add_row("time", f"setup {f['setup_s']} s, kills {f['kill_loop_s']} s, "
              f"total {f['total_s']} s")  # fmt: skip
    s.add_row("machine", f["machine"])
    s.add_row("verdict", "PASS" if v.ok and f["drained"] else "FAIL")
    console.print(s)
    for p in v.problems[:20]:
        console.print(f"[red]{p}")


if __name__ == "__main__":
    raise SystemExit(main())
