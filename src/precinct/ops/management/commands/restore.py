"""`precinct restore FILE --to URL`: an encrypted backup written into a database, then checked
against the facts it carries (row counts, ledger balance and sums, audit chain head, field keys).
The citizens' personal data in it stays sealed: the restored database needs the field keys that
sealed it (PRECINCT_FIELD_KEY / PRECINCT_FIELD_OLD_KEYS), which no backup holds (ADR 0022)."""

from pathlib import Path
from typing import Annotated

import typer
from django_typer.management import TyperCommand
from rich.console import Console

from precinct.common import backup, fields

from .backup import key_from


class Command(TyperCommand):
    help = "Restore an encrypted backup into an empty database and check it."

    def handle(
        self,
        path: Annotated[Path, typer.Argument(help="The backup file.")],
        to: Annotated[str, typer.Option(help="The target: sqlite:///FILE or postgresql://…/NAME.")],
        key_file: Annotated[
            Path | None, typer.Option(help="A file holding the key (default: the environment).")
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite a target that is not empty.")
        ] = False,
    ) -> None:
        console = Console(stderr=True, soft_wrap=True)
        try:
            with console.status("restoring"):
                manifest = backup.restore(path, key_from(key_file), to=to, force=force)
        except (backup.BackupError, OSError) as exc:
            console.print(f"[red]{exc}")
            raise SystemExit(2) from None
        f = manifest["facts"]
        self.stdout.write(
            f"restored {manifest['vendor']} backup of {manifest['created_at']}: "
            f"{sum(f['tables'].values()):,} rows in {len(f['tables'])} tables, ledger and audit "
            "head as backed up"
        )
        needed = backup.field_keys_needed(manifest)
        missing = needed - set(fields.keyring().ids)
        if needed:
            self.stdout.write(
                f"personal data sealed under field key(s) {', '.join(sorted(needed))}"
            )
        if missing:
            console.print(
                f"[yellow]field key(s) {', '.join(sorted(missing))} are not configured here: set "
                "PRECINCT_FIELD_KEY / PRECINCT_FIELD_OLD_KEYS to them before serving the restored "
                "database"
            )
