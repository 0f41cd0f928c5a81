"""`precinct keys new | status | rotate-fields`: the keys that seal citizens' personal data in the
database (ADR 0022). They come from the environment (PRECINCT_FIELD_KEY, then the older keys in
PRECINCT_FIELD_OLD_KEYS), never from the database.

Rotation: make a key (``precinct keys new``), set it as PRECINCT_FIELD_KEY and move the old one to
PRECINCT_FIELD_OLD_KEYS, restart (new values are sealed under the new key, old ones still open),
run ``precinct keys rotate-fields``, then drop the old key once ``status`` shows it unused."""

from typing import Annotated

import typer
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from precinct.common import encryption, fields
from precinct.identity import services as identity


class Command(TyperCommand):
    help = "Field keys of the personal data in the database: new, status, rotate-fields."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def new(self) -> None:
        """Print a new field key (base64 of 32 random bytes) and its id."""
        key = encryption.new_key()
        self.stdout.write(key)
        Console(stderr=True).print(f"key id {encryption.key_id(encryption.parse_key(key))}")

    @command()
    def status(self) -> None:
        """The configured keys, and how many values each key sealed in every encrypted column;
        exit code 1 when a value was sealed under a key that is not configured."""
        ring = fields.keyring()
        self.stdout.write(
            "keys: " + ", ".join(f"{k}{' (newest)' if k == ring.current else ''}" for k in ring.ids)
        )
        missing = False
        for field in fields.encrypted_fields():
            usage = fields.key_usage(field)
            parts = []
            for kid, n in sorted(usage.items()):
                note = "" if kid in ring.ids else (" NOT SEALED" if not kid else " KEY MISSING")
                missing = missing or bool(note)
                parts.append(f"{kid or '-'}: {n:,}{note}")
            self.stdout.write(f"{field.label_text}: {', '.join(parts) or 'empty'}")
        if missing:
            raise SystemExit(1)

    @command("rotate-fields")
    def rotate_fields(
        self,
        batch: Annotated[int, typer.Option(help="Rows per transaction.", min=1)] = 1000,
    ) -> None:
        """Seal every value under the newest key (PRECINCT_FIELD_KEY), a batch per transaction;
        safe to stop and run again."""
        console = Console(stderr=True, soft_wrap=True)
        ring = fields.keyring()
        todo = [(f, fields.pending_rotation(f)) for f in fields.encrypted_fields()]
        total = sum(n for _f, n in todo)
        done = skipped = 0
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as bar:
                for field, pending in todo:
                    task = bar.add_task(field.label_text, total=pending)
                    d, s = fields.rotate(
                        field,
                        batch=batch,
                        progress=lambda n, task=task: bar.advance(task, n),  # type: ignore[misc]
                    )
                    done, skipped = done + d, skipped + s
        except encryption.FieldKeyError as exc:
            console.print(f"[red]{exc}")
            raise SystemExit(2) from None
        with identity.acting_as(identity.Actor(username="keys", role="system")):
            identity.record(
                "field_keys_rotated",
                object_type="database",
                detail={"key": ring.current, "rows": done, "changed_meanwhile": skipped},
            )
        self.stdout.write(
            f"{done:,} of {total:,} values sealed again under key {ring.current}"
            + (f"; {skipped:,} changed meanwhile (already under it)" if skipped else "")
        )
