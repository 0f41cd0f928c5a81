"""Dispatch clients over HTTP, open loop: issue 19's recommendations target.

    .venv/bin/python bench/http_dispatch.py [--duration 60] [--warmup 10] [--clients 50]
                                            [--rate-per-client 2] [--incidents 5]
                                            [--workers N] [--json] [--keep]

A fresh var folder holds a copy of the demo city in SQLite exactly as `make run` leaves it
(`precinct db upgrade`, `demo load`, `org refresh`: built once per schema and cached under
var/faults/cache, then copied; see bench/faults.py). Each dispatch client gets an API token of
its own for the demo's command-centre account (`command`; the API's rate limit counts per
client). The server is started as `make run` starts it, `precinct serve --host 127.0.0.1
--port N` with the same defaults (a worker process per core and the job worker beside it), and
is polled until /healthz answers, then until the job worker has done the daily work a new server
starts with (the day's schedule caught up: a few seconds of district refresh and supervision
sweep, about ten of traffic learning, each row's state read from the database; with
--with-startup-jobs the load starts at once and runs beside it). A few incidents are taken in through the API (POST
/api/v1/incidents, where recent demo calls were made), then the load runs.

The load is an open loop: every client asks for the recommendations of one of the open
incidents (GET /api/v1/incidents/{id}/recommendations) every 1/rate seconds on a fixed
schedule, whether or not its earlier questions were answered (the clients' phases spread
evenly, so 50 clients at 2/s send 100 requests/s). A question waits for a free connection of its
client (at most --connections each) or opens one. Latency is counted from the *scheduled* send
time, so a server that falls behind shows its queue (no coordinated omission). The client is
plain asyncio streams speaking HTTP/1.1 with keep-alive (the venv has neither httpx nor
aiohttp). Only questions scheduled after the warm-up and within --duration are counted; one
unanswered after --timeout seconds is an error, as is any answer but 200.

Printed: p50/p95/p99/max, the rate sent and the rate answered, errors; with --json, one JSON
object on the last line of standard output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import http.client
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import faults

TARGET_P99_MS = 50.0
COMMAND_ACCOUNT = "command"  # the demo's command-centre dispatcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before, not counted")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate-per-client", type=float, default=2.0, help="requests/s each")
    parser.add_argument("--incidents", type=int, default=5, help="open incidents asked about")
    parser.add_argument("--connections", type=int, default=8, help="at most, per client")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds; then an error")
    parser.add_argument(
        "--workers", type=int, help="pass --workers to `precinct serve` (default: as make run)"
    )
    parser.add_argument(
        "--with-startup-jobs",
        action="store_true",
        help="load at once, while the job worker runs the daily work a new server starts with",
    )
    parser.add_argument("--dir", type=Path, help="the var folder (default: a new one)")
    parser.add_argument("--keep", action="store_true", help="leave the var folder")
    parser.add_argument("--json", action="store_true", help="one JSON object, last")
    args = parser.parse_args(argv)
    say = _Say()
    run_dir = (
        args.dir or faults.WORK / f"http-dispatch-{time.strftime('%Y%m%d-%H%M%S')}"
    ).resolve()
    if run_dir.exists():
        raise SystemExit(f"{run_dir} exists: the var folder must be a fresh one")
    server: _Server | None = None
    try:
        say(f"var folder {run_dir}: the demo city (cached under {faults.WORK / 'cache'})")
        scratch = faults.sqlite_scratch(run_dir)
        faults.use_database(scratch)
        tokens = faults.tokens(COMMAND_ACCOUNT, args.clients, name="http-dispatch")
        faults.release_database()
        server = _Server(scratch.env(), run_dir / "server.log", workers=args.workers)
        say(f"starting {' '.join(server.command)}")
        took = server.start()
        say(f"the server answers /healthz after {took:.1f} s")
        if not args.with_startup_jobs:
            waited = faults.await_daily_work(server)
            say(f"the job worker's start-up daily work done after {waited:.1f} s more")
        incidents = _take_calls(server.port, tokens[0], args.incidents)
        say(f"{len(incidents)} open incidents taken in through the API")
        result = asyncio.run(
            _load(
                server.port,
                tokens,
                incidents,
                clients=args.clients,
                rate=args.rate_per_client,
                warmup=args.warmup,
                duration=args.duration,
                per_client=args.connections,
                timeout=args.timeout,
                say=say,
                cpu=server.cpu_seconds,
            )
        )
        server.stop()
        tracebacks = faults.count_tracebacks(server.log)
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            say(f"kept {run_dir} (server.log, precinct.sqlite3)")
    _report(result, args, tracebacks)
    return 0


class _Say:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.1f} s] {text}", file=sys.stderr, flush=True)


class _Server:
    """`precinct serve` as `make run` runs it, in its own process group."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int | None) -> None:
        self.env, self.log = env, log
        self.port = faults.free_port()
        self.command = [*faults.CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers is not None:
            self.command += ["--workers", str(workers)]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> float:
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # this interpreter, fixed arguments
                self.command,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=faults.ROOT,
                start_new_session=True,
            )
        while time.perf_counter() - started < timeout:  # poll until it answers
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return time.perf_counter() - started
                conn.close()
            time.sleep(0.05)  # between polls of the port: not a wait for readiness
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def cpu_seconds(self) -> float:
        """CPU time of `precinct serve` and its children (uvicorn's workers, the job worker)."""
        import psutil

        assert self.process is not None
        root = psutil.Process(self.process.pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def _api(
    port: int, token: str, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            f"/api/v1{path}",
            body=data,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                **headers,
            },
        )
        answer = conn.getresponse()
        raw = answer.read()
        return answer.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def _take_calls(port: int, token: str, n: int) -> list[str]:
    """``n`` new incidents, each where one of the demo city's recent calls was made."""
    status, recent = _api(port, token, "GET", "/incidents?limit=200")
    if status != 200 or not recent:
        raise RuntimeError(f"GET /incidents: {status} {recent}")
    rng = random.Random(19)
    out = []
    for i, where in enumerate(rng.sample(recent, min(n, len(recent)))):
        body = {
            "category": "public_order",
            "priority": 1,
            "lat": where["lat"],
            "lon": where["lon"],
            "address": where["address"],
            "summary": f"load probe call {i + 1}",
            "caller_phone": "13800000000",
        }
        status, incident = _api(
            port, token, "POST", "/incidents", body, **{"Idempotency-Key": str(uuid.uuid4())}
        )
        if status not in (200, 201):
            raise RuntimeError(f"POST /incidents: {status} {incident}")
        out.append(incident["id"])
    return out


# --- the open loop ----------------------------------------------------------------------------
@dataclass
class _Result:
    latencies_ms: list[float] = field(default_factory=list)  # of every counted question
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (s into window, ms)
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    answered_ok: int = 0
    window_s: float = 0.0
    open_connections_max: int = 0
    server_cpu_s: float | None = None  # every process of `precinct serve`, in the window
    client_cpu_s: float | None = None  # this process, in the window


class _Connections:
    """One client's keep-alive connections: an idle one is reused, else a new one is opened
    (at most ``limit``; beyond that a question waits, and its wait counts in its latency). A
    connection idle for longer than the server keeps it (uvicorn: 5 s) is closed, not reused."""

    IDLE_S = 4.0

    def __init__(self, port: int, limit: int) -> None:
        self.port = port
        self.idle: list[tuple[float, _Pair]] = []
        self.slots = asyncio.Semaphore(limit)
        self.open = 0

    async def get(self) -> tuple[_Pair, bool]:
        """A connection, and whether it was used before."""
        await self.slots.acquire()
        now = time.monotonic()
        while self.idle:
            since, pair = self.idle.pop()
            if now - since < self.IDLE_S:
                return pair, True
            pair[1].close()
            self.open -= 1
        try:
            pair = await asyncio.open_connection("127.0.0.1", self.port)
        except BaseException:
            self.slots.release()
            raise
        self.open += 1
        return pair, False

    def put(self, pair: _Pair, reuse: bool) -> None:
        if reuse:
            self.idle.append((time.monotonic(), pair))
        else:
            pair[1].close()
            self.open -= 1
        self.slots.release()

    def close(self) -> None:
        for _since, (_r, w) in self.idle:
            w.close()
        self.idle.clear()


_Pair = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class _Stale(Exception):
    """A reused connection the server had closed before it read the question."""


async def _get(pool: _Connections, request: bytes) -> tuple[int, bytes]:
    """GET on a connection of the pool; once again on a new one when a reused connection turns
    out closed before any answer came (as HTTP clients do for idempotent requests)."""
    for _attempt in range(2):
        try:
            return await _exchange(pool, request)
        except _Stale:
            continue
    raise ConnectionResetError("the server closed two connections in a row")


async def _exchange(pool: _Connections, request: bytes) -> tuple[int, bytes]:
    pair, reused = await pool.get()
    reader, writer = pair
    reuse = False
    try:
        writer.write(request)
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if reused:
                raise _Stale from exc
            raise
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await reader.read()
        reuse = headers.get("connection", "").lower() != "close"
        return status, body
    finally:
        pool.put(pair, reuse)


async def _load(
    port: int,
    tokens: list[str],
    incidents: list[str],
    *,
    clients: int,
    rate: float,
    warmup: float,
    duration: float,
    per_client: int,
    timeout: float,
    say: _Say,
    cpu: Callable[[], float],
) -> _Result:
    loop = asyncio.get_running_loop()
    period = 1.0 / rate
    # This process holds Django (for the tokens and the jobs' rows): a full collection of its
    # heap stops the load for a tenth of a second, which would count as the server's latency.
    gc.collect()
    gc.freeze()
    result = _Result(window_s=duration)
    start = loop.time() + 0.5
    counted_from, counted_to = start + warmup, start + warmup + duration
    pending: set[asyncio.Task[None]] = set()
    pools = [_Connections(port, per_client) for _ in range(clients)]
    cpu_marks: list[float] = []
    own = [0.0, 0.0]  # this process: the load's own cost on the same machine

    def mark() -> None:
        cpu_marks.append(cpu())
        own.append(time.process_time())

    loop.call_at(counted_from, mark)
    loop.call_at(counted_to, mark)

    async def ask(pool: _Connections, request: bytes, due: float) -> None:
        counted = counted_from <= due < counted_to
        try:
            status, _body = await asyncio.wait_for(_get(pool, request), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, kind = 0, type(exc).__name__
        else:
            kind = str(status)
        took_ms = (loop.time() - due) * 1000.0
        if not counted:
            return
        result.latencies_ms.append(took_ms)
        result.timeline.append((due - counted_from, took_ms))
        result.statuses[kind] = result.statuses.get(kind, 0) + 1
        if status == 200:
            result.answered_ok += 1
        else:
            result.errors += 1

    async def client(i: int) -> None:
        incident = incidents[i % len(incidents)]
        request = (
            f"GET /api/v1/incidents/{incident}/recommendations HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {tokens[i]}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        due = start + period * i / clients  # the clients' phases spread over one period
        while due < counted_to:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # the schedule itself: a fixed rate, not a wait
            if counted_from <= due < counted_to:
                result.sent += 1
            task = asyncio.create_task(ask(pools[i], request, due))
            pending.add(task)
            task.add_done_callback(pending.discard)
            due += period

    say(
        f"load: {clients} clients x {rate:g}/s = {clients * rate:g} requests/s, open loop; "
        f"{warmup:g} s warm-up, {duration:g} s counted"
    )
    senders = [asyncio.create_task(client(i)) for i in range(clients)]

    async def watch() -> None:
        while True:
            await asyncio.sleep(5)
            result.open_connections_max = max(
                result.open_connections_max, sum(p.open for p in pools)
            )
            say(f"  {len(pending)} questions in flight, {sum(p.open for p in pools)} connections")

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*senders)
    # the window's end mark: a server that keeps up answers the last question before it
    await asyncio.sleep(max(0.0, counted_to - loop.time()) + 0.01)
    if pending:  # the last ones: answered, or timed out
        await asyncio.gather(*list(pending))
    watcher.cancel()
    for p in pools:
        p.close()
    if len(cpu_marks) == 2:
        result.server_cpu_s = cpu_marks[1] - cpu_marks[0]
        result.client_cpu_s = own[-1] - own[-2]
    return result


def _percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, math.ceil(q / 100.0 * len(sorted_ms)) - 1))  # rank
    return sorted_ms[k]


def _report(result: _Result, args: argparse.Namespace, tracebacks: int) -> None:
    ms = sorted(result.latencies_ms)
    figures = {
        "clients": args.clients,
        "rate_per_s": round(args.clients * args.rate_per_client, 2),
        "duration_s": args.duration,
        "p50_ms": round(_percentile(ms, 50), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "p99_ms": round(_percentile(ms, 99), 1),
        "max_ms": round(ms[-1], 1) if ms else None,
        "errors": result.errors,
    }
    answered_rate = result.answered_ok / result.window_s if result.window_s else 0.0
    print(
        f"{args.clients} clients x {args.rate_per_client:g}/s, open loop, {args.duration:g} s "
        f"counted after {args.warmup:g} s warm-up; `precinct serve` "
        + (f"--workers {args.workers}" if args.workers else "with make run's defaults")
    )
    print(
        f"  sent {result.sent} ({result.sent / result.window_s:.1f}/s), answered 200: "
        f"{result.answered_ok} ({answered_rate:.1f}/s), errors {result.errors} "
        f"{dict(sorted(result.statuses.items()))}"
    )
    print(
        f"  latency from the scheduled send: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']}"
        f" ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms "
        f"(target p99 <= {TARGET_P99_MS:g} ms: "
        f"{'met' if ms and figures['p99_ms'] <= TARGET_P99_MS else 'NOT met'})"
    )
    if result.server_cpu_s is not None and result.sent:
        print(
            f"  server CPU (all its processes): {result.server_cpu_s / result.window_s:.2f} "
            f"cores, {1000 * result.server_cpu_s / result.sent:.1f} ms per request; the load "
            f"itself: {(result.client_cpu_s or 0.0) / result.window_s:.2f} cores"
        )
    print(
        f"  connections open at most {result.open_connections_max}; "
        f"tracebacks in the server log: {tracebacks}"
    )
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    raise SystemExit(main())
