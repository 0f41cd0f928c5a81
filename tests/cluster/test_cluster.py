"""Against the three-node highly available PostgreSQL (``make cluster-test``; ADR 0041): one
failover drill, and two app servers with two job workers sharing nothing but the cluster.

These tests start and kill processes and need the cluster that ``make cluster-up`` starts, so
the ordinary run leaves them out (``tests/conftest.py``: PRECINCT_CLUSTER_DIR unset)."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from bench import faults

from precinct.ops.cluster import Cluster
from tests.support import CHILD_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    found = Cluster(Path(os.environ["PRECINCT_CLUSTER_DIR"]))
    found.wait_healthy(timeout=120)
    return found


def test_the_primary_killed_loses_and_doubles_no_write_and_writes_resume_within_15_s(
    cluster: Cluster, tmp_path: Path
) -> None:
    """bench/failover.py, one run: the primary's host SIGKILLed under intake, dispatch, case
    events and payouts through a second app server, the board watching on the first."""
    out = subprocess.run(
        [sys.executable, "bench/failover.py", "--runs", "1", "--faults", "kill", "--json",
         "--cluster-dir", str(cluster.root), "--dir", str(tmp_path / "drill")],
        cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert out.returncode in (0, 1), out.stderr[-3000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    (run,) = summary["runs"]
    assert run["acknowledged"] > 100, run  # the writers were busy through the fault
    assert run["new_primary"] not in (None, run["old_primary"]), run
    assert run["lost"] == 0 and run["duplicated"] == 0, run
    assert run["unretried_failures"] == 0, run
    assert run["board_reconnect_s"] is not None, run
    assert run["write_gap_s"] <= 15.0, run
    assert cluster.healthy(), "the old primary did not rejoin as a replica"


class Board:
    """The live board's server-sent events on one server, each snapshot kept."""

    def __init__(self, port: int, token: str) -> None:
        self.snapshots: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", "/command/stream", headers={"Authorization": f"Bearer {token}"})
        response = self.conn.getresponse()
        assert response.status == 200
        threading.Thread(target=self._read, args=(response,), daemon=True).start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        event = ""
        try:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "board":
                    with self.arrived:
                        self.snapshots.append(json.loads(line[6:]))
                        self.arrived.notify_all()
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return  # closed by the test (http.client drops its file under a reading thread)

    def wait_for(self, found: Any, timeout: float = 60.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for snap in self.snapshots:
                    if found(snap):
                        return snap
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.arrived.wait(left)

    def close(self) -> None:
        self.conn.close()


def _api(port: int, token: str, method: str, path: str, body: dict | None = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Idempotency-Key": uuid.uuid4().hex}  # fmt: skip
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    assert response.status < 300, (method, path, response.status, data[:500])
    return json.loads(data) if data else None


def _sql(cluster: Cluster, db: str, query: str) -> list[list[str]]:
    leader = cluster.leader()
    assert leader is not None
    return [row.split("|") for row in cluster.psql(leader, query, db=db).splitlines() if row]


@pytest.fixture(scope="module")
def cluster_city(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The small demo city in a database of its own on the cluster, for this module's tests."""
    db = f"servers_{uuid.uuid4().hex[:8]}"
    cluster.create_database(db)
    folder = tmp_path_factory.mktemp("city")
    scratch = faults.Scratch("postgresql", cluster.url(db), folder)
    try:
        faults.load_demo(scratch.env(), "small", folder / "setup.log")
        yield scratch, db
    finally:
        leader = cluster.leader()
        if leader is not None:
            cluster.psql(leader, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def test_two_servers_and_two_workers_share_the_board_and_run_each_job_once(
    cluster: Cluster, cluster_city: Any, tmp_path: Path
) -> None:
    """Two `precinct serve` (each with its job worker) on the cluster: a dispatch made through
    server B moves the board open on server A (LISTEN/NOTIFY through PostgreSQL), the daily work
    both workers schedule at start runs once, and twelve jobs queued at once are each run once
    by one of the two workers."""
    scratch, db = cluster_city
    servers: list[faults.Server] = []
    board: Board | None = None
    try:
        env = scratch.env(PRECINCT_API_RATE_PER_MINUTE="100000")
        token = faults.run_cli(env, "token", "create", "command").strip().splitlines()[-1]
        servers = [faults.Server(env, tmp_path / f"server-{n}.log") for n in "ab"]
        for server in servers:
            server.start()
        a, b = servers
        board = Board(a.port, token)
        assert board.wait_for(lambda snap: True) is not None  # the first snapshot

        incident = _api(b.port, token, "POST", "/api/v1/incidents", {
            "category": "dispute", "priority": 1, "lat": 47.3499, "lon": 130.2977,
            "address": "集群测试路1号", "summary": "两台服务器之间的派警",
        })  # fmt: skip
        ranked = _api(b.port, token, "GET", f"/api/v1/incidents/{incident['id']}/recommendations")
        unit = ranked[0]

        def sent(snap: dict[str, Any]) -> bool:
            return any(
                i["id"] == incident["id"] and unit["call_sign"] in i["units"]
                for i in snap["incidents"]
            )

        assert not any(sent(s) for s in board.snapshots)
        _api(b.port, token, "POST", f"/api/v1/incidents/{incident['id']}/dispatch",
             {"unit_id": unit["unit_id"]})  # fmt: skip
        assert board.wait_for(sent) is not None, "server A's board never showed B's dispatch"

        # twelve jobs queued at once; both workers take from the one queue
        keys = [f"cluster-test-{n}" for n in range(12)]
        faults.run_cli(env, "shell", "-c", (
            "from precinct.common import transactions\n"
            "from precinct.jobs import services as jobs\n"
            "from precinct.org import services as org\n"
            "with transactions.entry():\n"
            f"    for key in {keys!r}:\n"
            "        jobs.start(kind='org.refresh', key=key, bureau_id=org.first_bureau().pk)\n"
        ))  # fmt: skip
        deadline = time.monotonic() + 300
        while True:
            rows = _sql(cluster, db, "SELECT key, state, attempts FROM jobs_job "
                        "WHERE key LIKE 'cluster-test-%'")  # fmt: skip
            if len(rows) == 12 and all(r[1] in ("done", "failed") for r in rows):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.5)
        assert sorted(r[0] for r in rows) == sorted(keys)
        assert {r[1] for r in rows} == {"done"} and {r[2] for r in rows} == {"1"}, rows
        daily = _sql(cluster, db, "SELECT kind, count(*), max(attempts) FROM jobs_job "
                     "WHERE once IS NOT NULL GROUP BY kind")  # fmt: skip
        assert daily and all(n == "1" and tries == "1" for _kind, n, tries in daily), daily
    finally:
        if board is not None:
            board.close()
        for server in servers:
            server.stop()


def _page(port: int, token: str, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    assert response.status == 200, (path, response.status, body[:300])
    return body


def test_the_auditors_search_reads_a_standby_until_it_falls_too_far_behind(
    cluster: Cluster, cluster_city: Any, tmp_path: Path
) -> None:
    """A server with the cluster's standbys as its read replica (ADR 0042): with replay paused
    on them, the auditor's search does not yet show an incident just recorded (a standby
    served it); once the standbys are more than REPLICA_MAX_LAG_SECONDS behind, the primary
    serves the search and the incident's entry is there."""
    scratch, db = cluster_city
    env = scratch.env(
        PRECINCT_API_RATE_PER_MINUTE="100000",
        PRECINCT_DATABASE_REPLICA_URL=cluster.url(db, read_write=False),
        PRECINCT_REPLICA_MAX_LAG_SECONDS="5",
    )
    command = faults.run_cli(env, "token", "create", "command").strip().splitlines()[-1]
    auditor = faults.run_cli(env, "token", "create", "auditor").strip().splitlines()[-1]
    server = faults.Server(env, tmp_path / "server.log", workers=1)
    server.start()
    standbys = [n for n in cluster.nodes if n != cluster.leader()]
    body = {"category": "help", "priority": 3, "lat": 47.35, "lon": 130.29,
            "address": "副本测试路1号", "summary": "副本测试"}  # fmt: skip
    try:
        first = _api(server.port, command, "POST", "/api/v1/incidents", body)
        row = f'href="?object_id={first["id"]}"'
        deadline = time.monotonic() + 60  # replayed on the standbys: the search shows it
        while row not in _page(server.port, auditor, f"/audit/?object_id={first['id']}"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        for node in standbys:
            cluster.psql(node, "SELECT pg_wal_replay_pause()", db=db)
        second = _api(server.port, command, "POST", "/api/v1/incidents", body)
        row = f'href="?object_id={second["id"]}"'
        page = f"/audit/?object_id={second['id']}"
        assert row not in _page(server.port, auditor, page)  # a standby, not yet replayed
        deadline = time.monotonic() + 60
        while row not in _page(server.port, auditor, page):  # too far behind: the primary
            assert time.monotonic() < deadline, "the search never fell back to the primary"
            time.sleep(0.2)
    finally:
        for node in standbys:
            cluster.psql(node, "SELECT pg_wal_replay_resume()", db=db)
        server.stop()
