"""What the command use cases share: who may command, the live board's topic, the status log."""

from __future__ import annotations

import datetime as dt
import uuid

from precinct.common import fields
from precinct.core import capabilities as can
from precinct.core.errors import PermissionDenied
from precinct.core.scoping import Scope

from ..models import PatrolUnit, UnitStatusChange

COMMAND_ROLES = can.COMMAND  # the name core.capabilities gives it (kept for the pages)
TOPIC = "command"  # what the live board listens to
MAX_KEY = 200  # an Idempotency-Key's length


def keying(digest: str) -> list[str]:
    """A body's digest under each field key, newest first: what an Idempotency-Key is bound to
    (keyed, because an intake body holds the caller's number)."""
    return fields.keyring().mac(digest.encode(), b"command intake body")


def _require_command(scope: Scope) -> None:
    if scope.role not in COMMAND_ROLES or scope.bureau_id is None:
        raise PermissionDenied("only the command centre may do this")


def _log(unit: PatrolUnit, status: str, now: dt.datetime, incident_id: uuid.UUID | None) -> None:
    UnitStatusChange.objects.create(
        bureau_id=unit.bureau_id, patrol_unit=unit, status=status, at=now, incident_id=incident_id
    )
