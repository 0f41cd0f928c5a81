"""Encrypted backups of the whole database, and their restore with a check.

A backup is a consistent snapshot of the database — SQLite's online backup API, or ``pg_dump``
in custom format on an exported snapshot — compressed and sealed with AES-256-GCM in 1 MiB
records (each with its own nonce and its index and "last" flag in the associated data, so a
reordered, cut or altered file does not open). The key is 32 random bytes kept outside the
database (``PRECINCT_BACKUP_KEY`` or a key file): without it the file is noise.

The file begins with a manifest in clear but authenticated: the format, the database vendor,
when, and the *facts* of the snapshot — each table's row count, the ledger's balance and a digest
of every account's sum, the audit chain's head, and which field keys sealed the citizens'
personal data (ADR 0022: it stays sealed in the backup, so a restored database needs those keys,
which no backup holds). A restore writes the snapshot into a target that must be empty (or is
overwritten with ``force``), then reads the same facts back from it and refuses to call the
restore good unless they are equal.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

MAGIC = b"PRECINCT-BACKUP\x00v1\n"
RECORD = 1 << 20  # plaintext bytes a sealed record carries
FORMAT = 1
LEDGER_TABLE = "merit_ledgerentry"
AUDIT_HEAD_TABLE = "identity_audithead"


class BackupError(Exception):
    """A backup that cannot be made, opened or restored, and why."""


# --- keys and sealing ----------------------------------------------------------------------
def new_key() -> str:
    """A new key: 32 random bytes, base64 (URL-safe). Keep it where the database is not."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def read_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (ValueError, TypeError) as exc:
        raise BackupError("the key is not base64") from exc
    if len(key) != 32:
        raise BackupError("the key must be 32 bytes (base64 of 32 random bytes)")
    return key


def _ad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def seal(plain: BinaryIO, out: BinaryIO, key: bytes, manifest: dict[str, Any]) -> None:
    """Compress ``plain`` and write it sealed to ``out`` after the manifest."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode()
    digest = hashlib.sha256(MAGIC + header).digest()
    prefix = os.urandom(8)
    out.write(MAGIC + len(header).to_bytes(4, "big") + header + prefix)
    aead = AESGCM(key)
    index = 0

    def emit(data: bytes, last: bool) -> None:
        nonlocal index
        sealed = aead.encrypt(prefix + index.to_bytes(4, "big"), data, _ad(digest, index, last))
        out.write(len(sealed).to_bytes(4, "big") + sealed)
        index += 1

    squeeze = zlib.compressobj(6)
    pending = b""
    while block := plain.read(RECORD):
        pending += squeeze.compress(block)
        while len(pending) >= RECORD:
            emit(pending[:RECORD], False)
            pending = pending[RECORD:]
    emit(pending + squeeze.flush(), True)


def read_manifest(inp: BinaryIO) -> tuple[dict[str, Any], bytes]:
    """The manifest (not yet authenticated: :func:`unseal` checks it) and its digest."""
    if inp.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a precinct backup")
    size = int.from_bytes(inp.read(4), "big")
    header = inp.read(size)
    try:
        manifest = json.loads(header)
    except ValueError as exc:
        raise BackupError("the backup's manifest is damaged") from exc
    return manifest, hashlib.sha256(MAGIC + header).digest()


def unseal(inp: BinaryIO, key: bytes) -> Iterator[bytes]:
    """The plaintext, record by record, after :func:`read_manifest`; any change to the file,
    a wrong key, or a cut file stops it with :class:`BackupError`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    inp.seek(0)
    _manifest, digest = read_manifest(inp)
    prefix = inp.read(8)
    aead = AESGCM(key)
    expand = zlib.decompressobj()
    index = 0
    while True:
        size_bytes = inp.read(4)
        if len(size_bytes) < 4:
            raise BackupError("the backup is cut short (its last record is missing)")
        sealed = inp.read(int.from_bytes(size_bytes, "big"))
        nonce = prefix + index.to_bytes(4, "big")
        last = False
        try:
            data = aead.decrypt(nonce, sealed, _ad(digest, index, False))
        except InvalidTag:
            try:
                data = aead.decrypt(nonce, sealed, _ad(digest, index, True))
                last = True
            except InvalidTag as exc:
                raise BackupError(
                    f"record {index} does not open: a wrong key, or the file was changed"
                ) from exc
        yield expand.decompress(data)
        index += 1
        if last:
            if inp.read(1):
                raise BackupError("data after the last record: the file was changed")
            yield expand.flush()
            return


# --- the facts of a database ---------------------------------------------------------------
def facts(conn: Any, vendor: str, sealed: list[str] | None = None) -> dict[str, Any]:
    """Row counts of every table, the ledger's balance and a digest of the accounts' sums, the
    audit chain's head, and for each sealed column (``table.column``) how many values each field
    key sealed — read through a DB-API connection."""
    cur = conn.cursor()
    if vendor == "sqlite":
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    else:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    tables = [row[0] for row in cur.fetchall()]
    counts = {}
    for table in tables:
        cur.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = int(cur.fetchone()[0])
    out: dict[str, Any] = {"tables": counts}
    if LEDGER_TABLE in counts:
        cur.execute(
            f'SELECT account_id, SUM(amount_fen) FROM "{LEDGER_TABLE}" '  # noqa: S608
            "GROUP BY account_id ORDER BY account_id"
        )
        sums = [(str(a).replace("-", ""), int(s)) for a, s in cur.fetchall()]
        out["ledger"] = {
            "balance_fen": sum(s for _a, s in sums),
            "accounts": len(sums),
            "sums_sha256": hashlib.sha256(json.dumps(sorted(sums)).encode()).hexdigest(),
        }
    if AUDIT_HEAD_TABLE in counts:
        cur.execute(f'SELECT seq, hash FROM "{AUDIT_HEAD_TABLE}" WHERE id = 1')  # noqa: S608
        row = cur.fetchone()
        out["audit_head"] = {"seq": int(row[0]), "hash": row[1]} if row else None
    if sealed:
        out["sealed"] = {}
        for place in sealed:
            table, column = place.split(".")
            if table not in counts:
                continue
            cur.execute(
                f'SELECT SUBSTR("{column}", 1, 12), COUNT(*) FROM "{table}" '  # noqa: S608
                f'WHERE "{column}" <> \'\' GROUP BY SUBSTR("{column}", 1, 12)'
            )
            keys: dict[str, int] = {}
            for prefix, n in cur.fetchall():
                kid = prefix.split(":")[1] if prefix.startswith("v1:") else "(not sealed)"
                keys[kid] = keys.get(kid, 0) + int(n)
            out["sealed"][place] = dict(sorted(keys.items()))
    cur.close()
    return out


def sealed_columns() -> list[str]:
    """``table.column`` of every encrypted field of the installed apps."""
    from precinct.common import fields

    return sorted(f"{f.model._meta.db_table}.{f.column}" for f in fields.encrypted_fields())


def field_keys_needed(manifest: dict[str, Any]) -> set[str]:
    """The field key ids that sealed the personal data in a backup."""
    sealed = manifest.get("facts", {}).get("sealed", {})
    return {kid for keys in sealed.values() for kid in keys if kid != "(not sealed)"}


def differences(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What differs between the facts in a backup and those of a restored database."""
    out = []
    tables = set(expected.get("tables", {})) | set(found.get("tables", {}))
    for t in sorted(tables):
        a, b = expected.get("tables", {}).get(t), found.get("tables", {}).get(t)
        if a != b:
            out.append(f"{t}: {a} rows in the backup, {b} restored")
    for key in ("ledger", "audit_head", "sealed"):
        if expected.get(key) != found.get(key):
            out.append(f"{key}: {expected.get(key)} in the backup, {found.get(key)} restored")
    return out


# --- making a backup -----------------------------------------------------------------------
def _pg_env(settings: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                      ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):  # fmt: skip
        if settings.get(key):
            env[name] = str(settings[key])
    return env


def create(out_path: Path, key: bytes, *, connection: Any) -> dict[str, Any]:
    """Back the database of ``connection`` (Django's) up into ``out_path``; returns the
    manifest. The file is written next to its place and renamed when complete."""
    vendor = connection.vendor
    sealed = sealed_columns()
    with tempfile.TemporaryDirectory(prefix="precinct-backup-") as tmp:
        snapshot = Path(tmp) / "snapshot"
        if vendor == "sqlite":
            # a connection of its own: it reads what is committed, as one snapshot (WAL), and
            # never waits on the caller's own open transaction
            source = sqlite3.connect(connection.settings_dict["NAME"], timeout=60)
            target = sqlite3.connect(snapshot)
            try:
                source.backup(target)
            finally:
                source.close()
            found = facts(target, "sqlite", sealed)
            target.close()
        elif vendor == "postgresql":
            import psycopg

            env = _pg_env(connection.settings_dict)
            with psycopg.connect(**_pg_kwargs(connection.settings_dict)) as conn:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                snap = _one(conn, "SELECT pg_export_snapshot()")
                done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                    [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                     f"--snapshot={snap}", f"--file={snapshot}"],
                    env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
                found = facts(conn, "postgresql", sealed)
                conn.rollback()
        else:
            raise BackupError(f"backups of {vendor} are not supported")
        manifest = {
            "format": FORMAT,
            "vendor": vendor,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "facts": found,
        }
        partial = out_path.with_name(out_path.name + ".partial")
        with snapshot.open("rb") as plain, partial.open("wb") as out:
            seal(plain, out, key, manifest)
        os.chmod(partial, 0o600)
        partial.replace(out_path)
    return manifest


def _pg_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    kwargs = {"dbname": settings.get("NAME") or "postgres", "autocommit": True}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user"),
                      ("PASSWORD", "password")):  # fmt: skip
        if settings.get(key):
            kwargs[name] = settings[key]
    return kwargs


def _one(conn: Any, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    if row is None:
        raise BackupError(f"no answer to {sql!r}")
    return row[0]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return found


# --- restoring -----------------------------------------------------------------------------
def _url_settings(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "NAME": unquote(parts.path.lstrip("/")), "HOST": parts.hostname or "",
        "PORT": parts.port or "", "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
    }  # fmt: skip


def restore(path: Path, key: bytes, *, to: str, force: bool = False) -> dict[str, Any]:
    """Write the backup at ``path`` into the database at URL ``to`` (``sqlite:///FILE`` or
    ``postgresql://…/NAME``, of the backup's vendor), then check its facts against the
    manifest's. The target must be empty unless ``force``. Returns the manifest."""
    with path.open("rb") as inp:
        manifest, _digest = read_manifest(inp)
        vendor = manifest.get("vendor")
        wanted = "sqlite" if to.startswith("sqlite:") else "postgresql"
        if vendor != wanted:
            raise BackupError(f"a {vendor} backup cannot be restored into {wanted}")
        with tempfile.TemporaryDirectory(prefix="precinct-restore-") as tmp:
            plain = Path(tmp) / "snapshot"
            with plain.open("wb") as out:
                for chunk in unseal(inp, key):
                    out.write(chunk)
            sealed = sorted(manifest["facts"].get("sealed", {}))
            found = (
                _restore_sqlite(plain, to, force, sealed)
                if vendor == "sqlite"
                else _restore_pg(plain, to, force, sealed)
            )
    wrong = differences(manifest["facts"], found)
    if wrong:
        raise BackupError("the restored database differs from the backup: " + "; ".join(wrong))
    return manifest


def _restore_sqlite(plain: Path, url: str, force: bool, sealed: list[str]) -> dict[str, Any]:
    target = Path(url[len("sqlite:///") :])
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(f"{target} exists: restore into a new file, or force")
    check = sqlite3.connect(plain)
    ok = check.execute("PRAGMA integrity_check").fetchone()[0]
    check.close()
    if ok != "ok":
        raise BackupError(f"the snapshot fails SQLite's integrity check: {ok}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(plain, staged)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{target}{suffix}").unlink()
    staged.replace(target)
    conn = sqlite3.connect(target)
    try:
        return facts(conn, "sqlite", sealed)
    finally:
        conn.close()


def _restore_pg(plain: Path, url: str, force: bool, sealed: list[str]) -> dict[str, Any]:
    import psycopg

    settings = _url_settings(url)
    with psycopg.connect(**_pg_kwargs(settings)) as conn:
        tables = _one(
            conn, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        if tables and not force:
            raise BackupError(f"{settings['NAME']} has {tables} tables: restore into an empty "
                              "database, or force")  # fmt: skip
        if tables:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", f"--dbname={settings['NAME']}", str(plain)],
        env=_pg_env(settings), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
    with psycopg.connect(**_pg_kwargs(settings)) as conn:
        return facts(conn, "postgresql", sealed)
