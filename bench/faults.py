"""What the fault and load benches share (bench/crash.py, bench/dbloss.py, bench/load.py).

- scratch databases: a copy of a demo city in SQLite (built once, then copied per run), or a
  scratch PostgreSQL cluster of our own (initdb into a temporary folder, a free port; never the
  machine's shared server), torn down afterwards;
- a served app: `precinct serve` as a subprocess in its own process group, so that SIGKILL hits
  every worker;
- writer clients that remember every request they sent and whether it was acknowledged, and
  retry the unacknowledged ones with the same Idempotency-Key (or the same natural key);
- the checks afterwards: every acknowledged write present exactly once, with its audit entry; the
  ledger balanced; the database's own integrity check; the audit chain.

Django is configured in this process only for setting up and checking (``use_database``); while
the server runs, this process holds no database connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "faults"
CLI = [sys.executable, "-m", "precinct.cli"]

# The demo city: "full" is what `make run` loads; "small" is a few seconds' worth for CI.
DEMO_ARGS = {
    "full": [],
    "small": [
        "--criminal", "30", "--administrative", "30", "--merit-months", "1",
        "--incident-days", "1",
    ],
}  # fmt: skip


# --- processes and ports --------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `precinct` subprocess: ours without PRECINCT_* and Django's switches
    (a test run's PRECINCT_ENV=test, its database, and its DJANGO_ALLOW_ASYNC_UNSAFE must not
    leak in), then the scratch database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("PRECINCT_") or k in {"PRECINCT_CLOCK_SHIFT_DAYS", "PRECINCT_TZ"})
        and k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        PRECINCT_DATABASE_URL=database_url,
        PRECINCT_VAR_DIR=str(var_dir),
        PRECINCT_ENV="development",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_cli(env: dict[str, str], *args: str, log: Path | None = None) -> str:
    out = subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if log is not None:
        with log.open("a") as f:
            f.write(f"$ precinct {' '.join(args)}\n{out.stdout}{out.stderr}\n")
    if out.returncode != 0:
        raise RuntimeError(f"precinct {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


class Server:
    """`precinct serve` in its own session (process group): ``kill`` is SIGKILL to all of it."""

    def __init__(self, env: dict[str, str], log: Path, *, port: int = 0, workers: int = 1):
        self.env, self.log, self.workers = env, log, workers
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> float:
        """Start and wait until /healthz answers; the seconds it took."""
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                start_new_session=True,
            )  # fmt: skip
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no flush, no goodbye."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def count_tracebacks(log: Path) -> int:
    try:
        return log.read_text(errors="replace").count("Traceback (most recent call last)")
    except OSError:
        return 0


# --- scratch PostgreSQL ---------------------------------------------------------------------
def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PgCluster:
    """A PostgreSQL cluster of our own in ``root``: initdb, a free port, trust on the loopback.
    As root the server runs as the ``postgres`` user (it refuses to run as root)."""

    def __init__(self, root: Path, *, max_connections: int = 200) -> None:
        self.root = root = root.resolve()
        self.data = root / "data"
        self.logfile = root / "postgresql.log"
        self.port = free_port()
        self.bin = pg_bin()
        self.max_connections = max_connections
        self.as_postgres = os.geteuid() == 0

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(self._cmd(*args), capture_output=True, text=True, check=False)
        if check and out.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}:\n{out.stdout}\n{out.stderr}")
        return out

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            # the server user must reach the folder through every parent
            for parent in self.root.parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod(mode | 0o001)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as f:
            f.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                f"max_connections = {self.max_connections}\n"
                "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
            )

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w",
            "-t", "120", *args, check=check,
        )  # fmt: skip

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode, check=False)

    def restart(self, mode: str) -> None:
        self.pg_ctl("restart", "-m", mode)

    def ready(self) -> bool:
        out = self._run(
            str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-t", "1",
            check=False,
        )  # fmt: skip
        return out.returncode == 0

    def psql(self, sql: str, db: str = "postgres") -> str:
        return self._run(
            str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", db, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ).stdout  # fmt: skip

    def url(self, db: str = "precinct") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def amcheck(self, db: str = "precinct") -> tuple[bool, str]:
        """pg_amcheck over every table and index (heap and B-tree, with heapallindexed)."""
        out = self._run(
            str(self.bin / "pg_amcheck"), "-h", "127.0.0.1", "-p", str(self.port),
            "-U", "postgres", "--install-missing", "--heapallindexed", "--parent-check",
            "--progress", db, check=False,
        )  # fmt: skip
        text = (out.stdout + out.stderr).strip()
        return out.returncode == 0, text.splitlines()[-1] if text else ""

    def destroy(self) -> None:
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# --- a demo city in a scratch database ------------------------------------------------------
def _code_digest() -> str:
    """Changes when the schema or the demo generator does: a cached city is rebuilt then."""
    h = hashlib.sha256()
    src = ROOT / "src" / "precinct"
    for path in sorted([*src.glob("*/migrations/*.py"), *(src / "demo").glob("*.py")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def load_demo(env: dict[str, str], size: str, log: Path) -> None:
    """As `make run` does (the small city skips the refresh: the loader sets current units)."""
    run_cli(env, "db", "upgrade", log=log)
    run_cli(env, "demo", "load", *DEMO_ARGS[size], log=log)
    if size == "full":
        run_cli(env, "org", "refresh", log=log)


@dataclass
class Scratch:
    """A database holding the demo city, with its var folder (the secret key derives the audit
    chain's and the sealed fields' keys: it travels with the database)."""

    kind: str  # sqlite | postgresql
    url: str
    var_dir: Path
    cluster: PgCluster | None = None

    def env(self, **extra: str) -> dict[str, str]:
        return app_env(self.url, self.var_dir, **extra)

    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def destroy(self) -> None:
        if self.cluster is not None:
            self.cluster.destroy()


class ClusterDatabase:
    """A database on the highly available cluster (precinct.ops.cluster, ADR 0041), as
    :func:`verify` expects of a scratch cluster: pg_amcheck on the primary; dropped at the end."""

    def __init__(self, cluster: Any, name: str) -> None:  # precinct.ops.cluster.Cluster
        self.cluster, self.name = cluster, name

    def amcheck(self, db: str = "") -> tuple[bool, str]:
        leader = self.cluster.leader()
        if leader is None:
            return False, "no primary"
        out = subprocess.run(
            [str(pg_bin() / "pg_amcheck"), "-h", leader.address, "-p", str(leader.pg_port),
             "-U", "postgres", "--install-missing", "--heapallindexed", "--parent-check",
             self.name],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        text = (out.stdout + out.stderr).strip()
        return out.returncode == 0, text.splitlines()[-1] if text else "no corruption found"

    def destroy(self) -> None:
        leader = self.cluster.leader()
        if leader is not None:
            self.cluster.psql(leader, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def cluster_scratch(cluster_dir: Path, name: str, run_dir: Path, *, size: str = "small") -> Scratch:
    """The demo city in database ``name`` on the running cluster (``make cluster-up``): dropped
    first if it is there; its var folder in ``run_dir``."""
    from precinct.ops.cluster import Cluster

    cluster = Cluster(cluster_dir)
    if not cluster.healthy():
        raise SystemExit(f"the cluster in {cluster_dir} is not up and healthy: make cluster-up")
    leader = cluster.leader()
    assert leader is not None
    cluster.psql(leader, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cluster.psql(leader, f'CREATE DATABASE "{name}"')
    run_dir.mkdir(parents=True, exist_ok=True)
    scratch = Scratch("postgresql", cluster.url(name), run_dir, ClusterDatabase(cluster, name))  # type: ignore[arg-type]
    load_demo(scratch.env(), size, run_dir / "setup.log")
    return scratch


def sqlite_scratch(
    run_dir: Path, *, size: str = "full", cache: Path | None = WORK / "cache"
) -> Scratch:
    """A copy of the demo city in SQLite. The city is built once per schema and kept under
    ``cache`` (no cache: built in ``run_dir``)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "setup.log"
    if cache is None:
        url = f"sqlite:///{run_dir / 'precinct.sqlite3'}"
        load_demo(app_env(url, run_dir), size, log)
        return Scratch("sqlite", url, run_dir)
    base = cache / f"{size}-{_code_digest()}"
    if not (base / "done").exists():
        for stale in cache.glob(f"{size}-*"):  # cities of an older schema
            shutil.rmtree(stale, ignore_errors=True)
        base.mkdir(parents=True)
        load_demo(app_env(f"sqlite:///{base / 'precinct.sqlite3'}", base), size, log)
        (base / "done").write_text(dt.datetime.now().isoformat())
    for name in ("precinct.sqlite3", "secret.key"):
        shutil.copy2(base / name, run_dir / name)
    url = f"sqlite:///{run_dir / 'precinct.sqlite3'}"
    run_cli(app_env(url, run_dir), "db", "upgrade", log=log)  # the schema may have moved on
    return Scratch("sqlite", url, run_dir)


def postgresql_scratch(run_dir: Path, *, size: str = "full", max_connections: int = 200) -> Scratch:
    """A scratch cluster of our own with the demo city loaded into database ``precinct``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cluster = PgCluster(run_dir / "pg", max_connections=max_connections)
    cluster.init()
    cluster.start()
    cluster.psql("CREATE DATABASE precinct")
    scratch = Scratch("postgresql", cluster.url(), run_dir, cluster)
    try:
        load_demo(scratch.env(), size, run_dir / "setup.log")
    except BaseException:
        cluster.destroy()
        raise
    return scratch


def scratch_database(kind: str, run_dir: Path, *, size: str = "full", cache: bool = True,
                     max_connections: int = 200) -> Scratch:  # fmt: skip
    run_dir = run_dir.resolve()
    if kind == "sqlite":
        return sqlite_scratch(run_dir, size=size, cache=WORK / "cache" if cache else None)
    if kind == "postgresql":
        return postgresql_scratch(run_dir, size=size, max_connections=max_connections)
    raise ValueError(kind)


_CONFIGURED: str | None = None


def use_database(scratch: Scratch) -> None:
    """Configure Django in this process for the scratch database (once per process)."""
    global _CONFIGURED
    if _CONFIGURED is not None:
        if scratch.url != _CONFIGURED:
            raise RuntimeError("this process is configured for another database")
        return
    for k in [k for k in os.environ if k.startswith("PRECINCT_")]:
        del os.environ[k]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="precinct.config.settings",
        PRECINCT_DATABASE_URL=scratch.url,
        PRECINCT_VAR_DIR=str(scratch.var_dir),
        PRECINCT_ENV="development",
    )
    import django

    django.setup()
    _CONFIGURED = scratch.url


def release_database() -> None:
    """Close this process's connections (before the server runs: no lock held, nothing open)."""
    from django.db import connections

    connections.close_all()


@contextlib.contextmanager
def acting(username: str = "bench") -> Iterator[None]:
    from django.db import transaction

    from precinct.identity import services as identity

    with identity.acting_as(identity.Actor(username=username, role="system")), transaction.atomic():
        yield


def tokens(username: str, n: int, name: str = "bench") -> list[str]:
    from precinct.identity import services as identity

    with acting():
        return [identity.create_token(username=username, name=f"{name}-{i}")[1] for i in range(n)]


def signed_in(username: str, n: int) -> list[dict[str, str]]:
    """Request headers of ``n`` browser sessions of ``username`` that have passed sign-in, the
    second factor and a re-authentication, made directly in the session store (never through
    the sign-in form), each with its CSRF cookie and header. Pages whose actions an API token
    may not take (approvals are privileged: they need a re-authenticated person) use these."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.crypto import get_random_string

    from precinct.core import clock
    from precinct.identity import middleware
    from precinct.identity.models import User

    user = User.objects.get(username=username, is_active=True)
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    out = []
    for _i in range(n):
        store = store_class()
        store[SESSION_KEY] = user._meta.pk.value_to_string(user)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[getattr(middleware, "SESSION_MFA", "precinct_mfa")] = True
        store[getattr(middleware, "SESSION_AUTH_AT", "precinct_auth_at")] = clock.now().isoformat()
        store.create()
        csrf = get_random_string(32)
        out.append(
            {
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
                f"{settings.CSRF_COOKIE_NAME}={csrf}",
                "X-CSRFToken": csrf,
            }
        )
    return out


def integrity(scratch: Scratch) -> tuple[bool, str]:
    """SQLite: PRAGMA integrity_check and foreign_key_check; PostgreSQL: pg_amcheck."""
    if scratch.cluster is not None:
        return scratch.cluster.amcheck()
    import sqlite3

    db = sqlite3.connect(scratch.sqlite_path())
    try:
        result = [r[0] for r in db.execute("PRAGMA integrity_check")]
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        db.close()
    ok = result == ["ok"] and not fk
    return ok, f"integrity_check: {'; '.join(result[:3])}; foreign_key_check: {len(fk)} rows"


def audit_verify(scratch: Scratch) -> tuple[bool, str]:
    """`precinct audit verify`, the command an operator runs."""
    out = subprocess.run(
        [*CLI, "audit", "verify"], env=scratch.env(), capture_output=True, text=True, cwd=ROOT,
        check=False,
    )  # fmt: skip
    return out.returncode == 0, (out.stdout.strip().splitlines() or [out.stderr.strip()])[-1]


def await_daily_work(server: Any, timeout: float = 300.0) -> float:
    """Seconds until the daily work the job worker starts on a new server (its catch-up of the
    day's schedule: the district refresh, the supervision sweep, the traffic learning, idle
    accounts) is done, as the jobs' rows say. Measured after it, the load sees the server as it
    runs for the rest of the day (bench/http_dispatch.py's ``--with-startup-jobs`` measures it
    meanwhile). Needs this process configured for the server's database (:func:`use_database`)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from precinct.core import clock
    from precinct.jobs import rules as job_rules
    from precinct.jobs.models import Job

    started = time.perf_counter()
    local = clock.now().astimezone(ZoneInfo(settings.TIME_ZONE))
    slots = [job_rules.parse_daily(kind, at) for kind, at in settings.JOB_SCHEDULE.items()]
    onces = [job_rules.once_key(d, job_rules.slot(d, local)) for d in slots]
    try:
        while time.perf_counter() - started < timeout:
            if server.process is None or server.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{server.tail()}")
            finished = Job.objects.filter(
                once__in=onces, state__in=(job_rules.DONE, job_rules.FAILED)
            ).count()
            release_database()  # no connection held while the server works
            if finished == len(onces):
                return time.perf_counter() - started
            time.sleep(0.5)  # between looks at the jobs' rows: not a wait for readiness
    finally:
        release_database()
    raise RuntimeError(f"the daily work was not done within {timeout:.0f} s")


# --- clients that remember what was acknowledged --------------------------------------------
@dataclass
class Op:
    """One write a client wants made, exactly once. ``attempts`` counts sends; ``acked`` is set
    when the server said it is done (or, on a retry, that it was done already)."""

    kind: str  # intake | event | payout
    key: str
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    meta: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    acked: bool = False
    acked_at: float = 0.0  # time.monotonic() of the acknowledgement
    ack: dict[str, Any] = field(default_factory=dict)  # what the acknowledgement said
    refused: str = ""  # a definite "no" (a 4xx that is not a retry's "done already")
    statuses: list[int] = field(default_factory=list)


class Outcome:
    ACK, RETRY, REFUSED = "ack", "retry", "refused"


@dataclass
class Reply:
    status: int  # 0: no answer (connection refused or reset, timeout)
    headers: dict[str, str]
    body: bytes
    error: str = ""
    elapsed: float = 0.0
    cookies: list[str] = field(default_factory=list)  # every Set-Cookie header


def send(conn_box: list[http.client.HTTPConnection | None], base: str, op: Op,
         timeout: float) -> Reply:  # fmt: skip
    """One HTTP request on a kept-alive connection (a new one after any failure)."""
    parsed = urllib.parse.urlsplit(base)
    started = time.perf_counter()
    try:
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection(
                parsed.hostname or "127.0.0.1", parsed.port, timeout=timeout
            )
        conn = conn_box[0]
        conn.request(op.method, op.path, body=op.body, headers=op.headers)
        response = conn.getresponse()
        body = response.read()
        pairs = response.getheaders()
        headers = {k.lower(): v for k, v in pairs}
        if headers.get("connection", "").lower() == "close":
            conn.close()
            conn_box[0] = None
        return Reply(
            response.status, headers, body, elapsed=time.perf_counter() - started,
            cookies=[v for k, v in pairs if k.lower() == "set-cookie"],
        )  # fmt: skip
    except (OSError, http.client.HTTPException) as exc:
        if conn_box[0] is not None:
            conn_box[0].close()
        conn_box[0] = None
        return Reply(0, {}, b"", f"{type(exc).__name__}: {exc}", time.perf_counter() - started)


def messages_from(reply: Reply) -> list[tuple[int, str]]:
    """The (level, text) of the Django messages a page's redirect carries in its cookie."""
    from http.cookies import SimpleCookie

    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    cookie: SimpleCookie = SimpleCookie()
    for raw in reply.cookies:
        with contextlib.suppress(Exception):
            cookie.load(raw)
    if "messages" not in cookie:
        return []
    decoded = CookieStorage(HttpRequest())._decode(cookie["messages"].value) or []
    return [(m.level, str(m.message)) for m in decoded]


def body_class(reply: Reply) -> str:
    """What an answer's body is: json, html, text (or none), and "traceback" when it shows one."""
    if b"Traceback (most recent call last)" in reply.body or b'File "/' in reply.body:
        return "traceback"
    kind = reply.headers.get("content-type", "").split(";")[0].strip()
    if not reply.body:
        return "none"
    return {"application/json": "json", "text/html": "html"}.get(kind, "text")


def classify(op: Op, reply: Reply) -> str:
    """Acknowledged, to be retried, or refused, by the kind of write."""
    if reply.status == 0 or reply.status >= 500 or reply.status == 429:
        return Outcome.RETRY
    retry = op.attempts > 1
    if op.kind == "intake":
        if reply.status in (200, 201):
            data = json.loads(reply.body)
            op.ack = {"id": data["id"], "number": data["number"], "status": reply.status}
            if reply.status == 200 and retry:  # the replay of the lost answer's incident
                op.ack["already"] = True
            return Outcome.ACK
    elif op.kind == "event":
        if reply.status == 201 or (reply.status == 200 and retry):
            op.ack = {"id": json.loads(reply.body)["id"]}
            if reply.status == 200:  # on the timeline already: the lost answer's write
                op.ack["already"] = True
            return Outcome.ACK
    elif op.kind == "dispatch":  # bench/failover.py: an incident's steps, each keyed
        if reply.status in (200, 201):
            op.ack = json.loads(reply.body)
            return Outcome.ACK
    elif op.kind == "payout" and reply.status == 302:
        levels = messages_from(reply)
        if any(level == 25 for level, _text in levels):  # messages.SUCCESS
            op.ack = {"approved": True}
            return Outcome.ACK
        if retry:  # "decided already": the lost answer's write
            op.ack = {"approved": True, "already": True, "said": [t for _l, t in levels]}
            return Outcome.ACK
        op.refused = "; ".join(t for _l, t in levels) or "no message"
        return Outcome.REFUSED
    op.refused = f"{reply.status}: {reply.body[:200]!r}"
    return Outcome.REFUSED


class Writers:
    """Client threads, each with its own token and connection, making writes of one kind. An
    unacknowledged write goes back to the writer's queue and is sent again, identically."""

    def __init__(self, base_url: Callable[[], str], *, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.up = threading.Event()  # the server is (believed to be) serving
        self.stopping = threading.Event()  # drain: finish what is pending, take nothing new
        self.threads: list[threading.Thread] = []
        self.ops: list[Op] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        # (t answered, kind, status, seconds, error, body class): what dbloss reads
        self.replies: list[tuple[float, str, int, float, str, str]] = []

    def add(self, kind: str, factory: Callable[[int], Callable[[int], Op | None]],
            n_clients: int, *, pause: float = 0.0) -> None:  # fmt: skip
        """``n_clients`` threads writing ``kind``; ``factory(client)`` makes a client's maker of
        writes, ``pause`` seconds between one client's writes."""
        for c in range(n_clients):
            t = threading.Thread(
                target=self._run, args=(kind, factory(c), c, pause), name=f"{kind}-{c}",
                daemon=True,
            )  # fmt: skip
            self.threads.append(t)

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def _run(self, kind: str, make: Callable[[int], Op | None], client: int, pause: float) -> None:
        conn: list[http.client.HTTPConnection | None] = [None]
        pending: list[Op] = []
        n = 0
        while True:
            if not pending:
                if self.stopping.is_set():
                    return
                op = make(client * 1_000_000 + n)
                n += 1
                if op is None:  # nothing more of this kind to do
                    self.stopping.wait()
                    continue
                with self.lock:
                    self.ops.append(op)
                pending.append(op)
            if not self.up.wait(timeout=0.5):
                continue
            op = pending[0]
            op.attempts += 1
            with self.lock:
                self.in_flight += 1
            reply = send(conn, self.base_url(), op, self.timeout)
            with self.lock:
                self.in_flight -= 1
                self.replies.append(
                    (time.monotonic(), kind, reply.status, reply.elapsed, reply.error,
                     body_class(reply))
                )  # fmt: skip
            op.statuses.append(reply.status)
            outcome = classify(op, reply)
            if outcome == Outcome.RETRY:
                wait = float(reply.headers.get("retry-after", "0") or 0) if reply.status else 0
                time.sleep(min(wait, 2.0) if wait else 0.05)
                continue
            pending.pop(0)
            if outcome == Outcome.ACK:
                op.acked, op.acked_at = True, time.monotonic()
            if pause:
                time.sleep(pause)

    def counts(self) -> dict[str, int]:
        with self.lock:
            ops = list(self.ops)
        return {
            "sent": sum(o.attempts for o in ops),
            "acked": sum(o.acked for o in ops),
            "pending": sum(not o.acked and not o.refused for o in ops),
            "refused": sum(bool(o.refused) for o in ops),
        }

    def join(self, timeout: float) -> bool:
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)


# --- the workload: what the writers write ---------------------------------------------------
@dataclass
class Workload:
    """Tokens and targets made before the server starts, and the makers of each kind of write."""

    run: str
    bureau_id: uuid.UUID
    intake_tokens: list[str]
    event_tokens: list[str]
    payout_sessions: list[dict[str, str]]
    cases: list[uuid.UUID]
    awards: list[uuid.UUID]
    funded_fen: int
    budget_code: str
    award_fen: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_award: int = 0
    rng_seed: int = 0
    event_start: dt.datetime | None = None  # several runs on one database: a start each

    def intake(self, client: int) -> Callable[[int], Op]:
        token = self.intake_tokens[client % len(self.intake_tokens)]
        rng = random.Random(f"{self.rng_seed}-intake-{client}")

        def make(n: int) -> Op:
            key = f"{self.run}-i{n}"
            body = {
                "category": rng.choice(["dispute", "public_order", "traffic", "help"]),
                "priority": rng.choice([1, 2, 2, 3]),
                "lat": round(47.3499 + rng.uniform(-0.03, 0.03), 6),
                "lon": round(130.2977 + rng.uniform(-0.04, 0.04), 6),
                "address": f"测试路{n % 1000}号",
                "summary": f"{self.run} intake {key}",
            }
            return Op(
                "intake", key, "POST", "/api/v1/incidents", json.dumps(body).encode(),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": key},
                meta={"summary": body["summary"]},
            )  # fmt: skip

        return make

    def event(self, client: int) -> Callable[[int], Op]:
        token = self.event_tokens[client % len(self.event_tokens)]
        rng = random.Random(f"{self.rng_seed}-event-{client}")
        # a moment no demo timeline uses, different for every write of this run
        start = self.event_start or dt.datetime(
            2019, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))
        )

        def make(n: int) -> Op:
            case = rng.choice(self.cases)
            at = (start + dt.timedelta(seconds=n)).isoformat()
            body = {"type": "interrogated", "at": at, "subject": "p1"}  # about a person
            return Op(
                "event", f"{self.run}-e{n}", "POST", f"/api/v1/cases/{case}/events",
                json.dumps(body).encode(),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                meta={"case": str(case), "at": at, "type": "interrogated"},
            )  # fmt: skip

        return make

    def payout(self, client: int) -> Callable[[int], Op | None]:
        session = self.payout_sessions[client % len(self.payout_sessions)]

        def make(n: int) -> Op | None:
            with self.lock:
                if self.next_award >= len(self.awards):
                    return None
                award = self.awards[self.next_award]
                self.next_award += 1
            return Op(
                "payout", str(award), "POST", f"/merit/awards/{award}/decide/", b"approve=1",
                {**session, "Content-Type": "application/x-www-form-urlencoded"},
                meta={"award": str(award)},
            )  # fmt: skip

        return make


def prepare_workload(run: str, *, writers: dict[str, int], cases: int, awards: int,
                     seed: int) -> Workload:  # fmt: skip
    """Tokens for every writer; criminal cases to write events on; ``awards`` commendations
    proposed for distinct deeds, and this month's bonus budget funded with exactly what they
    cost: when every one is paid the budget is at 0, and a payout made twice would overdraw it
    (and be refused)."""
    from django.conf import settings

    from precinct.cases.models import Case
    from precinct.core import clock
    from precinct.identity import services as identity
    from precinct.merit import rules as merit_rules
    from precinct.merit import services as merit
    from precinct.merit.models import Account
    from precinct.merit.rules import Month
    from precinct.org import services as org
    from precinct.org.models import Officer

    bureau = org.first_bureau()
    assert bureau is not None
    rng = random.Random(seed)
    intake = tokens("command", writers.get("intake", 0), run)
    event = tokens("legal", writers.get("event", 0), run)
    payout = signed_in("political", writers.get("payout", 0))
    case_ids = list(
        Case.objects.filter(bureau_id=bureau.pk, kind="criminal")
        .order_by("number")
        .values_list("pk", flat=True)
    )
    chosen = rng.sample(case_ids, min(cases, len(case_ids)))
    fen = merit_rules.STATUTORY_BONUS_FEN[merit_rules.AwardLevel.COMMENDATION]
    today = clock.today(settings.TIME_ZONE)
    month = Month.of(today)
    award_ids: list[uuid.UUID] = []
    if awards:
        political = identity.scope_for_username("political")
        officers = list(
            Officer.objects.filter(bureau_id=bureau.pk, status="active")
            .order_by("police_number")
            .values_list("pk", flat=True)
        )
        with acting():
            for i in range(awards):
                a = merit.propose_award(
                    political, officer_id=officers[i % len(officers)], level="commendation",
                    deed=f"{run} 抓获逃犯 {i}",
                )  # fmt: skip
                if merit.award_checks(a, today)[0]:  # e.g. the officer is under a sanction
                    a.delete()
                    continue
                award_ids.append(a.pk)
            merit.fund_month(bureau.pk, month, amount_fen=fen * len(award_ids), by="bench")
    budget = f"budget:{month}"
    before = 0
    acc = Account.objects.filter(bureau_id=bureau.pk, code=budget).first()
    if acc is not None:
        before = merit.balance(acc)
    return Workload(
        run=run, bureau_id=bureau.pk, intake_tokens=intake, event_tokens=event,
        payout_sessions=payout, cases=chosen, awards=award_ids, funded_fen=before,
        budget_code=budget, award_fen=fen, rng_seed=seed,
    )  # fmt: skip


# --- the checks afterwards ------------------------------------------------------------------
@dataclass
class Verdict:
    acked: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    duplicated: dict[str, int] = field(default_factory=dict)
    unaudited: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    unacked: dict[str, int] = field(default_factory=dict)
    ledger_violations: int = 0
    ledger_detail: list[str] = field(default_factory=list)
    integrity_ok: bool = False
    integrity: str = ""
    audit_ok: bool = False
    audit: str = ""
    findings_caught_up: int = 0  # cases whose findings' recompute the kills interrupted
    findings_stale: int = 0  # findings a deep sweep still changed after that (must be 0)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not any(self.lost.values())
            and not any(self.duplicated.values())
            and not any(self.unaudited.values())
            and not any(self.refused.values())
            and self.ledger_violations == 0
            and self.findings_stale == 0
            and self.integrity_ok
            and self.audit_ok
        )

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def verify(scratch: Scratch, work: Workload, ops: list[Op]) -> Verdict:
    """Every acknowledged write present exactly once, with its audit entry; nothing written that
    was never asked for twice; the ledger's invariants; integrity; the audit chain."""
    from django.db.models import Count, Sum

    from precinct.cases.models import CaseEvent
    from precinct.command.models import Incident, IntakeKey
    from precinct.identity.models import AuditEntry
    from precinct.merit import services as merit
    from precinct.merit.models import Account, AwardProposal, LedgerEntry, LedgerTransaction

    v = Verdict()
    kinds = ("intake", "event", "payout")
    for k in kinds:
        mine = [o for o in ops if o.kind == k]
        v.acked[k] = sum(o.acked for o in mine)
        v.refused[k] = sum(bool(o.refused) for o in mine)
        v.unacked[k] = sum(not o.acked and not o.refused for o in mine)
        v.lost[k] = v.duplicated[k] = v.unaudited[k] = 0
        for o in mine:
            if o.refused:
                v.problems.append(f"{k} {o.key} refused: {o.refused}")

    def audited(object_type: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            found |= set(
                AuditEntry.objects.filter(
                    object_type=object_type, action="create", object_id__in=ids[i : i + 500]
                ).values_list("object_id", flat=True)
            )
        return found

    # intake: one incident per key, the one every acknowledgement named
    intake = [o for o in ops if o.kind == "intake"]
    keys = {
        k: str(i)
        for k, i in IntakeKey.objects.filter(
            bureau_id=work.bureau_id, key__startswith=f"{work.run}-"
        ).values_list("key", "incident_id")
    }
    for o in intake:
        if o.acked and (o.key not in keys or keys[o.key] != str(o.ack["id"])):
            v.lost["intake"] += 1
            v.problems.append(
                f"intake {o.key}: acknowledged as {o.ack.get('id')}, stored {keys.get(o.key)}"
            )
    made = Incident.objects.filter(summary__startswith=f"{work.run} intake ")
    per_summary = made.values("summary").annotate(n=Count("pk")).filter(n__gt=1)
    v.duplicated["intake"] = sum(row["n"] - 1 for row in per_summary)
    asked = {o.meta["summary"] for o in intake}
    strays = made.exclude(summary__in=asked).count() if asked else made.count()
    v.duplicated["intake"] += strays
    incident_ids = [str(i) for i in made.values_list("pk", flat=True)]
    v.unaudited["intake"] = len(set(incident_ids) - audited("command.incident", incident_ids))

    # case events: each acknowledged one on its case's timeline, once
    events = [o for o in ops if o.kind == "event"]
    stored: dict[tuple[str, str], list[str]] = {}
    at_values = [dt.datetime.fromisoformat(o.meta["at"]) for o in events]
    if at_values:
        rows = CaseEvent.objects.filter(
            case_id__in=work.cases, type="interrogated", at__gte=min(at_values),
            at__lte=max(at_values),
        ).values_list("case_id", "at", "pk")  # fmt: skip
        for case_id, at, pk in rows:
            stored.setdefault((str(case_id), at.isoformat()), []).append(str(pk))
    for o in events:
        at = dt.datetime.fromisoformat(o.meta["at"]).astimezone(dt.UTC).isoformat()
        have = stored.get((o.meta["case"], at), [])
        if len(have) > 1:
            v.duplicated["event"] += len(have) - 1
        if o.acked and (not have or (o.ack.get("id") and o.ack["id"] not in have)):
            v.lost["event"] += 1
            v.problems.append(f"event {o.key} on {o.meta['case']} at {o.meta['at']}: missing")
    asked_at = {
        (o.meta["case"], dt.datetime.fromisoformat(o.meta["at"]).astimezone(dt.UTC).isoformat())
        for o in events
    }
    v.duplicated["event"] += sum(len(ids) for key, ids in stored.items() if key not in asked_at)
    event_ids = [i for ids in stored.values() for i in ids]
    v.unaudited["event"] = len(set(event_ids) - audited("cases.caseevent", event_ids))

    # payouts: approved <=> paid once; the budget holds exactly what was not paid
    payouts = [o for o in ops if o.kind == "payout"]
    award_ids = [uuid.UUID(o.meta["award"]) for o in payouts] + [
        a for a in work.awards[len(payouts) :]
    ]
    states = dict(AwardProposal.objects.filter(pk__in=award_ids).values_list("pk", "state"))
    txns = {
        key: n
        for key, n in LedgerTransaction.objects.filter(
            bureau_id=work.bureau_id, key__in=[f"award:{a}" for a in award_ids]
        )
        .values("key")
        .annotate(n=Count("pk"))
        .values_list("key", "n")
    }
    for o in payouts:
        a = uuid.UUID(o.meta["award"])
        paid = txns.get(f"award:{a}", 0)
        if o.refused:
            v.problems.append(f"payout {a} was refused, and stands: {states.get(a)}, paid {paid}")
        if o.acked and (states.get(a) != "approved" or paid == 0):
            v.lost["payout"] += 1
            v.problems.append(f"payout {a}: acknowledged, state {states.get(a)}, paid {paid}")
    for a in award_ids:
        paid = txns.get(f"award:{a}", 0)
        if paid > 1:
            v.duplicated["payout"] += paid - 1
        if (states.get(a) == "approved") != (paid >= 1):
            v.ledger_violations += 1
            v.ledger_detail.append(f"award {a}: state {states.get(a)} but {paid} payment(s)")
    check = merit.verify_ledger(work.bureau_id)
    v.ledger_violations += len(check.unbalanced) + len(check.negative) + len(check.bad_reversals)
    v.ledger_detail += [f"unbalanced {t}" for t in check.unbalanced]
    v.ledger_detail += [f"negative {a}" for a in check.negative]
    v.ledger_detail += [f"bad reversal {t}" for t in check.bad_reversals]
    budget = Account.objects.filter(bureau_id=work.bureau_id, code=work.budget_code).first()
    if budget is not None and work.awards:
        approved = sum(1 for a in award_ids if states.get(a) == "approved")
        have = int(
            LedgerEntry.objects.filter(account=budget).aggregate(s=Sum("amount_fen"))["s"] or 0
        )
        want = work.funded_fen - approved * work.award_fen
        if have != want:
            v.ledger_violations += 1
            v.ledger_detail.append(f"budget holds {have} fen, expected {want}")
    txn_ids = [
        str(i)
        for i in LedgerTransaction.objects.filter(
            bureau_id=work.bureau_id, key__in=[f"award:{a}" for a in award_ids]
        ).values_list("pk", flat=True)
    ]
    v.unaudited["payout"] = len(set(txn_ids) - audited("merit.ledgertransaction", txn_ids))

    # findings: a recompute killed after its event's commit is caught up by the next sweep
    # (ADR 0026); after it, a deep sweep at the same moment finds nothing left to change
    from precinct.core import clock
    from precinct.supervision import services as supervision

    now = clock.now()
    v.findings_caught_up = supervision.sweep(now=now, bureau_id=work.bureau_id).caught_up
    v.findings_stale = supervision.sweep(now=now, bureau_id=work.bureau_id, deep=True).changed
    release_database()

    v.integrity_ok, v.integrity = integrity(scratch)
    v.audit_ok, v.audit = audit_verify(scratch)
    return v


# --- small figures helpers -----------------------------------------------------------------
def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
