"""The province view's replication (ADR 0043) with real databases: two cities and a province,
each a PostgreSQL server of its own (wal_level = logical). Each city publishes, the province
subscribes to both; a write in each city reaches the province within a bound, the province
reads each city's figures exactly as the city reads them, and callers' numbers never leave."""

import json
import time
from pathlib import Path
from typing import Any

from bench import faults

BOUND_S = 30.0  # a city's write is at the province within this (measured: about a second)
SHELL_CITIES = (
    "import json, datetime as dt\n"
    "from zoneinfo import ZoneInfo\n"
    "from precinct.core import clock\n"
    "from precinct.province import services\n"
    "tz = ZoneInfo('Asia/Shanghai')\n"
    "rows = services.cities(today=clock.today('Asia/Shanghai'), tz=tz)\n"
    "print(json.dumps([{**r.__dict__, 'bureau_id': str(r.bureau_id)} for r in rows], "
    "default=str, ensure_ascii=False))\n"
)


def _server(root: Path) -> faults.PgCluster:
    server = faults.PgCluster(root, max_connections=60)
    server.init()
    with (server.data / "postgresql.conf").open("a") as f:
        f.write("wal_level = logical\nmax_replication_slots = 10\nmax_wal_senders = 10\n")
    server.start()
    server.psql("CREATE DATABASE precinct")
    return server


def _intake(env: dict[str, str], key: str, summary: str) -> None:
    faults.run_cli(env, "shell", "-c", (
        "from precinct.command import services\n"
        "from precinct.common import transactions\n"
        "from precinct.core import actors, clock\n"
        "from precinct.identity import services as identity\n"
        "scope = identity.scope_for_username('command')\n"
        "with actors.acting_as(actors.Actor(username='command', role='command_centre')), "
        "transactions.entry():\n"
        "    services.intake(scope, body={'category': 'help', 'priority': 2, 'lat': 47.35, "
        f"'lon': 130.29, 'address': '省厅测试路1号', 'summary': {summary!r}, "
        "'caller_phone': '13800138000', 'caller_name': '张三'}, "
        f"key={key!r}, now=clock.now(), today=clock.today('Asia/Shanghai'), actor='command')\n"
    ))  # fmt: skip


def _cities(env: dict[str, str]) -> list[dict[str, Any]]:
    out = faults.run_cli(env, "shell", "-c", SHELL_CITIES)
    return list(json.loads(out.strip().splitlines()[-1]))


def test_two_cities_reach_the_province_by_logical_replication(tmp_path: Path) -> None:
    servers: list[faults.PgCluster] = []
    try:
        servers = [_server(tmp_path / name) for name in ("hegang", "shuangyashan", "province")]
        hegang, shuangyashan, province = servers
        envs = [faults.app_env(s.url(), tmp_path / f"var-{n}") for n, s in enumerate(servers)]
        for env, seed in ((envs[0], "11"), (envs[1], "12")):
            faults.run_cli(env, "db", "upgrade")
            faults.run_cli(env, "demo", "load", *faults.DEMO_ARGS["small"], "--seed", seed)
        # another city: its own name and code (a bureau's code is unique in the province too)
        shuangyashan.psql(
            "UPDATE org_bureau SET name = '双鸭山市公安局', code = '230500'", db="precinct"
        )
        faults.run_cli(envs[2], "db", "upgrade")
        for env in envs[:2]:
            said = faults.run_cli(env, "province", "publish")
            assert "command_incident: kept in the city: caller_phone, caller_name" in said
        for name, server in (("hegang", hegang), ("shuangyashan", shuangyashan)):
            conninfo = f"host=127.0.0.1 port={server.port} dbname=precinct user=postgres"
            faults.run_cli(envs[2], "province", "subscribe", name, conninfo)

        def count(server: faults.PgCluster, sql: str) -> int:
            return int(server.psql(sql, db="precinct").strip() or 0)

        want = count(hegang, "SELECT count(*) FROM command_incident") + count(
            shuangyashan, "SELECT count(*) FROM command_incident"
        )
        deadline = time.monotonic() + 120  # the first copy of both cities' tables
        while count(province, "SELECT count(*) FROM command_incident") < want:
            assert time.monotonic() < deadline, "the cities' incidents never arrived"
            time.sleep(0.2)

        # a write in each city, then both at the province within the bound
        summaries = {"hegang": "省厅测试 鹤岗", "shuangyashan": "省厅测试 双鸭山"}
        seen = "SELECT count(*) FROM command_incident WHERE summary LIKE '省厅测试 %'"
        assert count(province, seen) == 0
        started = time.monotonic()
        _intake(envs[0], "province-1", summaries["hegang"])
        _intake(envs[1], "province-2", summaries["shuangyashan"])
        written = time.monotonic()
        while count(province, seen) < 2:
            assert time.monotonic() - written < BOUND_S, "a city's write did not reach the province"
            time.sleep(0.1)
        print(f"both writes at the province {time.monotonic() - written:.2f} s after the second "
              f"(the two writes took {written - started:.2f} s)")  # fmt: skip

        # nothing personal left the cities: the callers' numbers and names are not at the province
        assert count(hegang, "SELECT count(*) FROM command_incident WHERE caller_phone <> ''") > 0
        assert count(province, "SELECT count(*) FROM command_incident WHERE caller_phone IS NOT "
                     "NULL OR caller_name IS NOT NULL") == 0  # fmt: skip
        for table in (
            "org_officer",
            "cases_caseperson",
            "cases_case",
            "identity_user",
            "identity_auditentry",
        ):
            assert count(province, f"SELECT count(*) FROM {table}") == 0, table

        # no copy or change was refused at the province
        status = faults.run_cli(envs[2], "province", "status")
        assert status.count("errors 0/0") == 2, status

        # the province reads each city's figures as the city reads them
        at_province = {c["name"]: c for c in _cities(envs[2])}
        assert set(at_province) == {"鹤岗市公安局", "双鸭山市公安局"}
        for env in envs[:2]:
            (own,) = _cities(env)
            assert at_province[own["name"]] == own
            assert own["incidents"] > 0 and own["findings"] > 0
    finally:
        for server in servers:
            server.destroy()
