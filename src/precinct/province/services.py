"""The province view (ADR 0043): each city's records arrive in the province's database by
PostgreSQL logical replication (a publication in each city, a subscription per city at the
province); the province's pages read them with the cities' own services, one city at a time.

:func:`publish` runs in a city, :func:`subscribe` at the province, :func:`cities` behind the
province's page and API.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

from precinct.command import services as command
from precinct.core.roles import Role
from precinct.core.scoping import Scope
from precinct.merit import services as merit
from precinct.org import services as org
from precinct.stats import services as stats
from precinct.supervision import services as supervision

from . import rules

PROBLEM_STATES = ("late", "overdue", "violated")  # supervision's problem points


class ReplicationRefused(RuntimeError):
    """The database cannot take part (not PostgreSQL, wal_level not logical, a bad name)."""


@dataclass
class City:
    bureau_id: uuid.UUID
    name: str
    incidents: int = 0
    street_rate: float | None = None  # street-handled share of the closed incidents
    dispatch_p50_s: float | None = None
    scene_p50_s: float | None = None
    within_10: float | None = None
    findings: int = 0
    problems: int = 0  # late, overdue, violated
    problem_share: float | None = None
    awards: int = 0
    bonus_fen: int = 0
    statistics: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric → ytd, change

    @property
    def bonus_yuan(self) -> float:
        return self.bonus_fen / 100


def cities(*, today: dt.date, tz: dt.tzinfo, exclude: uuid.UUID | None = None) -> list[City]:
    """Every city in the database side by side for the year to ``today``: incidents, the
    street-handling rate and response medians, supervision findings and their problem points,
    the statistics' year-to-date against last year's, awards and bonus. ``exclude``: the
    province's own bureau (it has no records of its own)."""
    first = dt.date(today.year, 1, 1)
    since = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    out = []
    for bureau_id, name in org.bureau_names().items():
        if bureau_id == exclude:
            continue
        scope = Scope(user_id=None, role=Role.LEADERSHIP, bureau_id=bureau_id, today=today)
        city = City(bureau_id, name)
        h = command.headline(scope, first=first, last=today, tz=tz)
        city.incidents = h["incidents"]
        city.street_rate = h["street"][2]
        city.dispatch_p50_s, city.scene_p50_s = h["dispatch_p50"], h["scene_p50"]
        city.within_10 = h["within_10"][2]
        states = supervision.finding_totals(scope, since=since)
        city.findings = sum(states.values())
        city.problems = sum(states.get(s, 0) for s in PROBLEM_STATES)
        city.problem_share = city.problems / city.findings if city.findings else None
        city.awards, city.bonus_fen = merit.award_totals(scope, year=today.year)
        board = stats.dashboard(scope, reference=today, years=1)
        for line in board.lines:
            if line.ytd is not None:
                city.statistics[line.metric.code] = {
                    "label": line.metric.label,  # the msgid: translated where it is shown
                    "ytd": line.ytd,
                    "ytd_last_year": line.ytd_last_year,
                    "change": None if line.ytd_change is None else round(line.ytd_change * 100, 1),
                    "better": line.metric.better,
                }
        out.append(city)
    return out


def compared(scope: Scope, *, today: dt.date, tz: dt.tzinfo) -> list[City]:
    """What the caller compares: at a province's installation (settings.PROVINCE) every city
    but the province's own bureau, which has no records of its own; in a city, its own line, as
    the province will see it."""
    return cities(today=today, tz=tz, exclude=scope.bureau_id if settings.PROVINCE else None)


# --- replication ----------------------------------------------------------------------------
def _require_logical() -> None:
    if connection.vendor != "postgresql":
        raise ReplicationRefused("the province view needs PostgreSQL (logical replication)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW wal_level")
        (level,) = cursor.fetchone()
    if level != "logical":
        raise ReplicationRefused(
            f"wal_level is {level!r}: set wal_level = logical in postgresql.conf and restart "
            "the city's database (docs/operations.md)"
        )


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [r[0] for r in cursor.fetchall()]


def publish() -> list[str]:
    """In a city: (re)create the publication of the province's tables, each with only the
    columns that may leave (rules.PUBLISHED). Returns the tables published."""
    _require_logical()
    parts = []
    for table in rules.PUBLISHED:
        columns = rules.published_columns(table, _columns(table))
        if not columns:
            raise ReplicationRefused(f"table {table} is missing: run `precinct db upgrade` first")
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        parts.append(f"{connection.ops.quote_name(table)} ({quoted})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", [rules.PUBLICATION])
        verb = (
            "ALTER PUBLICATION {} SET TABLE"
            if cursor.fetchone()
            else "CREATE PUBLICATION {} FOR TABLE"
        )
        cursor.execute(f"{verb.format(rules.PUBLICATION)} {', '.join(parts)}")
    return list(rules.PUBLISHED)


def subscribe(city: str, conninfo: str) -> str:
    """At the province: subscribe to a city's publication (its rows are copied first, then
    follow as they change). The columns a city keeps back are left empty here, so they may be
    null. Returns the subscription's name."""
    name = rules.subscription(city)
    _require_logical()
    with connection.cursor() as cursor:
        for table, kept_back in rules.PUBLISHED.items():
            for column in kept_back:
                cursor.execute(
                    f"ALTER TABLE {connection.ops.quote_name(table)} ALTER COLUMN "
                    f"{connection.ops.quote_name(column)} DROP NOT NULL"
                )
        cursor.execute("SELECT 1 FROM pg_subscription WHERE subname = %s", [name])
        if cursor.fetchone():
            raise ReplicationRefused(f"the province already subscribes to {city!r} ({name})")
    # CREATE SUBSCRIPTION cannot run inside a transaction block
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE SUBSCRIPTION {name} CONNECTION %s PUBLICATION {rules.PUBLICATION}",
            [conninfo],
        )
    return name


def subscriptions() -> list[dict[str, Any]]:
    """The province's subscriptions: each city's, whether it is enabled, what it last received."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.subname, s.subenabled, st.received_lsn::text, st.latest_end_time, "
            "COALESCE(e.sync_error_count, 0), COALESCE(e.apply_error_count, 0) "
            "FROM pg_subscription s LEFT JOIN pg_stat_subscription st ON st.subid = s.oid "
            "AND st.relid IS NULL LEFT JOIN pg_stat_subscription_stats e ON e.subid = s.oid "
            "WHERE s.subname LIKE %s ORDER BY s.subname",
            [rules.SUBSCRIPTION_PREFIX + "%"],
        )
        # errors: a first copy or a change the province refused (a bureau code another city
        # has, a table whose schema differs); PostgreSQL's log names the row, the worker retries
        return [
            {"city": n.removeprefix(rules.SUBSCRIPTION_PREFIX), "enabled": e, "received": lsn,
             "latest": at, "copy_errors": copy_errors, "apply_errors": apply_errors}
            for n, e, lsn, at, copy_errors, apply_errors in cursor.fetchall()
        ]  # fmt: skip
