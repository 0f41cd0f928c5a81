"""How soon a dispatch screen hears of a new incident: from the intake's answer to the board's
server-sent event that carries it, through the same server process and through another one.

    .venv/bin/python bench/live_board.py --database URL [--calls 30]

The database must hold the demo city (`precinct demo load`). Starts two `precinct serve`
processes (A and B) on it, listens to A's `/command/stream` with a bearer token, posts incidents
to A (same process) and to B (another process: PostgreSQL NOTIFY, or SQLite's version poll) in
turn, and prints the median, p95 and worst latency of each against the 1 s of issue 5. Time is
measured from the moment the intake answered (the incident is committed) to the moment the
event arrived.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "precinct.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            return url, process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(log.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRECINCT_")}
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    env.update(
        PRECINCT_DATABASE_URL=args.database, PRECINCT_ENV="development", PRECINCT_VAR_DIR=str(var)
    )
    token = subprocess.run(
        [sys.executable, "-m", "precinct.cli", "token", "create", "command"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    log = var / "live_board.log"
    a, pa = serve(env, log)
    b, pb = serve(env, log)
    seen: dict[str, float] = {}
    lock = threading.Lock()

    def listen() -> None:
        request = urllib.request.Request(
            f"{a}/command/stream", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as stream:
            event = ""
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "board":
                    now = time.perf_counter()
                    for incident in json.loads(line[5:])["incidents"]:
                        with lock:
                            seen.setdefault(incident["number"], now)

    threading.Thread(target=listen, daemon=True).start()
    time.sleep(1.0)
    latency: dict[str, list[float]] = {"same process (A)": [], "another process (B)": []}
    try:
        for n in range(args.calls):
            name, url = (("same process (A)", a), ("another process (B)", b))[n % 2]
            body = {"category": "help", "priority": 3, "lat": 47.35, "lon": 130.29,
                    "address": f"测量{n}", "summary": "live board latency"}  # fmt: skip
            request = urllib.request.Request(
                f"{url}/api/v1/incidents", data=json.dumps(body).encode(), method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                         "Idempotency-Key": str(uuid.uuid4())},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as r:
                number = json.loads(r.read())["number"]
            answered = time.perf_counter()
            deadline = answered + 10
            while time.perf_counter() < deadline:
                with lock:
                    if number in seen:
                        latency[name].append(max(seen[number] - answered, 0.0))
                        break
                time.sleep(0.005)
            else:
                latency[name].append(float("inf"))
            time.sleep(0.3)
    finally:
        pa.terminate()
        pb.terminate()
    vendor = "PostgreSQL" if args.database.startswith("postgres") else "SQLite"
    print(f"database: {vendor}; {args.calls} incidents, alternating between the two processes")
    for name, values in latency.items():
        ordered = sorted(values)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        print(
            f"{name}: median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"worst {ordered[-1] * 1000:.0f} ms; target {TARGET_S:.0f} s -> "
            f"ratio {p95 / TARGET_S:.2f} (p95)"
        )


if __name__ == "__main__":
    main()
