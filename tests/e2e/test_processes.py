"""Several server processes on one database, and a server killed (SIGKILL) in the middle of
intake: what one process writes moves the other's board; every acknowledged incident survives."""

import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from precinct.demo.services import DEMO_PASSWORD

from .conftest import start_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _token(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "precinct.cli", "token", "create", "command"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _post(url: str, token: str, body: dict, key: str, timeout: float = 10) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/api/v1/incidents",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {}


def _body(n: int, address: str = "") -> dict:
    return {
        "category": "help",
        "priority": 3,
        "lat": 47.35,
        "lon": 130.29,
        "address": address or f"测试地址{n}号",
        "summary": f"进程测试 {n}",
    }


def test_a_second_process_moves_the_first_processs_board(page, app_server, tmp_path) -> None:
    """Intake through server B; the board served by server A shows it (PostgreSQL: NOTIFY
    between processes; SQLite: A's watcher sees the new version)."""
    url_b, process_b = start_server(app_server.env, tmp_path / "b.log")
    try:
        page.goto("/login/")
        page.fill("#id_username", "command")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/command/")
        page.wait_for_selector("#live-state[data-live=live]")
        address = f"进程测试地址{uuid.uuid4().hex[:8]}"  # this incident's, on no other
        on_board = page.locator(f"#incidents li:has-text('{address}')")
        assert on_board.count() == 0
        status, made = _post(url_b, _token(app_server.env), _body(0, address), str(uuid.uuid4()))
        assert status == 201
        on_board.wait_for(timeout=5000)  # pushed to A's board: nobody reloads
        assert on_board.count() == 1 and made["number"] in on_board.inner_text()
    finally:
        process_b.kill()
        process_b.wait()


def test_killing_the_server_during_intake_loses_no_acknowledged_incident(
    app_server, tmp_path
) -> None:
    """Clients post incidents as fast as they can while the server is killed with SIGKILL, 12
    times, each time after a random number (1 to 6) of incidents it acknowledged; a client whose
    request failed retries it with the same key once a server is up again. Every incident
    acknowledged (201 or 200) is in the database afterwards, exactly once, and so is every
    incident whose request a kill cut.

    Nothing is ordered by sleeping: the kills wait for the server's answers, the clients wait for
    the next server to answer its health check, the end waits for the retries' answers."""
    token = _token(app_server.env)
    rng = random.Random(5)
    acknowledged: dict[str, str] = {}  # key -> incident id
    cut: set[str] = set()  # keys of requests that failed at least once
    conflicts: list[tuple[str, str, str]] = []  # a key acknowledged for two incidents
    pending: list[tuple[str, int]] = []  # (key, n) not yet acknowledged: retried
    changed = threading.Condition()  # guards the three above and state; notified on each answer
    up = threading.Event()  # a server is answering (cleared before a kill, set once the next is up)
    state = {"url": "", "stop": False}
    deadline = time.monotonic() + 600  # a hang guard for a loaded machine, not a pause

    def left() -> float:
        return max(deadline - time.monotonic(), 0)

    def client(worker: int) -> None:
        n = 0
        while True:
            with changed:
                if state["stop"]:
                    return
                retry = pending.pop() if pending else None
                url = state["url"]
            if retry is None:
                n += 1
                key, number = f"crash-{worker}-{n}", worker * 100_000 + n
            else:
                key, number = retry
            try:
                status, body = _post(url, token, _body(number), key, timeout=5)
            except (OSError, http.client.HTTPException, ValueError):  # cut mid-answer
                status, body = 0, {}
            with changed:
                if status in (200, 201):
                    if acknowledged.get(key, body["id"]) != body["id"]:
                        conflicts.append((key, acknowledged[key], body["id"]))
                    acknowledged[key] = body["id"]
                else:
                    cut.add(key)
                    pending.append((key, number))
                changed.notify_all()
            if status not in (200, 201) and not up.wait(left()):
                return  # no server came back: the main thread reports it

    def wait_for(condition, what: str) -> None:
        with changed:
            assert changed.wait_for(condition, timeout=left()), what

    log = tmp_path / "crash.log"
    state["url"], process = start_server(app_server.env, log)
    up.set()
    workers = [threading.Thread(target=client, args=(w,)) for w in range(4)]
    for w in workers:
        w.start()
    kills = 0
    try:
        for _ in range(12):
            with changed:
                served = len(acknowledged)
            # kill while the clients are writing: after this server acknowledged a few incidents
            # (how many is drawn at random, so the kill falls at a different point each time)
            more = rng.randint(1, 6)
            wait_for(lambda: len(acknowledged) >= served + more, "the server acknowledged nothing")
            up.clear()
            workers_of_killed = [
                pid for pid, command in _children(process.pid) if "spawn_main" in command
            ]
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            # its worker processes end with it, not serving its socket on for ever
            assert workers_of_killed and _all_ended(workers_of_killed), workers_of_killed
            url, process = start_server(app_server.env, log)  # returns once /healthz answers
            with changed:
                state["url"] = url
            up.set()
        # every request a kill cut is retried until a server acknowledges it; then the clients
        # stop (a request cut after this is not acknowledged, and not counted as retried)
        with changed:
            retried = changed.wait_for(lambda: cut <= acknowledged.keys(), timeout=left())
            state["stop"] = True
            retried_keys = set(cut)
        assert retried, f"not acknowledged on retry: {sorted(cut - acknowledged.keys())}"
    finally:
        with changed:
            state["stop"] = True
        up.set()
        for w in workers:
            w.join()
        process.kill()
        process.wait()
    assert kills == 12 and len(acknowledged) > 20 and conflicts == []
    # what the database holds, read by a fresh process
    check = subprocess.run(
        [sys.executable, "-c", _CHECK, json.dumps(sorted(acknowledged))],
        env=app_server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(check.stdout.strip().splitlines()[-1])
    assert found["missing"] == [], found
    assert found["duplicates"] == 0
    assert set(found["ids"]) == set(acknowledged.values())
    # the kills cut requests, and each of those incidents is stored once, as acknowledged
    stored = found["rows"]
    assert retried_keys
    assert {k: stored.get(k) for k in retried_keys} == {k: acknowledged[k] for k in retried_keys}


_CHECK = """
import json, sys, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")
django.setup()
from collections import Counter
from precinct.command.models import Incident, IntakeKey
keys = json.loads(sys.argv[1])
rows = dict(IntakeKey.objects.filter(key__in=keys).values_list("key", "incident_id"))
summaries = Counter(Incident.objects.filter(summary__startswith="进程测试").values_list("summary", flat=True))
print(json.dumps({
    "missing": [k for k in keys if k not in rows],
    "duplicates": sum(1 for n in summaries.values() if n > 1),
    "ids": [str(v) for v in rows.values()],
    "rows": {k: str(v) for k, v in rows.items()},
}))
"""


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115 - a /proc file, read at once
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                command = open(f"/proc/{entry}/cmdline", "rb").read()  # noqa: SIM115
                found.append((int(entry), command.replace(b"\0", b" ").decode()))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue  # gone meanwhile
    return found


def test_the_job_worker_beside_the_server_yields_the_processor_to_requests(app_server) -> None:
    """A long job (a month's awards, a night's traffic learning) took its share of the
    processor while dispatch requests waited (issue 19)."""
    workers = [
        pid for pid, command in _children(app_server.process.pid) if "jobs worker" in command
    ]
    assert len(workers) == 1
    assert os.getpriority(os.PRIO_PROCESS, workers[0]) == 10
    assert os.getpriority(os.PRIO_PROCESS, app_server.process.pid) == 0


def _all_ended(pids: list[int], timeout: float = 60.0) -> bool:
    """Whether the processes have all ended (and been reaped) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]  # noqa: SIM115
            except FileNotFoundError:
                continue
            if state != "Z":  # a zombie has ended; init reaps it
                alive.append(pid)
        if not alive:
            return True
        time.sleep(0.1)  # between looks at /proc: the processes say when they are gone
    return False
