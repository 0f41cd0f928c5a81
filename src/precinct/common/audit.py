"""Reads worth auditing. An app that shows a person's record says so with :func:`viewed`; the
accounts app, which keeps the audit chain, listens (identity/signals.py), as it listens to every
write through Django's ``post_save``. Sent synchronously, so the entry is written in the
request's transaction, and no app needs to import the accounts app to be audited."""

from django.dispatch import Signal

record_viewed = Signal()  # keyword arguments: object_type, object_id, bureau_id


def viewed(object_type: str, object_id: str, bureau_id: str) -> None:
    record_viewed.send(
        sender=None, object_type=object_type, object_id=object_id, bureau_id=bureau_id
    )
