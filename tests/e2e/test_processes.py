"""Several server processes on one database, and a server killed (SIGKILL) in the middle of
intake: what one process writes moves the other's board; every acknowledged incident survives."""

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


def _body(n: int) -> dict:
    return {
        "category": "help",
        "priority": 3,
        "lat": 47.35,
        "lon": 130.29,
        "address": f"测试地址{n}号",
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
        status, made = _post(url_b, _token(app_server.env), _body(0), str(uuid.uuid4()))
        assert status == 201
        page.wait_for_selector(f"#incidents li:has-text('{made['number']}')", timeout=5000)
    finally:
        process_b.kill()
        process_b.wait()


def test_killing_the_server_during_intake_loses_no_acknowledged_incident(
    app_server, tmp_path
) -> None:
    """Clients post incidents as fast as they can while the server is killed with SIGKILL at
    random moments, 12 times; a client whose request failed retries it with the same key. Every
    incident acknowledged (201 or 200) is in the database afterwards, exactly once."""
    token = _token(app_server.env)
    rng = random.Random(5)
    acknowledged: dict[str, str] = {}  # key -> incident id
    lock = threading.Lock()
    state = {"url": "", "stop": False}
    pending: list[tuple[str, int]] = []  # (key, n) not yet acknowledged: retried

    def client(worker: int) -> None:
        n = 0
        while not state["stop"]:
            with lock:
                retry = pending.pop() if pending else None
            if retry is None:
                n += 1
                key, number = f"crash-{worker}-{n}", worker * 100_000 + n
            else:
                key, number = retry
            try:
                status, body = _post(state["url"], token, _body(number), key, timeout=5)
            except OSError:
                status, body = 0, {}
            if status in (200, 201):
                with lock:
                    assert acknowledged.get(key, body["id"]) == body["id"]
                    acknowledged[key] = body["id"]
            else:
                with lock:
                    pending.append((key, number))
                time.sleep(0.05)

    log = tmp_path / "crash.log"
    state["url"], process = start_server(app_server.env, log)
    workers = [threading.Thread(target=client, args=(w,)) for w in range(4)]
    for w in workers:
        w.start()
    kills = 0
    try:
        for _ in range(12):
            time.sleep(rng.uniform(0.3, 1.5))
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            state["url"], process = start_server(app_server.env, log)
        # let the retries of the last crash through
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                if not pending:
                    break
            time.sleep(0.2)
    finally:
        state["stop"] = True
        for w in workers:
            w.join()
        process.kill()
        process.wait()
    assert kills == 12 and len(acknowledged) > 20
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
}))
"""
