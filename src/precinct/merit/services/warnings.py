"""Merit warnings and discipline: supervision's warning proposals queued, measures decided."""

import datetime as dt
import uuid
from typing import Any

from django.db.models import Q, QuerySet

from precinct.common import bus, transactions
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org
from precinct.supervision import services as supervision

from .. import rules
from ..models import Discipline, WarningItem
from ._common import APPROVERS, _require, _who


# --- the warning queue (fed by supervision) -----------------------------------------------------
def _on_warning_proposed(proposal_id: uuid.UUID, **_payload: Any) -> None:
    proposal = supervision.take_warning_proposal(proposal_id)
    if proposal is None:
        return
    WarningItem.objects.get_or_create(
        proposal_id=proposal.pk,
        defaults={
            "bureau_id": proposal.bureau_id,
            "officer_id": proposal.officer_id,
            "reason": proposal.reason,
        },
    )


def connect() -> None:
    bus.subscribe(supervision.WARNING_PROPOSED, _on_warning_proposed)


@transactions.inside
def catch_up_warnings() -> int:
    """Queue any proposal a failed reaction left behind (run by the month close)."""
    n = 0
    for pk in list(supervision.warning_proposals().values_list("pk", flat=True)):
        _on_warning_proposed(pk)
        n += 1
    return n


def warning_queue(scope: Scope) -> QuerySet[WarningItem]:
    return WarningItem.objects.filter(
        officer__in=org.scope_officers(scope), state="queued"
    ).select_related("officer")


def decide_warning(
    scope: Scope,
    item_id: uuid.UUID,
    *,
    measure: str | None,
    start: dt.date,
    days: int | None = None,
    note: str = "",
) -> WarningItem:
    """The political department turns a queued proposal into a measure, or dismisses it."""
    _require(scope, APPROVERS)
    item = (
        WarningItem.objects.select_for_update()
        .filter(pk=item_id, officer__in=org.scope_officers(scope))
        .first()
    )
    if item is None:
        raise NotFound()
    if item.state != "queued":
        raise ValidationFailed([FieldError("state", _("this item was decided already"))])
    if measure is None:
        item.state = "dismissed"
        item.save(update_fields=["state", "updated_at"])
        return item
    assert item.officer_id is not None
    item.decision = add_discipline(
        scope,
        officer_id=item.officer_id,
        measure=measure,
        start=start,
        days=days,
        reason=note or item.reason,
        source=f"warning_proposal:{item.proposal_id}",
    )
    item.state = "decided"
    item.save(update_fields=["state", "decision", "updated_at"])
    return item


# --- discipline ---------------------------------------------------------------------------------
def add_discipline(
    scope: Scope,
    *,
    officer_id: uuid.UUID,
    measure: str,
    start: dt.date,
    reason: str,
    days: int | None = None,
    source: str = "",
) -> Discipline:
    _require(scope, APPROVERS)
    officer = org.get_officer(scope, officer_id)
    if measure not in set(rules.Measure):
        raise ValidationFailed([FieldError("measure", _("unknown measure"))])
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", _("give the reason"))])
    end = rules.measure_end(measure, start, days)
    return Discipline.objects.create(
        bureau_id=officer.bureau_id,
        officer_id=officer.pk,
        measure=measure,
        start=start,
        end=end,
        days=days,
        reason=reason.strip(),
        source=source,
        decided_by=_who(scope),
    )


def blocking_measure(officer_id: uuid.UUID, on: dt.date) -> Discipline | None:
    """A sanction, suspension or investigation in force on the day (blocks awards, promotion)."""
    return (
        Discipline.objects.filter(
            officer_id=officer_id, measure__in=[str(m) for m in rules.BLOCKING], start__lte=on
        )
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .order_by("start")
        .first()
    )
