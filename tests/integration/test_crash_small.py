"""The crash test in small (bench/crash.py, docs/reliability.md "Faults and load"): the served app
is killed with SIGKILL a few times while clients write incidents, case events and payouts; every
acknowledged write must be there once, the ledger balanced, SQLite's integrity check and the
audit chain passing. And `precinct serve --workers 2` must come up (its workers import the app
inside their event loop)."""

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench import faults

from tests.support import CHILD_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[2]
ONE_WORKER = pytest.mark.xdist_group("crash")  # both tests share one crash run (module fixture)


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str, int]:
    """bench/crash.py on a small demo city, three kills; its database is kept."""
    tmp = tmp_path_factory.mktemp("crash")
    out = tmp / "crash.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "crash.py"), "--demo", "small", "--no-cache",
         "--rounds", "3", "--min-up", "0.3", "--max-up", "0.8", "--seed", "11",
         "--dir", str(tmp / "run"), "--keep", "--json", str(out)],
        env=faults.app_env("sqlite:///unused", tmp), capture_output=True, text=True,
        timeout=CHILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert out.exists(), r.stderr[-3000:]
    return tmp / "run", json.loads(out.read_text()), r.stderr, r.returncode


@ONE_WORKER
@pytest.mark.slow
def test_a_few_sigkills_during_writes_lose_and_duplicate_nothing(crashed) -> None:
    _run_dir, f, stderr, returncode = crashed
    assert f["kills"] == 3 and f["kills_with_writes_in_flight"] >= 1, f
    assert sum(f["verdict_acked"].values()) > 0 and f["verdict_acked"]["payout"] > 0, f
    assert sum(f["verdict_lost"].values()) == 0, f["problems"]
    assert sum(f["verdict_duplicated"].values()) == 0, f
    assert sum(f["verdict_unaudited"].values()) == 0, f
    assert sum(f["verdict_refused"].values()) == 0, f["problems"]
    assert sum(f["verdict_unacked"].values()) == 0 and f["drained"], f
    assert f["verdict_ledger_violations"] == 0, f["verdict_ledger_detail"]
    assert f["verdict_findings_stale"] == 0, f
    assert f["verdict_integrity_ok"] and f["verdict_audit_ok"], f
    assert returncode == 0, stderr[-3000:]


@ONE_WORKER
@pytest.mark.slow
def test_serve_with_two_workers_answers(crashed) -> None:
    run_dir = crashed[0]  # the crash test's database, migrated and served before
    env = faults.app_env(f"sqlite:///{run_dir / 'precinct.sqlite3'}", run_dir)
    log = run_dir / "serve-2.log"
    server = faults.Server(env, log, workers=2)
    try:
        server.start(timeout=45)
        for _ in range(20):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", "/healthz")
            assert conn.getresponse().status == 200
            conn.close()
        deadline = time.monotonic() + 120  # both workers say they started; wait on the log
        while log.read_text().count("Started server process") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # poll the log, not a guess at how long start-up takes
        text = log.read_text()
        assert text.count("Started server process") == 2, text  # two workers came up
        assert "SynchronousOnlyOperation" not in text and "Traceback" not in text, text
    finally:
        server.stop()
