"""`precinct backup FILE` writes an encrypted backup of the database; `precinct backup --new-key`
prints a new key. The key comes from ``PRECINCT_BACKUP_KEY`` or ``--key-file``, never from the
database."""

import os
from pathlib import Path
from typing import Annotated

import typer
from django.db import connection
from django_typer.management import TyperCommand
from rich.console import Console

from precinct.common import backup
from precinct.identity import services as identity


def key_from(key_file: Path | None) -> bytes:
    """The backup key: ``--key-file``, else ``PRECINCT_BACKUP_KEY``."""
    text = (
        key_file.read_text(encoding="utf-8")
        if key_file
        else os.environ.get("PRECINCT_BACKUP_KEY", "")
    )
    if not text.strip():
        raise backup.BackupError(
            "no key: set PRECINCT_BACKUP_KEY or pass --key-file (precinct backup --new-key)"
        )
    return backup.read_key(text)


class Command(TyperCommand):
    help = "An encrypted backup of the database."

    def handle(
        self,
        path: Annotated[Path | None, typer.Argument(help="Where to write the backup.")] = None,
        key_file: Annotated[
            Path | None, typer.Option(help="A file holding the key (default: the environment).")
        ] = None,
        new_key: Annotated[bool, typer.Option("--new-key", help="Print a new key.")] = False,
    ) -> None:
        console = Console(stderr=True, soft_wrap=True)
        if new_key:
            self.stdout.write(backup.new_key())
            return
        if path is None:
            console.print("[red]say where to write the backup")
            raise SystemExit(2)
        try:
            with console.status("backing up"):
                manifest = backup.create(path, key_from(key_file), connection=connection)
        except (backup.BackupError, OSError) as exc:
            console.print(f"[red]{exc}")
            raise SystemExit(2) from None
        f = manifest["facts"]
        identity.record(
            "backup_created",
            object_type="database",
            detail={"vendor": manifest["vendor"], "rows": sum(f["tables"].values()),
                    "audit_head": f.get("audit_head")},
        )  # fmt: skip
        self.stdout.write(
            f"{path}: {manifest['vendor']}, {len(f['tables'])} tables, "
            f"{sum(f['tables'].values()):,} rows, audit head {f.get('audit_head', {}).get('seq')}"
        )
