"""A model field whose values are sealed at rest (AES-256-GCM, :mod:`precinct.common.encryption`),
with the keys from the settings (``FIELD_KEYS``, never the database), and the passes over sealed
columns that migrations and ``precinct keys`` run.

Reading: the database gives a :class:`Sealed` value; it is opened (with the row's id) the first
time the attribute is read, so a page that never shows the number never needs the key. Writing:
``save()`` seals the plaintext bound to the table, column and row id; a sealed value that was
only read is written back as it was. ``QuerySet.update()``, ``bulk_update()`` and lookups by value
cannot seal (they know no row) and are refused, except for the empty value, which is stored empty.
``values()`` and ``values_list()`` give :class:`Sealed` values: open them with :meth:`open_raw`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connection as default_connection
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from . import encryption, transactions
from .encryption import FieldKeyError

BATCH = 1000


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed value as stored (``v1:<key id>:<base64>``), and the row it was read for."""

    text: str
    row: str | None = None

    def __str__(self) -> str:
        raise TypeError(
            "a sealed value read without its row (values()/values_list()?): read it through the "
            "model instance, or open it with EncryptedCharField.open_raw()"
        )

    def __repr__(self) -> str:
        return f"Sealed(key={encryption.token_key_id(self.text)}, row={self.row})"


@functools.lru_cache(maxsize=8)
def _ring(keys: tuple[bytes, ...]) -> encryption.KeyRing:
    return encryption.KeyRing(keys)


def keyring() -> encryption.KeyRing:
    """The configured field keys (``settings.FIELD_KEYS``, newest first)."""
    keys = tuple(getattr(settings, "FIELD_KEYS", ()) or ())
    return _ring(keys)


class _OpenOnRead(DeferredAttribute):
    """The attribute of an encrypted field: opens a sealed value when it is first read."""

    field: EncryptedCharField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = self.field.open_sealed(value, instance)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        if isinstance(value, Sealed) and value.row is None:
            pk = instance.__dict__.get(instance._meta.pk.attname)
            if pk is not None:
                value = Sealed(value.text, encryption.row_key(pk))
        instance.__dict__[self.field.attname] = value


class EncryptedCharField(models.CharField):
    """Text up to ``max_length`` characters, sealed in a text column (ADR 0022)."""

    descriptor_class = _OpenOnRead
    description = "Text sealed with AES-256-GCM"

    def get_internal_type(self) -> str:
        return "TextField"  # the sealed form is longer than the plaintext

    @property
    def label_text(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.object_name}.{self.name}"

    # --- sealing, for a row id ------------------------------------------------------------
    def seal_raw(self, plaintext: str, row: object) -> str:
        """``plaintext`` sealed for row ``row`` (its primary key): for raw inserts."""
        if not plaintext:
            return ""
        return encryption.seal(
            keyring(),
            plaintext,
            table=self.model._meta.db_table,
            column=self.column,
            row=encryption.row_key(row),
        )

    def open_raw(self, stored: str | Sealed | None, row: object) -> str:
        """The plaintext of a value read raw (or through values()), given its row's id."""
        text = stored.text if isinstance(stored, Sealed) else stored
        if not text:
            return ""
        return encryption.unseal(
            keyring(),
            text,
            table=self.model._meta.db_table,
            column=self.column,
            row=encryption.row_key(row),
            field=self.label_text,
        )

    def open_sealed(self, value: Sealed, instance: Any) -> str:
        row = value.row if value.row is not None else instance.pk
        return self.open_raw(value, row)

    # --- Django's field protocol ----------------------------------------------------------
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return Sealed(value)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        raw = model_instance.__dict__.get(self.attname)
        if model_instance.pk is None:
            raise TypeError(f"{self.label_text}: the row needs its id before it is sealed")
        row = encryption.row_key(model_instance.pk)
        if isinstance(raw, Sealed) and raw.row == row:
            return raw  # read and not changed: written back as it was
        value = getattr(model_instance, self.attname)  # opens a value read for another row
        if value is None or value == "":
            return value
        return Sealed(self.seal_raw(str(value), row), row)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return value
        return super().get_prep_value(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, Sealed):
            return value.text
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        raise TypeError(
            f"{self.label_text} is sealed row by row: set it on the instance and save() "
            "(update(), bulk_update() and lookups by value cannot seal it)"
        )


def encrypted(model: Any, name: str) -> EncryptedCharField:
    """The encrypted field ``name`` of ``model`` (for raw reads and writes)."""
    field = model._meta.get_field(name)
    if not isinstance(field, EncryptedCharField):
        raise TypeError(f"{model._meta.label}.{name} is not an encrypted field")
    return field


# --- passes over sealed columns ----------------------------------------------------------
def encrypted_fields(apps: Any = None) -> list[EncryptedCharField]:
    """Every encrypted field of every installed model (or of a migration's historical apps)."""
    registry = apps or global_apps
    return [
        f
        for model in registry.get_models()
        for f in model._meta.local_concrete_fields
        if isinstance(f, EncryptedCharField)
    ]


def _names(field: EncryptedCharField, conn: Any) -> tuple[str, str, str]:
    q = conn.ops.quote_name
    return q(field.model._meta.db_table), q(field.column), q(field.model._meta.pk.column)


def _pages(
    cursor: Any, field: EncryptedCharField, where: str, *, conn: Any, batch: int
) -> Iterator[list[tuple[Any, str]]]:
    """(raw id, stored text) of the rows that match ``where``, a page at a time, by id."""
    table, col, pk = _names(field, conn)
    last = None
    while True:
        after = "" if last is None else f" AND {pk} > %s"
        cursor.execute(
            f"SELECT {pk}, {col} FROM {table} WHERE {where}{after} "  # noqa: S608 - our names
            f"ORDER BY {pk} LIMIT {int(batch)}",
            [] if last is None else [last],
        )
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _update_sql(field: EncryptedCharField, *, conn: Any, compare: bool) -> str:
    table, col, pk = _names(field, conn)
    sql = f"UPDATE {table} SET {col} = %s WHERE {pk} = %s"  # noqa: S608 - our names
    return sql + (f" AND {col} = %s" if compare else "")


def _sealed_like(field: EncryptedCharField, conn: Any, kid: str | None = None) -> str:
    """``column LIKE 'v1:…%'`` (with ``%%``: the statement always goes with parameters)."""
    prefix = f"{encryption.VERSION}:{kid}:" if kid else f"{encryption.VERSION}:"
    if not all(c.isalnum() or c == ":" for c in prefix):
        raise ValueError(f"not a key id: {kid!r}")  # no LIKE wildcards, no quotes
    return f"{conn.ops.quote_name(field.column)} LIKE '{prefix}%%'"


def seal_column(field: EncryptedCharField, *, using: Any, batch: int = BATCH) -> int:
    """Seal every plaintext value of the column (a migration's forward step). Returns rows."""
    n = 0
    col = using.ops.quote_name(field.column)
    with using.cursor() as cursor:
        where = f"{col} <> '' AND NOT {_sealed_like(field, using)}"
        for rows in _pages(cursor, field, where, conn=using, batch=batch):
            cursor.executemany(
                _update_sql(field, conn=using, compare=False),
                [(field.seal_raw(text, pk), pk) for pk, text in rows],
            )
            n += len(rows)
    return n


def unseal_column(field: EncryptedCharField, *, using: Any, batch: int = BATCH) -> int:
    """Write every sealed value of the column back in plaintext (a migration's reverse step)."""
    n = 0
    with using.cursor() as cursor:
        for rows in _pages(cursor, field, _sealed_like(field, using), conn=using, batch=batch):
            cursor.executemany(
                _update_sql(field, conn=using, compare=False),
                [(field.open_raw(text, pk), pk) for pk, text in rows],
            )
            n += len(rows)
    return n


def migration_step(app_label: str, model_name: str, field_name: str, *, forward: bool) -> Callable:
    """A RunPython function that seals (``forward``) or opens a column of a historical model."""

    def run(apps: Any, schema_editor: Any) -> None:
        field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
        (seal_column if forward else unseal_column)(field, using=schema_editor.connection)

    return run


def key_usage(field: EncryptedCharField) -> dict[str, int]:
    """How many values of the column each key id sealed (``""``: plaintext, not sealed)."""
    conn = default_connection
    table, col, _pk = _names(field, conn)
    width = len(encryption.VERSION) + 10  # "v1:" + 8 hex digits + ":"
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT SUBSTR({col}, 1, {width}), COUNT(*) FROM {table} "  # noqa: S608
            f"WHERE {col} <> '' GROUP BY SUBSTR({col}, 1, {width})"
        )
        out: dict[str, int] = {}
        for prefix, count in cursor.fetchall():
            kid = encryption.token_key_id(prefix + "x") or ""
            out[kid] = out.get(kid, 0) + int(count)
    return out


def pending_rotation(field: EncryptedCharField) -> int:
    """Values of the column not sealed under the newest key."""
    current = keyring().current
    return sum(n for kid, n in key_usage(field).items() if kid != current)


def rotate(
    field: EncryptedCharField,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Seal again, under the newest key, every value of the column sealed under another key, a
    page per transaction (stopped half-way, it is run again: the keys in between still open what
    they sealed). A value changed meanwhile by the application is left as it is now (it was
    sealed under the newest key then). Returns (rows sealed again, rows changed meanwhile)."""
    conn = default_connection
    current = keyring().current
    col = conn.ops.quote_name(field.column)
    where = f"{col} <> '' AND NOT {_sealed_like(field, conn, current)}"
    update = _update_sql(field, conn=conn, compare=True)
    done = skipped = 0
    with conn.cursor() as reader:
        for rows in _pages(reader, field, where, conn=conn, batch=batch):
            with transactions.piece(), conn.cursor() as cursor:
                for pk, text in rows:
                    cursor.execute(update, [field.seal_raw(field.open_raw(text, pk), pk), pk, text])
                    if cursor.rowcount == 1:
                        done += 1
                    else:
                        skipped += 1
            if progress is not None:
                progress(len(rows))
    return done, skipped


def check_keys(fields: list[EncryptedCharField] | None = None) -> list[str]:
    """Problems opening the oldest and the newest sealed value of every encrypted column with the
    configured keys (the start-up check); empty when they open."""
    conn = default_connection
    problems = []
    for field in encrypted_fields() if fields is None else fields:
        table, col, pk = _names(field, conn)
        with conn.cursor() as cursor:
            for order in ("ASC", "DESC"):
                cursor.execute(
                    f"SELECT {pk}, {col} FROM {table} WHERE {col} <> '' "  # noqa: S608
                    f"ORDER BY {pk} {order} LIMIT 1"
                )
                row = cursor.fetchone()
                if row is None:
                    break
                try:
                    field.open_raw(row[1], row[0])
                except FieldKeyError as exc:
                    problems.append(str(exc))
                    break
    return problems
