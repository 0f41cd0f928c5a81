"""A backup of the demo city restored into a scratch database: the same rows in every table, the
same ledger balance and account sums, the same audit chain head; a target that is not empty is
refused; the CLI takes its key from the environment and never from the database."""

import os
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from precinct.common import backup


def _scratch_target(tmp_path: Path) -> tuple[str, object]:
    """A URL of an empty database of the test database's vendor, and how to drop it."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    admin = {"dbname": "postgres", "host": s["HOST"], "port": s["PORT"] or 5432,
             "user": s["USER"], "password": s["PASSWORD"] or None, "autocommit": True}  # fmt: skip
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    auth = f"{s['USER']}:{s['PASSWORD']}@" if s["PASSWORD"] else f"{s['USER']}@"
    return f"postgresql://{auth}{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{name}", drop


def test_a_backup_restores_whole_and_is_checked(city, tmp_path) -> None:
    key = backup.read_key(backup.new_key())
    out = tmp_path / "precinct.backup"
    manifest = backup.create(out, key, connection=connection)
    f = manifest["facts"]
    assert f["tables"]["org_officer"] > 1000 and f["tables"]["merit_ledgerentry"] > 0
    assert f["ledger"]["balance_fen"] == 0  # double entry
    assert f["audit_head"]["seq"] > 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    target, drop = _scratch_target(tmp_path)
    try:
        restored = backup.restore(out, key, to=target)
        assert restored["facts"] == f
        with pytest.raises(backup.BackupError, match="restore into"):
            backup.restore(out, key, to=target)  # not empty now
        backup.restore(out, key, to=target, force=True)
        with pytest.raises(backup.BackupError, match="does not open"):
            backup.restore(out, backup.read_key(backup.new_key()), to=target, force=True)
    finally:
        drop()


def test_the_facts_name_what_differs() -> None:
    a = {"tables": {"x": 1, "y": 2}, "ledger": {"balance_fen": 0}, "audit_head": {"seq": 5}}
    b = {"tables": {"x": 1, "y": 3}, "ledger": {"balance_fen": 0}, "audit_head": {"seq": 4}}
    assert backup.differences(a, a) == []
    wrong = backup.differences(a, b)
    assert len(wrong) == 2 and wrong[0].startswith("y: 2 rows")


def test_the_cli_needs_a_key_from_outside_the_database(city, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PRECINCT_BACKUP_KEY", raising=False)
    with pytest.raises(SystemExit) as exc:
        call_command("backup", str(tmp_path / "b.backup"))
    assert exc.value.code == 2 and not (tmp_path / "b.backup").exists()
    key_file = tmp_path / "key"
    key_file.write_text(backup.new_key())
    call_command("backup", str(tmp_path / "b.backup"), "--key-file", str(key_file))
    assert (tmp_path / "b.backup").stat().st_size > 0
    assert os.environ.get("PRECINCT_BACKUP_KEY") is None
    from precinct.identity.models import AuditEntry

    assert AuditEntry.objects.filter(action="backup_created").exists()
