"""A three-node highly available PostgreSQL on one machine, as it would run on three hosts
(ADR 0041): etcd holds the leader lock, Patroni runs each PostgreSQL, elects a primary and keeps
one replica synchronous. ``make cluster-up`` / ``make cluster-down``; the failover drill
(``bench/failover.py``) and the cluster tests use it.

    python -m precinct.ops.cluster up [--dir var/cluster] [--local]
    python -m precinct.ops.cluster status | url [DB] | down [--keep-data]

Each node is a *host*: run as root, a network namespace of its own (``pcl0-1``…``pcl0-3``,
addresses 10.77.0.1–3, PostgreSQL on 5432, Patroni's REST API on 8008) joined to the machine by a
bridge (``pclbr0``, 10.77.0.254, where etcd listens), so a host can be cut off the network
(:func:`Cluster.cut`) or killed whole (:func:`Cluster.kill`, every process of its namespace).
``--local`` (or not root) runs the three nodes on 127.0.0.1 with ports of their own instead: no
network cut then.

The standard library only, no Django: operators and the drill run it before any settings exist.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NODES = 3
SCOPE = "precinct"
# Several clusters may run on one machine (a developer's and the tests'): cluster ``net`` K
# has the namespaces pclK-1…3, the bridge pclbrK, addresses 10.77.K.x and (--local) ports
# shifted by 10 × K.
ETCD_CLIENT_PORT = 23790
ETCD_PEER_PORT = 23800
LOCAL_PG_PORT = 5440  # --local: node N on 5440 + N, its REST API on 8010 + N
LOCAL_REST_PORT = 8010
# Failure detection (docs/operations.md): the primary renews its leader key every LOOP_WAIT s;
# a primary that cannot renew it for RETRY_TIMEOUT s steps down; a dead primary's key lapses
# after TTL s and the synchronous replica takes over. Patroni needs loop_wait + 2 × retry_timeout
# ≤ ttl. The drill's write gap is about TTL plus the promotion.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 8, 1, 3
DATABASE = "precinct"


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("no PostgreSQL server under /usr/lib/postgresql/*/bin (apt-get install "
                         "postgresql)")  # fmt: skip
    return found[-1].parent


@dataclass(frozen=True)
class Node:
    number: int
    netns: bool
    net: int = 0

    @property
    def name(self) -> str:
        return f"node{self.number}"

    @property
    def namespace(self) -> str:
        return f"pcl{self.net}-{self.number}"

    @property
    def veth(self) -> str:  # the machine's end of the node's cable
        return f"pcl{self.net}-{self.number}h"

    @property
    def address(self) -> str:
        return f"10.77.{self.net}.{self.number}" if self.netns else "127.0.0.1"

    @property
    def pg_port(self) -> int:
        return 5432 if self.netns else LOCAL_PG_PORT + 10 * self.net + self.number

    @property
    def rest_port(self) -> int:
        return 8008 if self.netns else LOCAL_REST_PORT + 10 * self.net + self.number

    @property
    def rest(self) -> str:
        return f"http://{self.address}:{self.rest_port}"

    def inside(self, *command: str) -> list[str]:
        """``command`` run on this node's host."""
        return ["ip", "netns", "exec", self.namespace, *command] if self.netns else list(command)


class Cluster:
    def __init__(self, root: Path, *, netns: bool | None = None, net: int | None = None) -> None:
        self.root = root.resolve()
        state = self.root / "cluster.json"
        saved = json.loads(state.read_text()) if state.exists() else {}
        netns = saved.get("netns") if netns is None else netns
        self.netns = can_use_namespaces() if netns is None else bool(netns)
        self.net = int(saved.get("net", 0) if net is None else net)
        if not 0 <= self.net <= 250:
            raise SystemExit(f"--net: 0 to 250, not {self.net}")
        self.nodes = [Node(n, self.netns, self.net) for n in range(1, NODES + 1)]
        self.as_postgres = os.geteuid() == 0

    # --- addresses --------------------------------------------------------------------------
    @property
    def bridge(self) -> str:
        return f"pclbr{self.net}"

    @property
    def host_address(self) -> str:  # the machine, on the nodes' network: where etcd listens
        return f"10.77.{self.net}.254"

    @property
    def etcd_address(self) -> str:
        if self.netns:
            return f"{self.host_address}:{ETCD_CLIENT_PORT}"
        return f"127.0.0.1:{ETCD_CLIENT_PORT + 10 * self.net}"

    def url(self, db: str = DATABASE, *, read_write: bool = True) -> str:
        """The multi-host connection string: libpq tries the hosts in turn and keeps the one that
        takes writes (``target_session_attrs=read-write``), so a failover needs no address
        change and no proxy. ``read_write=False``: any node (reads, on a replica when there is
        one first in the list)."""
        hosts = ",".join(f"{n.address}:{n.pg_port}" for n in self.nodes)
        attrs = "read-write" if read_write else "prefer-standby"
        return f"postgresql://postgres@{hosts}/{db}?target_session_attrs={attrs}"

    # --- start ------------------------------------------------------------------------------
    def up(self, *, timeout: float = 180.0) -> None:
        for tool in ("patroni", "etcd"):
            if not shutil.which(tool):
                raise SystemExit(f"{tool} is not installed: make cluster-up installs the Debian "
                                 "packages patroni and etcd-server")  # fmt: skip
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "cluster.json").write_text(json.dumps({"netns": self.netns, "net": self.net}))
        if self.netns:
            self._network_up()
        self._start_etcd()
        for node in self.nodes:
            self.start(node)
        self.wait_healthy(timeout=timeout)
        self.create_database(DATABASE)

    def _network_up(self) -> None:
        if _run(["ip", "link", "show", self.bridge], check=False).returncode != 0:
            _run(["ip", "link", "add", self.bridge, "type", "bridge"])
            _run(["ip", "addr", "add", f"{self.host_address}/24", "dev", self.bridge])
        _run(["ip", "link", "set", self.bridge, "up"])
        existing = _run(["ip", "netns", "list"]).stdout
        for node in self.nodes:
            if node.namespace not in existing.split():
                _run(["ip", "netns", "add", node.namespace])
            if _run(["ip", "link", "show", node.veth], check=False).returncode != 0:
                _run(["ip", "link", "add", node.veth, "type", "veth", "peer", "name", "eth0",
                      "netns", node.namespace])  # fmt: skip
                _run(node.inside("ip", "addr", "add", f"{node.address}/24", "dev", "eth0"))
            _run(["ip", "link", "set", node.veth, "master", self.bridge])
            _run(["ip", "link", "set", node.veth, "up"])
            _run(node.inside("ip", "link", "set", "lo", "up"))
            _run(node.inside("ip", "link", "set", "eth0", "up"))

    def _start_etcd(self) -> None:
        data = self.root / "etcd"
        data.mkdir(exist_ok=True)
        listen = self.etcd_address
        peer = f"{listen.split(':')[0]}:{ETCD_PEER_PORT + (0 if self.netns else 10 * self.net)}"
        command = [
            "etcd", "--name", "etcd1", "--data-dir", str(data),
            "--listen-client-urls", f"http://{listen}",
            "--advertise-client-urls", f"http://{listen}",
            "--listen-peer-urls", f"http://{peer}",
            "--initial-advertise-peer-urls", f"http://{peer}",
            "--initial-cluster", f"etcd1=http://{peer}",
            "--initial-cluster-state", "new" if not (data / "member").exists() else "existing",
            # a fast heartbeat on one machine; three hosts keep etcd's defaults (operations.md)
            "--heartbeat-interval", "100", "--election-timeout", "1000",
        ]  # fmt: skip
        self._spawn("etcd", command)
        _wait(lambda: _get(f"http://{listen}/health") is not None, 30, "etcd to answer")

    def _spawn(self, name: str, command: list[str]) -> int:
        if _alive(self._pid(name)):
            return self._pid(name) or 0
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(  # noqa: S603 - fixed programs
            command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
        (self.root / f"{name}.pid").write_text(str(process.pid))
        return process.pid

    def _pid(self, name: str) -> int | None:
        try:
            return int((self.root / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None

    def start(self, node: Node) -> None:
        """Start (or restart) the node's Patroni, which starts its PostgreSQL: a new node is
        made a replica of the primary (or the first primary); a former primary rejoins as a
        replica, rewound if it had gone ahead (pg_rewind)."""
        home = self.root / node.name
        home.mkdir(exist_ok=True)
        config = home / "patroni.yml"
        config.write_text(json.dumps(self._patroni_config(node), indent=1))  # YAML reads JSON
        if self.as_postgres:
            _give_to_postgres(home)
        command = node.inside(
            *(["runuser", "-u", "postgres", "--"] if self.as_postgres else []),
            "patroni", str(config),
        )  # fmt: skip
        self._spawn(node.name, command)

    def _patroni_config(self, node: Node) -> dict:
        home = self.root / node.name
        subnet = f"10.77.{self.net}.0/24" if self.netns else "127.0.0.1/32"
        return {
            "scope": SCOPE,
            "name": node.name,
            "log": {"level": "INFO"},
            "restapi": {
                "listen": f"{node.address}:{node.rest_port}",
                "connect_address": f"{node.address}:{node.rest_port}",
            },
            "etcd3": {"hosts": [self.etcd_address]},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL,
                    "loop_wait": LOOP_WAIT,
                    "retry_timeout": RETRY_TIMEOUT,
                    "maximum_lag_on_failover": 1024 * 1024,
                    # a commit is acknowledged once the synchronous replica has it: only that
                    # replica may be promoted, so no acknowledged write is lost in a failover
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": {
                            "wal_level": "logical",  # the province's subscriptions (ADR 0043)
                            "hot_standby": "on",
                            "wal_log_hints": "on",
                            "max_connections": 300,
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "wal_keep_size": "256MB",
                            "synchronous_commit": "on",
                            "hot_standby_feedback": "on",
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C"}, "data-checksums"],
            },
            "postgresql": {
                "listen": f"{node.address}:{node.pg_port}",
                "connect_address": f"{node.address}:{node.pg_port}",
                "data_dir": str(home / "data"),
                "bin_dir": str(pg_bin()),
                "pgpass": str(home / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": "postgres"},
                    "replication": {"username": "replicator", "password": "replicator"},
                    "rewind": {"username": "rewinder", "password": "rewinder"},
                },
                "parameters": {"unix_socket_directories": str(home)},
                # the test cluster trusts its own network, as the machine's PostgreSQL trusts
                # the loopback; three hosts use scram-sha-256 and TLS (operations.md)
                "pg_hba": [
                    "local all all trust",
                    f"host replication replicator {subnet} trust",
                    f"host all all {subnet} trust",
                    "host all all 127.0.0.1/32 trust",
                ],
            },
            "tags": {"nofailover": False, "noloadbalance": False},
        }

    # --- watch ------------------------------------------------------------------------------
    def members(self) -> list[dict]:
        """Patroni's view of the cluster, from any node that answers: name, role (leader,
        sync_standby, replica), state, lag."""
        for node in self.nodes:
            found = _get(f"{node.rest}/cluster", timeout=1.0)
            if found is not None:
                return list(json.loads(found).get("members", []))
        return []

    def leader(self) -> Node | None:
        for m in self.members():
            if m.get("role") == "leader" and m.get("state") == "running":
                return self.node(m["name"])
        return None

    def sync_standby(self) -> Node | None:
        for m in self.members():
            if m.get("role") == "sync_standby" and m.get("state") in ("running", "streaming"):
                return self.node(m["name"])
        return None

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def healthy(self, nodes: int = NODES) -> bool:
        """A leader, a synchronous replica, and ``nodes`` members running (streaming)."""
        members = self.members()
        running = [m for m in members if m.get("state") in ("running", "streaming")]
        return (
            len(running) >= nodes
            and self.leader() is not None
            and any(m.get("role") == "sync_standby" for m in running)
        )

    def wait_healthy(self, *, nodes: int = NODES, timeout: float = 180.0) -> None:
        _wait(lambda: self.healthy(nodes), timeout, f"a primary and {nodes - 1} replicas",
              on_timeout=self.tail)  # fmt: skip

    def tail(self) -> str:
        out = []
        for name in ["etcd", *(n.name for n in self.nodes)]:
            with contextlib.suppress(OSError):
                lines = (self.root / f"{name}.log").read_text(errors="replace").splitlines()
                out.append(f"--- {name}.log\n" + "\n".join(lines[-15:]))
        return "\n".join(out)

    def psql(self, node: Node, sql: str, db: str = "postgres") -> str:
        out = _run([str(pg_bin() / "psql"), "-h", node.address, "-p", str(node.pg_port),
                    "-U", "postgres", "-d", db, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])  # fmt: skip
        return out.stdout

    def create_database(self, name: str) -> None:
        leader = self.leader()
        if leader is None:
            raise SystemExit("no primary: the cluster is not up")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise SystemExit(f"a database name of lower-case letters, digits and _: {name!r}")
        exists = self.psql(leader, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608 - checked above
        if not exists.strip():
            self.psql(leader, f'CREATE DATABASE "{name}"')

    # --- faults (the drill) -----------------------------------------------------------------
    def kill(self, node: Node) -> None:
        """The host dies: every process on it is SIGKILLed at once (Patroni and PostgreSQL)."""
        pids = set()
        if self.netns:
            pids |= {int(p) for p in _run(["ip", "netns", "pids", node.namespace]).stdout.split()}
        pid = self._pid(node.name)
        if pid:
            pids |= {pid, *_descendants(pid)}
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        _wait(lambda: not any(_alive(p) for p in pids), 30, f"{node.name}'s processes to end")

    def cut(self, node: Node) -> None:
        """The host's network is cut: its cable to the machine goes down; its processes run on,
        alone (a partition). Only with namespaces."""
        if not self.netns:
            raise SystemExit("a network cut needs the namespaces (run as root, without --local)")
        _run(["ip", "link", "set", node.veth, "down"])

    def heal(self, node: Node) -> None:
        if self.netns:
            _run(["ip", "link", "set", node.veth, "up"])
            _run(["ip", "link", "set", node.veth, "master", self.bridge])

    def reset(self, node: Node) -> None:
        """After a fault: the node back on the network and running; it rejoins as a replica."""
        self.heal(node)
        pid = self._pid(node.name)
        if not _alive(pid):
            self.start(node)

    # --- stop -------------------------------------------------------------------------------
    def down(self, *, keep_data: bool = False) -> None:
        for node in self.nodes:
            self._stop(node.name, timeout=30)
            if self.netns:  # anything left on the host
                with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
                    for p in _run(
                        ["ip", "netns", "pids", node.namespace], check=False
                    ).stdout.split():
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(int(p), signal.SIGKILL)
        self._stop("etcd", timeout=10)
        if self.netns:
            for node in self.nodes:
                _run(["ip", "link", "del", node.veth], check=False)
                _run(["ip", "netns", "del", node.namespace], check=False)
            _run(["ip", "link", "del", self.bridge], check=False)
        if not keep_data:
            shutil.rmtree(self.root, ignore_errors=True)

    def _stop(self, name: str, *, timeout: float) -> None:
        pid = self._pid(name)
        if not _alive(pid):
            return
        assert pid is not None
        family = {pid, *_descendants(pid)}
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # Patroni stops its PostgreSQL (fast shutdown)
        with contextlib.suppress(TimeoutError):
            _wait(lambda: not _alive(pid), timeout, f"{name} to stop")
        for p in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)


# --- helpers ----------------------------------------------------------------------------------
def can_use_namespaces() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


def _run(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {out.stderr.strip() or out.stdout.strip()}")
    return out


def _get(url: str, timeout: float = 2.0) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - our own nodes
            return bytes(r.read())
    except urllib.error.HTTPError as e:  # Patroni answers 503 with a body for some checks
        return bytes(e.read())
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _give_to_postgres(path: Path) -> None:
    shutil.chown(path, "postgres", "postgres")
    for p in path.rglob("*"):
        if p.name != "data" and "data" not in p.relative_to(path).parts:
            with contextlib.suppress(OSError):
                shutil.chown(p, "postgres", "postgres")
    for parent in path.parents:  # the server user must reach the folder through every parent
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _wait(
    done: Callable[[], object],
    timeout: float,
    what: str,
    on_timeout: Callable[[], str] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            detail = f"\n{on_timeout()}" if on_timeout else ""
            raise TimeoutError(f"waited {timeout:.0f} s for {what}{detail}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The local three-node PostgreSQL cluster.")
    parser.add_argument("action", choices=["up", "down", "status", "url"])
    parser.add_argument("database", nargs="?", default=DATABASE)
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get(
        "PRECINCT_CLUSTER_DIR", Path(os.environ.get("PRECINCT_VAR_DIR", "var")) / "cluster")))  # fmt: skip
    parser.add_argument("--local", action="store_true", help="no namespaces: 127.0.0.1 ports")
    parser.add_argument("--net", type=int, help="which of several clusters (0: the default)")
    parser.add_argument("--keep-data", action="store_true")
    args = parser.parse_args(argv)
    cluster = Cluster(args.dir, netns=False if args.local else None, net=args.net)
    if args.action == "up":
        cluster.up()
        print(f"cluster up ({'namespaces' if cluster.netns else 'local ports'}), {args.dir}")
        print(f"PRECINCT_DATABASE_URL={cluster.url(args.database)}")
    elif args.action == "down":
        cluster.down(keep_data=args.keep_data)
        print("cluster down")
    elif args.action == "url":
        print(cluster.url(args.database))
    else:
        for m in cluster.members():
            print(f"{m['name']:<6} {m.get('role', ''):<13} {m.get('state', ''):<10} "
                  f"{m.get('host', '')}:{m.get('port', '')} lag {m.get('lag', 0)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
