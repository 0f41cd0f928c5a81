"""Case rules: pure. Event identity for idempotent import, corrections, masking."""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventContent:
    type: str
    at: dt.datetime
    subject: str | None
    attrs: Mapping[str, Any]

    def digest(self, corrects: Any = None) -> str:
        """Identity of an event by its content (and what it corrects): importing the same event
        twice changes nothing."""
        body = {
            "corrects": str(corrects) if corrects else None,
            "type": self.type,
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "subject": self.subject,
            "attrs": {k: v for k, v in sorted(self.attrs.items()) if k != "corrects"},
        }
        return hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()


@dataclass(frozen=True)
class Recorded:
    id: Any
    seq: int
    content: EventContent
    corrects: Any | None


def in_force(events: Iterable[Recorded]) -> list[Recorded]:
    """The timeline the law is applied to: a correction replaces the event it points to."""
    items = list(events)
    replaced = {e.corrects for e in items if e.corrects is not None}
    return [e for e in items if e.id not in replaced]


def mask_identity_number(number: str) -> str:
    """'230402198001011234' -> '2304**********1234'."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """'张三' -> '张*', '欧阳娜娜' -> '欧***': the first character only, for roles that need no more."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def shown_name(name: str, *, full_identity: bool) -> str:
    """A person's name as this role may read it: whole for full-identity readers, else masked."""
    return name if full_identity else mask_name(name)
