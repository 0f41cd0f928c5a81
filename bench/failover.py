"""The failover drill (issue 20, ADR 0041): the highly available PostgreSQL loses its primary
while two app servers are busy; is any acknowledged write lost or made twice, how long are
there no writes, which failures reached a client as anything but "try again", and how soon
does the live board follow again?

    make cluster-up
    .venv/bin/python bench/failover.py [--runs 3] [--faults kill,cut,kill] [--json]

Against the cluster that ``make cluster-up`` started (``var/cluster``), a database ``drill``
gets the small demo city; two ``precinct serve`` processes (each with its job worker) serve it
through the cluster's multi-host address. On server B, clients write all the time: 110
incidents (intake with an Idempotency-Key), dispatch (an incident, a car sent, the incident
closed: each step with its key), case events, and bonus payouts on the award page. On server
A, a live board (server-sent events) watches: it hears of B's writes only through PostgreSQL's
LISTEN/NOTIFY. Each run:

1. the writers run ``--warm`` seconds;
2. the fault, on the primary's host: ``kill`` SIGKILLs every process there (Patroni and
   PostgreSQL: the host died); ``cut`` takes its network away (its namespace's cable is
   unplugged: the host runs on, alone);
3. the writers go on until the writes have come back and ``--after`` seconds more, then finish
   what they hold (every unacknowledged write sent again, identically) and stop;
4. the checks of bench/crash.py on that run's writes: each acknowledged write there once (and
   each dispatch step), the ledger, pg_amcheck, the audit chain;
5. the old primary's host is brought back (network, processes); it rejoins as a replica, and
   the next run waits for three healthy nodes.

Figures per run: ``lost`` (acknowledged, not there), ``duplicated``, ``write_gap_s`` (the longest
time without an acknowledged write, around the fault), ``unretried_failures`` (answers that
were neither a success nor "try again": no answer, a 5xx other than 503 with Retry-After, a
refusal), ``board_reconnect_s`` (from the first acknowledged write after the fault to the
board's first update after it). With ``--json`` the last line printed is
``{"runs": [{"lost", "duplicated", "write_gap_s", "unretried_failures", "board_reconnect_s",
…}]}``. Targets: lost 0, duplicated 0, write gap ≤ 15 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import itertools

from bench import faults
from bench.dbloss import Stream
from precinct.ops.cluster import Cluster, Node

DRILL_DB = "drill"
TARGET_GAP_S = 15.0
OK_STATUSES = {200, 201, 204, 302}


# --- dispatch: an incident, a car sent, the incident closed ----------------------------------
@dataclasses.dataclass
class DispatchWork:
    run: str
    token: str
    units: list[uuid.UUID]

    def chain(self, client: int) -> Callable[[int], faults.Op]:
        unit = self.units[client % len(self.units)]
        state: dict[str, Any] = {"next": "intake", "last": None}
        auth = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

        def make(n: int) -> faults.Op:
            last = state["last"]
            if last is not None and not last.acked:  # refused: start a new chain
                state["next"] = "intake"
            key = f"{self.run}-d{n}"
            step = state["next"]
            if step == "intake":
                body: dict[str, Any] = {
                    "category": "dispute", "priority": 2, "lat": 47.3499, "lon": 130.2977,
                    "address": f"演练路{n % 1000}号", "summary": f"{self.run} dispatch {key}",
                }  # fmt: skip
                op = faults.Op("dispatch", key, "POST", "/api/v1/incidents",
                               json.dumps(body).encode(), {**auth, "Idempotency-Key": key},
                               meta={"step": "intake", "summary": body["summary"]})  # fmt: skip
                state["next"] = "dispatch"
            else:  # the incident of the chain: from the intake's answer, then carried on
                incident = last.meta.get("incident") or str(last.ack["id"])
                if step == "dispatch":
                    body = {"unit_id": str(unit), "reason": "演练"}
                    path = f"/api/v1/incidents/{incident}/dispatch"
                    state["next"] = "close"
                else:
                    body = {"disposition": "false_alarm", "note": "演练"}
                    path = f"/api/v1/incidents/{incident}/close"
                    state["next"] = "intake"
                op = faults.Op("dispatch", key, "POST", path, json.dumps(body).encode(),
                               {**auth, "Idempotency-Key": key},
                               meta={"step": step, "incident": incident})  # fmt: skip
            state["last"] = op
            return op

        return make


def note_incident(op: faults.Op) -> None:
    if op.kind == "dispatch" and op.meta.get("step") == "intake" and op.acked:
        op.meta["incident"] = str(op.ack["id"])


def verify_dispatch(work: DispatchWork, ops: list[faults.Op]) -> tuple[int, int, list[str]]:
    """(lost, duplicated, problems) of the dispatch chains."""
    from django.db.models import Count

    from precinct.command.models import Dispatch, Incident, IntakeKey

    lost = duplicated = 0
    problems: list[str] = []
    mine = [o for o in ops if o.kind == "dispatch"]
    intakes = [o for o in mine if o.meta["step"] == "intake"]
    keys = dict(
        IntakeKey.objects.filter(key__in=[o.key for o in intakes]).values_list("key", "incident_id")
    )
    for o in intakes:
        if o.acked and str(keys.get(o.key)) != str(o.ack["id"]):
            lost += 1
            problems.append(
                f"dispatch intake {o.key}: acknowledged {o.ack['id']}, stored {keys.get(o.key)}"
            )
    made = Incident.objects.filter(summary__startswith=f"{work.run} dispatch ")
    duplicated += sum(
        r["n"] - 1 for r in made.values("summary").annotate(n=Count("pk")).filter(n__gt=1)
    )
    asked = {o.meta["summary"] for o in intakes}
    duplicated += made.exclude(summary__in=asked).count()
    incident_ids = list(made.values_list("pk", flat=True))
    sent = {
        str(i): n
        for i, n in Dispatch.objects.filter(incident_id__in=incident_ids)
        .values("incident_id").annotate(n=Count("pk")).values_list("incident_id", "n")
    }  # fmt: skip
    duplicated += sum(n - 1 for n in sent.values() if n > 1)
    dispatch_ids = {
        str(i)
        for i in Dispatch.objects.filter(incident_id__in=incident_ids).values_list("pk", flat=True)
    }
    closed = {str(i) for i in made.filter(status="closed").values_list("pk", flat=True)}
    for o in mine:
        if not o.acked:
            continue
        if o.meta["step"] == "dispatch" and str(o.ack.get("id")) not in dispatch_ids:
            lost += 1
            problems.append(f"dispatch {o.key}: acknowledged {o.ack.get('id')}, not stored")
        if o.meta["step"] == "close" and o.meta["incident"] not in closed:
            lost += 1
            problems.append(f"close {o.key}: acknowledged, incident {o.meta['incident']} open")
    return lost, duplicated, problems


# --- one run ----------------------------------------------------------------------------------
def run_once(
    number: int, fault: str, args: argparse.Namespace, cluster: Cluster, db: faults.Scratch,
    servers: tuple[faults.Server, faults.Server], board: Stream, log: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    base = f"fo{number}x{uuid.uuid4().hex[:6]}"
    faults.use_database(db)
    work = faults.prepare_workload(
        base, writers={"intake": 2, "event": 1, "payout": 1}, cases=10, awards=400, seed=number
    )
    # this run's case events at moments of their own (the timelines keep the earlier runs')
    work.event_start = dt.datetime(2019, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=30 * number)
    dwork = DispatchWork(base, faults.tokens("command", 1, base)[0], free_units(args.dispatchers))
    faults.release_database()
    writer_server = servers[1]
    writers = faults.Writers(lambda: writer_server.url, timeout=60)
    writers.add("intake", work.intake, 2, pause=0.05)
    writers.add("event", work.event, 1, pause=0.05)
    writers.add("payout", work.payout, 1, pause=0.2)
    writers.add("dispatch", dwork.chain, args.dispatchers, pause=0.05)
    writers.up.set()
    writers.start()
    time.sleep(args.warm)
    old = cluster.leader()
    assert old is not None, "no primary before the fault"
    log(f"run {number}: {fault} the primary {old.name} ({old.address})")
    t_fault = time.monotonic()
    if fault == "kill":
        cluster.kill(old)
    else:
        cluster.cut(old)
    new = _wait_for(lambda: _new_leader(cluster, old), 120)
    t_promoted = time.monotonic()
    log(
        f"run {number}: {new.name if new else 'nobody'} promoted after {t_promoted - t_fault:.1f} s"
    )
    _wait_for(lambda: any(o.acked_at > t_promoted for o in list(writers.ops)), 120)
    time.sleep(args.after)
    drained = writers.join(timeout=300)
    t_end = time.monotonic()
    ops = list(writers.ops)
    replies = list(writers.replies)

    faults.use_database(db)
    for o in ops:
        note_incident(o)
    verdict = faults.verify(db, work, ops)
    d_lost, d_dup, d_problems = verify_dispatch(dwork, ops)
    faults.release_database()
    acks = sorted(o.acked_at for o in ops if o.acked)
    gap, resumed = _gap(acks, t_fault)
    board_after = min((t for t in board.events if t >= resumed), default=None)
    failures = [r for r in replies if r[2] == 0 or (r[2] >= 500 and r[2] != 503)]
    figures = {
        "run": number,
        "fault": fault,
        "old_primary": old.name,
        "new_primary": new.name if new else None,
        "lost": sum(verdict.lost.values()) + d_lost,
        "duplicated": sum(verdict.duplicated.values()) + d_dup,
        "write_gap_s": round(gap, 2),
        "unretried_failures": len(failures) + sum(bool(o.refused) for o in ops),
        "board_reconnect_s": round(board_after - resumed, 2) if board_after else None,
        "promoted_after_s": round(t_promoted - t_fault, 2),
        "writes_back_after_s": round(resumed - t_fault, 2),
        "acknowledged": len(acks),
        "acknowledged_by_kind": {
            k: sum(o.acked for o in ops if o.kind == k)
            for k in ("intake", "dispatch", "event", "payout")
        },
        "answered_503_then_retried": sum(1 for r in replies if r[2] == 503),
        "replayed_by_the_server": _replays(servers[1].log) - args._replays_before,
        "unacknowledged_at_end": sum(not o.acked and not o.refused for o in ops),
        "drained": drained,
        "ledger_violations": verdict.ledger_violations,
        "amcheck": verdict.integrity,
        "amcheck_ok": verdict.integrity_ok,
        "audit_chain_ok": verdict.audit_ok,
        "audit": verdict.audit,
        "window_s": round(t_end - t_fault, 1),
        "problems": (verdict.problems + d_problems)[:20],
    }
    args._replays_before = _replays(servers[1].log)
    log(
        f"run {number}: {json.dumps({k: figures[k] for k in ('lost', 'duplicated', 'write_gap_s', 'unretried_failures', 'board_reconnect_s')})}"
    )
    # the old primary's host comes back and rejoins as a replica
    cluster.reset(old)
    cluster.wait_healthy(timeout=180)
    return figures


def free_units(n: int) -> list[uuid.UUID]:
    from precinct.command.models import PatrolUnit

    units = list(
        PatrolUnit.objects.filter(status="available", incident__isnull=True)
        .order_by("call_sign").values_list("pk", flat=True)[:n]
    )  # fmt: skip
    if len(units) < n:
        raise SystemExit(f"the demo city has {len(units)} available cars, the drill needs {n}")
    return units


def _new_leader(cluster: Cluster, old: Node) -> Node | None:
    leader = cluster.leader()
    return leader if leader is not None and leader != old else None


def _wait_for(found: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    return None


def _gap(acks: list[float], t_fault: float) -> tuple[float, float]:
    """The longest time without an acknowledged write from the last acknowledgement before the
    fault on, and when it ended (the writes came back)."""
    before = [t for t in acks if t <= t_fault]
    times = ([before[-1]] if before else [t_fault]) + [t for t in acks if t > t_fault]
    pairs = list(itertools.pairwise(times))
    if not pairs:
        return 0.0, t_fault
    start, end = max(pairs, key=lambda p: p[1] - p[0])
    return end - start, end


def _replays(log: Path) -> int:
    try:
        return len(
            re.findall(r"database back: \S+ \S+ runs again", log.read_text(errors="replace"))
        )
    except OSError:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--faults", default="kill,cut,kill", help="per run, in turn: kill | cut")
    parser.add_argument(
        "--warm", type=float, default=8.0, help="seconds of writes before the fault"
    )
    parser.add_argument(
        "--after", type=float, default=8.0, help="seconds of writes after they came back"
    )
    parser.add_argument("--dispatchers", type=int, default=2)
    parser.add_argument("--cluster-dir", type=Path, default=faults.ROOT / "var" / "cluster")
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    kinds = args.faults.split(",")
    if any(k not in ("kill", "cut") for k in kinds):
        parser.error("--faults: kill or cut, comma-separated")
    cluster = Cluster(args.cluster_dir)
    if not cluster.healthy():
        print(
            f"the cluster in {args.cluster_dir} is not up and healthy: make cluster-up",
            file=sys.stderr,
        )
        return 2
    if "cut" in kinds and not cluster.netns:
        parser.error("a network cut needs the cluster's namespaces (make cluster-up as root)")
    run_dir = (args.dir or faults.WORK / f"failover-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {text}", file=sys.stderr, flush=True)

    log(f"the small demo city into {DRILL_DB} on the cluster ({cluster.url(DRILL_DB)})")
    db = faults.cluster_scratch(args.cluster_dir, DRILL_DB, run_dir)
    faults.use_database(db)
    board_token = faults.tokens("command", 1, "board")[0]
    faults.release_database()
    env = db.env(PRECINCT_API_RATE_PER_MINUTE="1000000", PRECINCT_REAUTH_SECONDS="86400",
                 PYTHONPATH=str(faults.ROOT))  # fmt: skip
    servers = (
        faults.Server(env, run_dir / "server-a.log"),
        faults.Server(env, run_dir / "server-b.log"),
    )
    for s in servers:
        s.start()
    board = Stream(servers[0].port, board_token)
    board.thread.start()
    args._replays_before = 0
    runs = []
    try:
        for i in range(args.runs):
            runs.append(
                run_once(i + 1, kinds[i % len(kinds)], args, cluster, db, servers, board, log)
            )
    finally:
        board.stop.set()
        for s in servers:
            s.stop()
        db.cluster.destroy()  # type: ignore[union-attr]
    summary = {
        "runs": runs,
        "targets_met": all(
            r["lost"] == 0 and r["duplicated"] == 0 and r["write_gap_s"] <= TARGET_GAP_S
            for r in runs
        ),
        "total_s": round(time.monotonic() - started, 1),
        "machine": faults.machine(),
    }
    _print(summary, log)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    elif summary["targets_met"]:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0 if summary["targets_met"] else 1


def _print(summary: dict[str, Any], log: Callable[[str], None]) -> None:
    cols = ("run", "fault", "lost", "duplicated", "write_gap_s", "unretried_failures",
            "board_reconnect_s", "promoted_after_s", "acknowledged", "answered_503_then_retried",
            "replayed_by_the_server")  # fmt: skip
    log(" | ".join(cols))
    for r in summary["runs"]:
        log(" | ".join(str(r[c]) for c in cols))
        for p in r["problems"]:
            log(f"  problem: {p}")
    log(f"targets met (lost 0, duplicated 0, gap ≤ {TARGET_GAP_S:.0f} s): {summary['targets_met']}; "
        f"{summary['total_s']} s; {summary['machine']}")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
