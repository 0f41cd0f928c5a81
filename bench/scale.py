"""Scale figures (issue 20): the busy evening (bench/load.py) against two app servers behind one
address on the highly available cluster, beside one server on one PostgreSQL, in one run.

    make cluster-up
    .venv/bin/python bench/scale.py [--minutes 10] [--json FILE]

Both sides get the same demo city, the same 50 dispatchers and 500 officers, the same intake (3x
the demo's busiest hour) and the same number of server processes (two: one server with two
workers; two servers with one worker each, behind HAProxy): what differs is the database (one
PostgreSQL server; the cluster with synchronous replication) and the servers sharing state only
through it. Printed side by side; the ratio is the cluster's over the single server's.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

SIDES = {
    "one server, one PostgreSQL": ["--db", "postgresql", "--servers", "1", "--workers", "2"],
    "two servers, the cluster": ["--db", "cluster", "--servers", "2", "--workers", "1"],
}
ROWS = (
    ("requests/s", "requests_per_s", 1),
    ("errors", "errors", 1),
    ("all requests p50 (ms)", "all_p50_s", 1000),
    ("all requests p95 (ms)", "all_p95_s", 1000),
    ("all requests p99 (ms)", "all_p99_s", 1000),
    ("dispatch calls (whole: intake to car sent)", "dispatch_calls", 1),
    ("dispatch p95 (ms), target 2000", "dispatch_p95_s", 1000),
    ("recommendations p95 (ms)", "recommendations_p95_s", 1000),
    ("server CPU (cores)", "server_cpu_cores", 1),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not shutil.which("haproxy"):  # before the first half's quarter of an hour, not after it
        print("haproxy is not installed: make cluster-deps", file=sys.stderr)
        return 2
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for side, extra in SIDES.items():
            target = Path(tmp) / f"{len(out)}.json"
            print(f"== {side}", file=sys.stderr, flush=True)
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "load.py"), *extra,
                 "--minutes", str(args.minutes), "--json", str(target)],
                cwd=ROOT, check=False,
            )  # fmt: skip
            if not target.exists():
                print(f"{side}: bench/load.py gave no figures", file=sys.stderr)
                return 2
            out[side] = json.loads(target.read_text())
    a, b = out.values()
    names = list(out)
    print(f"| figure | {names[0]} | {names[1]} | ratio |")
    print("|---|---|---|---|")
    for label, key, scale in ROWS:
        x, y = a.get(key), b.get(key)
        ratio = (
            f"{y / x:.2f}"
            if isinstance(x, int | float) and isinstance(y, int | float) and x
            else ""
        )
        digits = 0 if scale == 1000 else 2  # milliseconds whole; rates and cores to 0.01
        show = [f"{v * scale:.{digits}f}" if isinstance(v, float) else str(v) for v in (x, y)]
        print(f"| {label} | {show[0]} | {show[1]} | {ratio} |")
    print(f"machine: {b.get('machine')}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    verdicts = {side: load.verdict(f) for side, f in out.items()}
    print("dispatch target: " + "; ".join(f"{side}: {v}" for side, v in verdicts.items()))
    met = all(v == "MET" and out[s]["error_rate"] < 0.01 for s, v in verdicts.items())
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
