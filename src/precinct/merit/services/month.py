"""Merit month: the scoring policy's versions, the month scored live and frozen by its close."""

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q, QuerySet

from precinct.common import bulk, transactions
from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org
from precinct.supervision import services as supervision

from .. import rules
from ..models import Achievement, Discipline, MonthClose, ScoringPolicy
from ..rules import Month
from ._common import APPROVERS, LINE_FIELDS, _require, _who
from .warnings import catch_up_warnings


# --- the policy ---------------------------------------------------------------------------------
def policy_for(bureau_id: uuid.UUID, month: Month) -> rules.Policy:
    """The policy version in force on the month's first day (the default one if none stored)."""
    row = (
        ScoringPolicy.objects.filter(bureau_id=bureau_id, valid_from__lte=month.first)
        .order_by("-valid_from", "-version")
        .first()
    )
    return rules.policy_from_json(row.data) if row else rules.default_policy()


def save_policy(scope: Scope, data: dict[str, Any], *, valid_from: dt.date) -> ScoringPolicy:
    """A new policy version (checked); earlier versions stay as they were for closed months."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    last = (
        ScoringPolicy.objects.filter(bureau_id=scope.bureau_id)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    version = (last or rules.default_policy().version) + 1
    checked = rules.policy_from_json({**data, "version": version})
    if MonthClose.objects.filter(
        bureau_id=scope.bureau_id, month__gte=str(Month.of(valid_from))
    ).exists():
        raise ValidationFailed([FieldError("valid_from", _("a month from then on is closed"))])
    return ScoringPolicy.objects.create(
        bureau_id=scope.bureau_id,
        version=version,
        valid_from=valid_from.replace(day=1),
        data=rules.policy_to_json(checked),
        created_by=_who(scope),
    )


def policy_versions(scope: Scope) -> QuerySet[ScoringPolicy]:
    """The stored versions, newest first (everyone who scores may read how they are scored)."""
    if not scope.reads_business_data or scope.bureau_id is None:
        raise PermissionDenied()
    return ScoringPolicy.objects.filter(bureau_id=scope.bureau_id).order_by("-version")


# --- scoring the month --------------------------------------------------------------------------
def _bounds(month: Month) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        dt.datetime.combine(month.first, dt.time(0), tzinfo=tz),
        dt.datetime.combine(month.next().first, dt.time(0), tzinfo=tz),
    )


def compute_month(bureau_id: uuid.UUID, month: Month) -> dict[str, Any]:
    """Every active officer's points, line items and stars for the month, as plain data: the
    snapshot a close freezes (no clock in it: the same records give the same snapshot)."""
    policy = policy_for(bureau_id, month)
    facts = org.officer_facts(bureau_id)
    items: dict[uuid.UUID, list[rules.ItemRow]] = {o.id: [] for o in facts}
    c = bulk.codec()
    by_raw = {c.uuid(o.id): items[o.id] for o in facts}
    text = c.key_text
    for officer_id, pk, kind, quantity, role, evidence in bulk.select(  # raw: 200,000 rows
        f"SELECT {c.select_id('officer_id')}, {c.select_id('id')}, kind, quantity, role, "  # noqa: S608
        f"evidence FROM "
        f"{bulk.quote(Achievement._meta.db_table)} a WHERE bureau_id = %s AND month = %s "
        f"AND state = %s ORDER BY a.id",
        [c.uuid(bureau_id), str(month), "approved"],
    ):
        found = by_raw.get(officer_id)
        if found is not None:
            found.append((kind, quantity, role, evidence, text(pk)))
    since, until = _bounds(month)
    for officer_id, points in supervision.problem_points(
        bureau_id, since=since, until=until
    ).items():
        for ticket_id, rule, case_id in points:
            if officer_id in items:
                items[officer_id].append(
                    rules.Item(
                        rules.Deduction.PROBLEM_POINT,
                        1,
                        "",
                        f"{rule} case:{case_id}",
                        f"ticket:{ticket_id}",
                    )
                )
    for d in (
        Discipline.objects.filter(bureau_id=bureau_id, start__lte=month.last)
        .filter(Q(end__isnull=True) | Q(end__gte=month.first))
        .order_by("pk")
    ):
        if d.officer_id not in items:
            continue
        if d.measure in {str(m) for m in rules.BLOCKING}:
            items[d.officer_id].append(
                rules.Item(rules.Deduction.SANCTION, 1, "", d.measure, f"discipline:{d.pk}")
            )
        elif month.first <= d.start <= month.last:
            items[d.officer_id].append(
                rules.Item(rules.Deduction.WARNING, 1, "", d.measure, f"discipline:{d.pk}")
            )
    scores = [
        rules.score(
            policy,
            officer=str(o.id),
            unit=str(o.unit_id),
            post_type=o.post_type,
            items=items[o.id],
        )
        for o in facts
        if o.unit_id is not None
    ]
    order = {str(o.id): o.police_number for o in facts}
    ranked = rules.award_stars(policy, scores, order)
    return {
        "month": str(month),
        "line_fields": list(LINE_FIELDS),
        "policy": rules.policy_to_json(policy),
        "officers": [
            {
                "officer": s.officer,
                "number": order[s.officer],
                "unit": s.unit,
                "post_type": s.post_type,
                "points": s.points,
                "stars": s.stars,
                "capped_from": s.capped_from,
                "lines": s.lines,  # tuples in LINE_FIELDS order: JSON arrays when stored
            }
            for s in ranked
        ],
    }


@transactions.inside
def close_month(bureau_id: uuid.UUID, month: Month, *, by: str, today: dt.date) -> MonthClose:
    """Freeze the month (once: closing again returns the same snapshot). A month can be closed
    from the day after its last day."""
    if today <= month.last:
        raise ValidationFailed(
            [FieldError("month", _("%(month)s is not over yet"), params={"month": str(month)})]
        )
    existing = MonthClose.objects.filter(bureau_id=bureau_id, month=str(month)).first()
    if existing:
        return existing
    catch_up_warnings()
    data = compute_month(bureau_id, month)
    try:
        return transactions.savepoint(
            lambda: MonthClose.objects.create(
                bureau_id=bureau_id,
                month=str(month),
                policy_version=data["policy"]["version"],
                data=data,
                digest=rules.snapshot_digest(data),
                closed_by=by,
            )
        )
    except IntegrityError:  # closed by someone else meanwhile: theirs stands
        return MonthClose.objects.get(bureau_id=bureau_id, month=str(month))


@transactions.inside
def close_month_for(scope: Scope, month: Month, *, by: str, today: dt.date) -> MonthClose:
    """The political department closes the month from its page (a privileged action:
    re-authenticated by the access middleware) once the month is over; ``by`` is the account's
    username, as the command line records its own name (the page shows who closed it)."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    return close_month(scope.bureau_id, month, by=by, today=today)


def month_close(scope: Scope, month: Month) -> MonthClose | None:
    """The month's close (when, by whom, its digest), or None while it is open."""
    if not scope.reads_business_data or scope.bureau_id is None:
        raise PermissionDenied()
    return MonthClose.objects.filter(bureau_id=scope.bureau_id, month=str(month)).first()


lines_of = rules.snapshot_lines  # a snapshot row's line items as dicts (pages, API, pack)


def month_results(scope: Scope, month: Month) -> dict[str, Any]:
    """The month as the caller may see it: frozen if closed, live otherwise; scoped to officers."""
    assert scope.bureau_id is not None
    closed = MonthClose.objects.filter(bureau_id=scope.bureau_id, month=str(month)).first()
    data = closed.data if closed else compute_month(scope.bureau_id, month)
    visible = {str(pk) for pk in org.scope_officers(scope).values_list("pk", flat=True)}
    return {
        **data,
        "closed": closed is not None,
        "digest": closed.digest if closed else "",
        "officers": [o for o in data["officers"] if o["officer"] in visible],
    }


def month_closed(scope: Scope, month: Month) -> bool:
    """Whether the month is closed (frozen) for the caller's bureau."""
    assert scope.bureau_id is not None
    return MonthClose.objects.filter(bureau_id=scope.bureau_id, month=str(month)).exists()


def my_month(scope: Scope, month: Month) -> dict[str, Any] | None:
    """The caller's own line of the month (points, stars, rank among those with points), or
    None when the caller is no officer or has no line."""
    if scope.officer_id is None:
        return None
    results = month_results(scope, month)
    return next((o for o in results["officers"] if o["officer"] == str(scope.officer_id)), None)
