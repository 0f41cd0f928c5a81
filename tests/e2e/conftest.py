"""The real app for browser tests: `precinct db upgrade`, `demo load` and `serve` (uvicorn) in a
subprocess, on a database of the same engine as the suite (a scratch SQLite file or PostgreSQL DB)."""

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import child_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def e2e_case() -> dict[str, Any]:
    """A criminal case detained a month before the (possibly moved) clock's today, delivered to
    the detention centre 25.5 hours later: one late step (C02), whatever day the suite runs on."""
    from precinct.core import clock

    day = clock.today("Asia/Shanghai") - dt.timedelta(days=30)
    at = f"{day.isoformat()}T{{}}+08:00"
    next_day = (day + dt.timedelta(days=1)).isoformat()
    return {
        "case": {"id": "XS-E2E-1", "kind": "criminal", "title": "入室盗窃"},
        "events": [
            {"type": "detained", "at": at.format("09:30:00"), "subject": "p1"},
            {
                "type": "interrogated",
                "at": at.format("16:00:00"),
                "subject": "p1",
                "av_recorded": True,
            },
            {
                "type": "delivered_to_detention_centre",
                "at": f"{next_day}T11:00:00+08:00",
                "subject": "p1",
            },
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scratch_database(tmp: Path) -> tuple[str, Any]:
    url = os.environ.get("PRECINCT_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / 'e2e.sqlite3'}", None
    import psycopg

    # one per server: a session may start more than one (each in its own temporary directory)
    name = f"precinct_e2e_{os.getpid()}_" + re.sub(r"[^a-z0-9]", "_", tmp.name.lower())
    base, _slash, _db = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


class AppServer:
    def __init__(
        self, url: str, process: subprocess.Popen[bytes], env: dict[str, str] | None = None
    ) -> None:
        self.url, self.process, self.env = url, process, env or {}

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        )


@contextlib.contextmanager
def demo_server(tmp: Path) -> Iterator[AppServer]:
    """`precinct serve` on a scratch database of its own holding the demo city and the e2e case
    (``app_server`` is one, shared by the session; a test that writes attack payloads starts its
    own, so that other tests never read them)."""
    db_url, drop = _scratch_database(tmp)
    env = child_env(
        PRECINCT_VAR_DIR=str(tmp), PRECINCT_DATABASE_URL=db_url, PRECINCT_ENV="development"
    )
    # The journeys sign in many times a minute as the same users; a TOTP code works once per
    # 30 s step. The second factor has its own browser test on a server that requires it
    # (tests/e2e/test_second_factor.py).
    env["PRECINCT_OTP_REQUIRED"] = "0"
    # All the browsers sign in from 127.0.0.1, dozens of times a minute: one address's budget
    # of 30 sign-ins a minute (a 429 and no way home) is tested on its own (tests/e2e/test_pages.py)
    env["PRECINCT_LOGIN_RATE_PER_MINUTE"] = "100000"
    cli = [sys.executable, "-m", "precinct.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            *cli,
            "demo",
            "load",
            "--seed",
            "7",
            "--criminal",
            "40",
            "--administrative",
            "120",
            "--incident-days",
            "14",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    case_file = tmp / "XS-E2E-1.json"
    case_file.write_text(json.dumps(e2e_case()), encoding="utf-8")
    subprocess.run(
        [*cli, "supervision", "import", str(case_file), "--unit", "XY01"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / "server.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield AppServer(url, process, env)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        if drop:
            drop()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with demo_server(tmp_path_factory.mktemp("app")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, app_server: AppServer) -> Iterator[Any]:
    context = browser.new_context(base_url=app_server.url, locale="en-US")  # Chinese anyway
    pg = context.new_page()
    pg.set_default_timeout(15000)
    external: list[str] = []
    local = re.compile(r"^(https?|wss?)://127\.0\.0\.1:\d+/")  # this server or another test's
    pg.on("request", lambda r: None if local.match(r.url) else external.append(r.url))
    yield pg
    context.close()
    assert external == [], f"requests left the machine: {external}"


def start_server(env: dict[str, str], log_path: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Another `precinct serve` on the same database (for tests of several processes and of
    crashes); the caller stops it."""
    port = _free_port()
    log = open(log_path, "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "precinct.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            return url, process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(log_path.read_text()) from None
            time.sleep(0.1)
