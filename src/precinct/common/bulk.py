"""Raw bulk reads and writes for the few passes that touch millions of rows (the demo loader, the
full supervision sweep). The ORM prepares every value in Python, one field at a time; here rows go
to the driver as they are (PostgreSQL ``COPY``, SQLite ``executemany``), adapted once per vendor by
a :class:`Codec`. Everything else in precinct uses the ORM.

Callers own the transaction. Nothing here sends model signals: callers that write business rows
record what they did in the audit log themselves.
"""

import datetime as dt
import json
import uuid as uuidlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection

UTC = dt.UTC


class Codec:
    """Values between Python and the database's own representation, for raw statements.

    Identifiers read raw (through :meth:`select_id`) are text: 32 hex digits on SQLite, the
    canonical form on PostgreSQL; they can be written back as read, and :meth:`uuid` turns a Python
    UUID into the same raw form."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.sqlite = vendor == "sqlite"

    def uuid(self, value: uuidlib.UUID | None) -> Any:
        if value is None:
            return None
        return value.hex if self.sqlite else str(value)

    def select_id(self, column: str) -> str:
        """An identifier column in a raw SELECT, read back as text on both databases (building
        millions of UUID objects costs more than the rest of a page's read)."""
        return column if self.sqlite else f"{column}::text"

    def key_text(self, raw: Any) -> str:
        """A raw identifier as canonical UUID text, without building a UUID on SQLite."""
        if isinstance(raw, str) and len(raw) == 32:
            return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
        return str(raw)

    def key(self, raw: Any) -> uuidlib.UUID:
        """A raw identifier as a UUID (for handing to the ORM)."""
        return raw if isinstance(raw, uuidlib.UUID) else uuidlib.UUID(raw)

    def datetime(self, value: dt.datetime | None) -> Any:
        """An aware datetime as stored: naive UTC text on SQLite (Django's format)."""
        if value is None or not self.sqlite:
            return value
        return str(value.astimezone(UTC).replace(tzinfo=None))

    def select_datetime(self, column: str) -> str:
        """A datetime column in a raw SELECT, read back fastest by :meth:`datetime_reader`: as
        text with its UTC offset (one C-level parse, no Django converter or loader)."""
        # PostgreSQL: text too (the session is in UTC: '2026-03-02 01:30:00+00'); Django's own
        # timestamptz loader is Python code, and a page has tens of thousands of values.
        return f"({column} || '+00:00')" if self.sqlite else f"{column}::text"

    def datetime_reader(self) -> Callable[[Any], dt.datetime | None]:
        """Aware datetimes from columns read through :meth:`select_datetime`."""
        parse = dt.datetime.fromisoformat
        return lambda raw: None if raw is None else parse(raw)

    def json(self, value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False)

    def read_json(self, raw: Any) -> Any:
        return json.loads(raw) if isinstance(raw, str | bytes) else raw


def codec() -> Codec:
    return Codec(connection.vendor)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows already in the database's representation (see :class:`Codec`). Returns the
    number of rows. PostgreSQL: one ``COPY``; SQLite: ``executemany`` in slices."""
    cols = ", ".join(quote(c) for c in columns)
    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})"  # noqa: S608 - our names
        raw = cursor.cursor
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 10_000:
                raw.executemany(sql, batch)
                n += len(batch)
                batch.clear()
        if batch:
            raw.executemany(sql, batch)
            n += len(batch)
    return n


def update(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: str = "id"
) -> int:
    """``UPDATE table SET columns... WHERE key = ?`` for rows of (*values, key)."""
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    sql = f"UPDATE {quote(table)} SET {sets} WHERE {quote(key)} = %s"  # noqa: S608 - our names
    data = list(rows)
    if data:
        with connection.cursor() as cursor:
            cursor.executemany(sql, data)
    return len(data)


def upsert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: str) -> int:
    """Insert rows, or update the other columns where a row with the same ``key`` exists
    (``INSERT … ON CONFLICT (key) DO UPDATE``, on both databases): two writers of the same key
    never collide."""
    cols = ", ".join(quote(c) for c in columns)
    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c != key)
    marks = ", ".join("%s" for _ in columns)
    sql = (
        f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks}) "  # noqa: S608 - our names
        f"ON CONFLICT ({quote(key)}) DO UPDATE SET {sets}"
    )
    data = list(rows)
    if data:
        with connection.cursor() as cursor:
            cursor.executemany(sql, data)
    return len(data)


def delete(table: str, ids: Sequence[Any]) -> int:
    """Delete rows by raw id, in slices that stay under the drivers' parameter limits."""
    n = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join("%s" for _ in part)
            cursor.execute(
                f"DELETE FROM {quote(table)} WHERE {quote('id')} IN ({marks})",  # noqa: S608
                part,
            )
            n += len(part)
    return n


def select(sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """All rows of a query, values raw (see :class:`Codec`); ``%s`` placeholders. For pages of a
    long pass: callers bound the rows with ``LIMIT`` or a key range."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
