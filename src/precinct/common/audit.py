"""Reads worth auditing. An app that shows a person's record says so with :func:`viewed`; the
accounts app, which keeps the audit chain, listens (identity/signals.py), as it listens to every
write through Django's ``post_save``. Sent synchronously, so the entry is written in the
request's transaction, and no app needs to import the accounts app to be audited."""

from typing import Any

from django.dispatch import Signal

record_viewed = Signal()  # keyword arguments: object_type, object_id, bureau_id


def viewed(object_type: str, object_id: str, bureau_id: str) -> None:
    record_viewed.send(
        sender=None, object_type=object_type, object_id=object_id, bureau_id=bureau_id
    )


# Exports: data that leaves the system in bulk (an API list, a file). The audit service listens
# (identity/services/audit.py) and writes an "export" entry whose detail names what it held.
record_exported = Signal()  # keyword arguments: object_type, bureau_id, detail


def exported(object_type: str, bureau_id: str, detail: dict[str, Any]) -> None:
    """Say that records of ``object_type`` left the system; ``detail`` names them (a list of case
    numbers under "cases", how many rows under "rows"), so that a search finds the export."""
    record_exported.send(sender=None, object_type=object_type, bureau_id=bureau_id, detail=detail)
