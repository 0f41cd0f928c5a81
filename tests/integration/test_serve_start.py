"""`precinct serve` started before its database (a machine booting): it waits, says what it is
waiting for, and serves once the database answers; given up, it says why without a traceback."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connections

from tests.support import CHILD_TIMEOUT_S

CLI = [sys.executable, "-m", "precinct.cli", "serve"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "PRECINCT_DATABASE_URL": database_url}


def test_serve_gives_up_on_a_database_that_never_answers_with_a_clear_message() -> None:
    closed = _free_port()  # nothing listens there
    done = subprocess.run(
        [*CLI, "--port", str(_free_port()), "--wait-for-database", "2"],
        env=_env(f"postgresql://postgres@127.0.0.1:{closed}/precinct"),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert done.returncode == 3, done.stderr
    assert "waiting for the database" in done.stderr
    assert "The database cannot be reached after 2 s" in done.stderr
    assert "Traceback" not in done.stderr


class _LateProxy:
    """A TCP port that starts to listen only once ``ready()`` says so, then forwards each
    connection to the real server: a database that comes up after the web server."""

    def __init__(self, target: tuple[str, int], ready: Callable[[], bool]) -> None:
        self.target, self.ready, self.port = target, ready, _free_port()
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.ready():
            if self._stop.wait(0.1):
                return
        with socket.create_server(("127.0.0.1", self.port)) as server:
            server.settimeout(0.2)
            while not self._stop.is_set():
                try:
                    client, _addr = server.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._stop.set()


@pytest.mark.django_db
def test_serve_waits_for_a_database_that_comes_up_later(tmp_path: Path) -> None:
    real = connections["default"].settings_dict
    if connections["default"].vendor != "postgresql":
        pytest.skip("a database server that comes up later: PostgreSQL's")
    log_path = tmp_path / "serve.log"
    log_path.touch()

    def waiting() -> bool:  # the database comes up once the server has found it down
        return "waiting for the database" in log_path.read_text()

    proxy = _LateProxy((real["HOST"] or "127.0.0.1", int(real["PORT"] or 5432)), waiting)
    url = f"postgresql://{real['USER']}@127.0.0.1:{proxy.port}/{real['NAME']}"
    port = _free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*CLI, "--port", str(port), "--wait-for-database", "30"],
            env=_env(url),
            stdout=log,
            stderr=log,
        )
    try:
        # a hang guard, not a speed limit: a loaded CI machine started this server (two uvicorn
        # workers and a job worker) after more than a minute
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
    finally:
        process.terminate()  # the job worker finishes its job in hand first (up to 10 s)
        try:
            process.wait(timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # never left behind on the test database
            process.kill()
            process.wait()
            raise
        finally:
            proxy.stop()
    said = log_path.read_text()
    assert "waiting for the database" in said and "Traceback" not in said, said
