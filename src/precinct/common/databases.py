"""Database URLs, including a highly available PostgreSQL's (ADR 0041).

``postgresql://user@h1:5432,h2:5432,h3:5432/precinct?target_session_attrs=read-write`` names the
cluster's hosts: libpq tries them in turn and keeps the one that takes writes, so a failover
needs no address change and no proxy. dj-database-url reads one host only; the hosts are split
off here and handed to psycopg as libpq's comma-separated ``host`` and ``port`` lists.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any

import dj_database_url

# TCP settings for a host that stops answering without refusing (a cut network, a frozen
# machine): a connection that waits on it is given up within seconds instead of TCP's minutes,
# so a request or the live listener moves to the new primary (docs/operations.md).
# A live server's kernel answers keepalives whatever its queries do, so a long query is safe;
# a silent host is given up after idle 2 s + 3 × 1 s (a query awaiting its answer), or after
# 5 s of data sent and not acknowledged.
POSTGRESQL_TCP = {
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 5_000,  # ms unacknowledged before the connection is dropped
}


CLUSTER_ENGINE = "precinct.common.postgresql"  # Django's, trying the last primary first


class DatabaseUrlError(ValueError):
    pass


def parse(url: str, *, conn_max_age: int = 0) -> dict[str, Any]:
    """Django's DATABASES entry for ``url``; several PostgreSQL hosts are kept as lists."""
    parts = urllib.parse.urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    if "," not in hostlist:
        return dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    if not parts.scheme.startswith("postgres"):
        raise DatabaseUrlError(
            f"PRECINCT_DATABASE_URL: several hosts ({hostlist}) are PostgreSQL's only"
        )
    hosts, ports = [], []
    for item in hostlist.split(","):
        host, port = _host_port(item)
        hosts.append(host)
        ports.append(port)
    first = parts._replace(netloc=f"{userinfo}@{hosts[0]}" if userinfo else hosts[0])
    db = dict(dj_database_url.parse(urllib.parse.urlunsplit(first), conn_max_age=conn_max_age))
    db["HOST"] = ",".join(hosts)
    db["PORT"] = ",".join(ports)
    db["ENGINE"] = CLUSTER_ENGINE
    return db


def postgresql_options(db: dict[str, Any], *, connect_timeout: int) -> None:
    """A PostgreSQL entry's connection checks and timeouts (a value in the URL wins)."""
    db.setdefault("OPTIONS", {})
    db["CONN_HEALTH_CHECKS"] = True
    # A host that stops answering without refusing (a partition, a hung server) would otherwise
    # hold each request until TCP gives up, or for ever.
    db["OPTIONS"].setdefault("connect_timeout", connect_timeout)
    for name, value in POSTGRESQL_TCP.items():
        db["OPTIONS"].setdefault(name, value)


def _host_port(item: str) -> tuple[str, str]:
    item = item.strip()
    if not item:
        raise DatabaseUrlError("PRECINCT_DATABASE_URL: an empty host in the host list")
    if item.startswith("["):  # [IPv6]:port
        host, _, rest = item[1:].partition("]")
        port = rest.removeprefix(":") or "5432"
    else:
        host, _, port = item.partition(":")
        port = port or "5432"
    if not port.isdigit():
        raise DatabaseUrlError(f"PRECINCT_DATABASE_URL: the port of {item!r} is not a number")
    return host, port


def hosts(settings_dict: dict[str, Any]) -> list[tuple[str, str]]:
    """The (host, port) pairs of a DATABASES entry (one pair for a single server)."""
    names = str(settings_dict.get("HOST") or "").split(",")
    ports = str(settings_dict.get("PORT") or "").split(",")
    if len(ports) == 1:
        ports = ports * len(names)
    return list(zip(names, ports, strict=False))


def libpq_params(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """psycopg.connect() keywords for a DATABASES entry: the same hosts, session attributes
    and timeouts as Django's own connections (the live listener's connection, the drill)."""
    params: dict[str, Any] = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": str(settings_dict.get("PORT") or "") or None,
    }
    options = dict(settings_dict.get("OPTIONS") or {})
    for django_only in ("pool", "server_side_binding", "isolation_level", "assume_role"):
        options.pop(django_only, None)
    params.update(options)
    if params.get("host") and params.get("port"):
        params["host"], params["port"] = ordered(str(params["host"]), str(params["port"]))
    return {k: v for k, v in params.items() if v is not None and v != ""}


# --- which host took writes last -------------------------------------------------------------
# libpq tries a host list in its order. After a failover the old primary may be a host that no
# longer answers at all (a cut network): each new connection would wait connect_timeout on it
# before it reaches the new primary. So each process keeps an order of its own: the host its
# last connection reached first; when no host took a connection, the first goes to the end.
_ORDER: dict[tuple[str, str], list[tuple[str, str]]] = {}
_ORDER_LOCK = threading.Lock()


def ordered(host: str, port: str) -> tuple[str, str]:
    """``host``/``port`` lists in the order this process tries them now."""
    if "," not in host:
        return host, port
    with _ORDER_LOCK:
        pairs = list(_ORDER.get((host, port)) or hosts({"HOST": host, "PORT": port}))
    return ",".join(h for h, _p in pairs), ",".join(p for _h, p in pairs)


def remember(host: str, port: str, reached_host: str, reached_port: str) -> None:
    """A connection reached ``reached_host``: it is tried first from now on."""
    if "," not in host:
        return
    reached = (reached_host, str(reached_port))
    with _ORDER_LOCK:
        pairs = list(_ORDER.get((host, port)) or hosts({"HOST": host, "PORT": port}))
        if reached in pairs:
            pairs.remove(reached)
            _ORDER[(host, port)] = [reached, *pairs]


def distrust(host: str, port: str) -> None:
    """No host of the list took a connection: the one tried first (the last that took one) may
    be the host that went away, so it goes to the end of the order until it takes one again."""
    if "," not in host:
        return
    with _ORDER_LOCK:
        pairs = list(_ORDER.get((host, port)) or hosts({"HOST": host, "PORT": port}))
        _ORDER[(host, port)] = [*pairs[1:], pairs[0]]


def forget_hosts() -> None:
    with _ORDER_LOCK:
        _ORDER.clear()
