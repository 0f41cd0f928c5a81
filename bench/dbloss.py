"""Database loss under load: PostgreSQL is restarted (and stopped for a while) while the app is
busy; what do clients get during the outage, how soon is the app serving again once the database
is back, and is any acknowledged write lost?

    .venv/bin/python bench/dbloss.py [--workers 2] [--settings MODULE] [--json FILE]

A scratch PostgreSQL cluster of our own (never the shared server) gets the demo city; `precinct
serve --workers 2` serves it. Writers (incidents with an Idempotency-Key, case events, bonus
payouts on the award page), readers (the incidents API, the board's JSON, the cases page, the
home page) and one live-board stream (server-sent events, reconnecting like the browser does)
run all the time. Then, in turn:

1. `pg_ctl restart -m immediate` (a crash: no checkpoint, WAL recovery at start);
2. `pg_ctl restart -m fast` (a clean restart; sessions are ended);
3. `pg_ctl stop -m immediate`, the database away for --down seconds, `pg_ctl start`.

For each: the answers during the outage by status and body (JSON, HTML page, a traceback), the
slowest answer (a hang shows here), the time from the database accepting connections again to
the first good answer of every kind of request and to the last error, and the live board's
first update. At the end the writers send every unacknowledged write again, and the same checks
as bench/crash.py run: every acknowledged write there once, the ledger, pg_amcheck, the audit
chain. ``--settings MODULE`` serves with other settings (to compare a change).
"""

import argparse
import http.client
import json
import os
import shutil
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import faults

READS = {
    "incidents API": ("command", "/api/v1/incidents?limit=20"),
    "board JSON": ("command", "/command/board.json"),
    "cases page": ("legal", "/supervision/cases/"),
    "home page": ("officer", "/"),
}
OK = {200, 201, 204, 302}


class Readers:
    """Reader threads polling GETs; every answer kept as (t answered, kind, status, seconds,
    error, body class)."""

    def __init__(self, base: str, tokens: dict[str, str], pause: float = 0.1) -> None:
        self.base, self.tokens, self.pause = base, tokens, pause
        self.replies: list[tuple[float, str, int, float, str, str]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(k, u, p), daemon=True)
            for k, (u, p) in READS.items()
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def _run(self, kind: str, user: str, path: str) -> None:
        conn: list[http.client.HTTPConnection | None] = [None]
        op = faults.Op(kind, kind, "GET", path, b"",
                       {"Authorization": f"Bearer {self.tokens[user]}"})  # fmt: skip
        while not self.stop.is_set():
            reply = faults.send(conn, self.base, op, timeout=60)
            with self.lock:
                self.replies.append(
                    (time.monotonic(), kind, reply.status, reply.elapsed, reply.error,
                     faults.body_class(reply))
                )  # fmt: skip
            time.sleep(self.pause)


class Stream:
    """The live board's server-sent events, reconnecting 2 s after a drop as the page does."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.events: list[float] = []  # when a board event arrived
        self.connects: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=40)
                conn.request("GET", "/command/stream",
                             headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip
                r = conn.getresponse()
                if r.status != 200:
                    raise OSError(f"status {r.status}")
                self.connects.append(time.monotonic())
                while not self.stop.is_set():
                    line = r.fp.readline()
                    if not line:
                        break
                    if line.startswith(b"event: board"):
                        self.events.append(time.monotonic())
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            self.stop.wait(2.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--demo", choices=["full", "small"], default="full")
    parser.add_argument("--settings", default="precinct.config.settings")
    parser.add_argument("--warm", type=float, default=10.0, help="seconds before the first fault")
    parser.add_argument("--observe", type=float, default=20.0, help="seconds after each return")
    parser.add_argument("--down", type=float, default=10.0, help="seconds away in phase 3")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    console = Console(stderr=True, width=max(150, shutil.get_terminal_size().columns))
    started = time.perf_counter()
    run_dir = args.dir or faults.WORK / f"dbloss-{time.strftime('%Y%m%d-%H%M%S')}"
    console.print(f"database loss under load: scratch PostgreSQL in {run_dir}; {args.settings}")
    with console.status("scratch PostgreSQL cluster and the demo city…"):
        scratch = faults.scratch_database("postgresql", run_dir, size=args.demo)
    try:
        return _run(args, scratch, run_dir, console, started)
    finally:
        scratch.destroy()
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def _run(args: argparse.Namespace, scratch: faults.Scratch, run_dir: Path, console: Console,
         started: float) -> int:  # fmt: skip
    cluster = scratch.cluster
    assert cluster is not None
    faults.use_database(scratch)
    run = f"dbloss{args.seed}x{int(time.time()) % 10**6:06d}"
    work = faults.prepare_workload(
        run, writers={"intake": 2, "event": 1, "payout": 1}, cases=20, awards=3000,
        seed=args.seed,
    )  # fmt: skip
    read_tokens = {u: faults.tokens(u, 1, run)[0] for u in ("command", "legal", "officer")}
    stream_token = faults.tokens("command", 1, run)[0]
    faults.release_database()
    log = run_dir / "server.log"
    env = scratch.env(
        PRECINCT_API_RATE_PER_MINUTE="1000000", PRECINCT_REAUTH_SECONDS="86400",
        DJANGO_SETTINGS_MODULE=args.settings, PYTHONPATH=str(faults.ROOT),
    )  # fmt: skip
    server = faults.Server(env, log, workers=args.workers)
    server.start()
    writers = faults.Writers(lambda: server.url, timeout=60)
    writers.add("intake", work.intake, 2, pause=0.05)
    writers.add("event", work.event, 1, pause=0.05)
    writers.add("payout", work.payout, 1, pause=0.2)
    readers = Readers(server.url, read_tokens)
    stream = Stream(server.port, stream_token)
    writers.up.set()
    writers.start()
    readers.start()
    stream.thread.start()
    time.sleep(args.warm)
    phases = []
    for name, act in (
        ("restart -m immediate", lambda: cluster.restart("immediate")),
        ("restart -m fast", lambda: cluster.restart("fast")),
        (f"stop -m immediate, {args.down:.0f} s away, start", lambda: _away(cluster, args.down)),
    ):
        console.print(f"fault: {name}")
        t_fault = time.monotonic()
        act()
        t_back = time.monotonic()  # pg_ctl -w returned: the database accepts connections
        time.sleep(args.observe)
        phases.append({"name": name, "t_fault": t_fault, "t_back": t_back,
                       "t_end": time.monotonic()})  # fmt: skip
    server_alive = server.process is not None and server.process.poll() is None
    readers.stop.set()
    stream.stop.set()
    drained = writers.join(timeout=300)
    server.stop()
    replies = sorted(readers.replies + writers.replies)
    results = [_phase(p, replies, stream) for p in phases]
    with console.status("checking: writes, ledger, pg_amcheck, audit chain…"):
        verdict = faults.verify(scratch, work, writers.ops)
    figures = {
        "settings": args.settings,
        "workers": args.workers,
        "phases": results,
        "requests": len(replies),
        "server_alive_after_faults": server_alive,
        "server_tracebacks_logged": faults.count_tracebacks(log),
        "drained": drained,
        "total_s": round(time.perf_counter() - started, 1),
        "machine": faults.machine(),
        **{f"verdict_{k}": v for k, v in verdict.as_dict().items() if k != "problems"},
        "problems": verdict.problems[:50],
    }
    _print(console, figures, verdict)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    ok = verdict.ok and drained and server_alive
    return 0 if ok else 1


def _away(cluster: faults.PgCluster, seconds: float) -> None:
    cluster.stop("immediate")
    time.sleep(seconds)
    cluster.start()


def _phase(p: dict, replies: list[tuple[float, str, int, float, str, str]],
           stream: Stream) -> dict:  # fmt: skip
    """Figures of one fault: answers from the fault until the end of its observation."""
    t0, back, end = p["t_fault"], p["t_back"], p["t_end"]
    window = [r for r in replies if t0 <= r[0] <= end]
    bad = [r for r in window if r[2] not in OK and not (r[1] == "event" and r[2] == 422)]
    by = Counter(f"{r[2] or 'no answer'} {r[5]}" for r in bad)
    kinds = sorted({r[1] for r in replies})
    first_ok = {}
    for k in kinds:
        good = [r[0] for r in window if r[1] == k and r[0] >= back and r[2] in OK]
        first_ok[k] = round(min(good) - back, 2) if good else None
    last_bad = max((r[0] for r in bad), default=None)
    events_after = [t for t in stream.events if t >= back]
    slowest = max((r[3] for r in window), default=0.0)
    return {
        "fault": p["name"],
        "database_away_s": round(back - t0, 2),
        "answers": len(window),
        "errors": len(bad),
        "errors_by_status_and_body": dict(by.most_common()),
        "tracebacks_in_bodies": sum(1 for r in window if r[5] == "traceback"),
        "slowest_answer_s": round(slowest, 2),
        "first_good_answer_after_return_s": first_ok,
        # readers poll every 0.1 s; writers wait Retry-After (up to 2 s) before they send again
        "readers_served_again_after_s": _latest(first_ok, READS),
        "writers_served_again_after_s": _latest(first_ok, ("intake", "event", "payout")),
        "never_served_again": [k for k, v in first_ok.items() if v is None],
        "last_error_after_return_s": round(last_bad - back, 2) if last_bad else None,
        "board_first_update_after_return_s": round(events_after[0] - back, 2)
        if events_after
        else None,
        "board_updates_after_return": len([t for t in events_after if t <= end]),
        "board_reconnects": len([t for t in stream.connects if t0 <= t <= end]),
    }


def _latest(first_ok: dict, kinds: object) -> float | None:
    values = [v for k, v in first_ok.items() if k in kinds]  # type: ignore[operator]
    return None if not values or None in values else max(values)


def _print(console: Console, f: dict, v: faults.Verdict) -> None:
    t = Table(title=f"database loss under load ({f['settings']}, {f['workers']} workers)")
    for col in ("fault", "away", "answers", "errors (status, body)", "tracebacks",
                "slowest", "reads served again", "writes served again", "last error",
                "board update"):  # fmt: skip
        t.add_column(col)
    for p in f["phases"]:
        t.add_row(
            p["fault"], f"{p['database_away_s']} s", str(p["answers"]),
            ", ".join(f"{k}: {n}" for k, n in p["errors_by_status_and_body"].items()) or "none",
            str(p["tracebacks_in_bodies"]), f"{p['slowest_answer_s']} s",
            f"{p['readers_served_again_after_s']} s", f"{p['writers_served_again_after_s']} s" + (
                f" (never: {', '.join(p['never_served_again'])})" if p["never_served_again"] else ""
            ),
            f"{p['last_error_after_return_s']} s", f"{p['board_first_update_after_return_s']} s",
        )  # fmt: skip
    console.print(t)
    s = Table(show_header=False)
    s.add_column("figure")
    s.add_column("value")
    s.add_row("writes acknowledged", str(sum(v.acked.values())) + f" {v.acked}")
    s.add_row("lost (acknowledged, not there)", str(sum(v.lost.values())))
    s.add_row("duplicated", str(sum(v.duplicated.values())))
    s.add_row(
        "refused / never acknowledged", f"{sum(v.refused.values())} / {sum(v.unacked.values())}"
    )
    s.add_row("ledger violations", str(v.ledger_violations))
    s.add_row("pg_amcheck", f"{'ok' if v.integrity_ok else 'FAILED'}: {v.integrity}")
    s.add_row("audit chain", f"{'ok' if v.audit_ok else 'FAILED'}: {v.audit}")
    s.add_row("server process alive after the faults", str(f["server_alive_after_faults"]))
    s.add_row("tracebacks in the server log", str(f["server_tracebacks_logged"]))
    s.add_row("requests", str(f["requests"]))
    s.add_row("time", f"{f['total_s']} s; {f['machine']}")
    console.print(s)
    for p in v.problems[:20]:
        console.print(f"[red]{p}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
