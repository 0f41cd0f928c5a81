"""Merit awards: proposed, checked against the rules, their dossier, decided and paid."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum

from precinct.common import transactions
from precinct.core import capabilities as can
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org
from precinct.supervision import services as supervision

from .. import rules
from ..models import AwardProposal, Discipline, MonthClose
from ..rules import Month
from ._common import APPROVERS, ENTERERS, _require, _who
from .ledger import pay
from .warnings import blocking_measure


# --- awards -------------------------------------------------------------------------------------
def propose_award(
    scope: Scope,
    *,
    officer_id: uuid.UUID,
    level: str,
    deed: str,
    notice_start: dt.date | None = None,
    notice_end: dt.date | None = None,
    today: dt.date | None = None,
) -> AwardProposal:
    """A unit proposes an award. Given ``today`` (the pages do), the proposal is checked against
    every rule of the award regulations at once, each failure named: the notice by the days it
    is planned for (it must have run by the decision). Without it (a trusted loader, the demo)
    only the form of the proposal is checked and the rules wait for the decision."""
    _require(scope, ENTERERS)
    officer = org.get_officer(scope, officer_id)
    award = AwardProposal(bureau_id=officer.bureau_id, officer_id=officer.pk)
    _fill(award, level=level, deed=deed, notice_start=notice_start, notice_end=notice_end)
    if today is not None:
        _check_proposal(award, today)
    award.save()
    return award


@transactions.inside  # it locks what it edits
def edit_award(
    scope: Scope,
    award_id: uuid.UUID,
    *,
    level: str,
    deed: str,
    notice_start: dt.date | None,
    notice_end: dt.date | None,
    today: dt.date,
) -> AwardProposal:
    """A proposal changed until it is decided, checked as when it was proposed."""
    _require(scope, ENTERERS)
    award = (
        AwardProposal.objects.select_for_update()
        .filter(pk=award_id, officer__in=org.scope_officers(scope))
        .first()
    )
    if award is None:
        raise NotFound()
    if award.state != "proposed":
        raise ValidationFailed([FieldError("state", _("this proposal was decided already"))])
    _fill(award, level=level, deed=deed, notice_start=notice_start, notice_end=notice_end)
    _check_proposal(award, today)
    award.save(
        update_fields=["level", "deed", "notice_start", "notice_end", "bonus_fen", "updated_at"]
    )
    return award


def _fill(
    award: AwardProposal,
    *,
    level: str,
    deed: str,
    notice_start: dt.date | None,
    notice_end: dt.date | None,
) -> None:
    if level not in set(rules.AwardLevel):
        raise ValidationFailed([FieldError("level", _("unknown award level"))])
    if notice_start and notice_end and notice_end < notice_start:
        raise ValidationFailed([FieldError("notice_end", _("ends before it starts"))])
    award.level, award.deed = level, deed.strip()[:200]
    award.notice_start, award.notice_end = notice_start, notice_end
    award.bonus_fen = rules.STATUTORY_BONUS_FEN[rules.AwardLevel(level)]


def _check_proposal(award: AwardProposal, today: dt.date) -> None:
    errors, _notice = award_checks(award, today, planned=True)
    if errors:
        raise ValidationFailed(errors)


def award_checks(
    award: AwardProposal, today: dt.date, *, planned: bool = False
) -> tuple[list[FieldError], int | None]:
    """What stands in the way of approving ``award`` today, and its public notice in working
    days (None: no notice recorded). ``planned``: the notice counted over all its days, as
    planned when proposed (at the decision only the days it has run count)."""
    prior = [
        rules.PriorAward(level, deed, on or today)
        for level, deed, on in AwardProposal.objects.filter(
            officer_id=award.officer_id, state__in=["approved", "forwarded"]
        )
        .exclude(pk=award.pk)
        .values_list("level", "deed", "decided_on")
    ]
    block = blocking_measure(award.officer_id, today)
    notice_days = (
        supervision.working_days_between(
            award.notice_start, award.notice_end if planned else min(award.notice_end, today)
        )
        if award.notice_start and award.notice_end
        else None
    )
    errors = rules.check_award(
        level=award.level,
        deed=award.deed,
        today=today,
        prior=prior,
        blocked_by=block.get_measure_display() if block else None,
        notice_working_days=notice_days,
    )
    return errors, notice_days


def awards(scope: Scope, *, state: str = "") -> QuerySet[AwardProposal]:
    """Award proposals of the officers the caller may see, newest first."""
    _require(scope, can.AWARD_READERS)
    qs = AwardProposal.objects.filter(officer__in=org.scope_officers(scope))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("officer__current_unit").order_by("-created_at")


def award_totals(scope: Scope, *, year: int) -> tuple[int, int]:
    """(awards decided for, bonus in fen) of a whole bureau in ``year``, approved here or
    forwarded to the province: what a province compares its cities by. Read from the awards
    alone (the province receives no officers)."""
    if not scope.whole_bureau or not scope.reads_business_data or scope.bureau_id is None:
        return 0, 0
    found = AwardProposal.objects.filter(
        bureau_id=scope.bureau_id, state__in=["approved", "forwarded"], decided_on__year=year
    ).aggregate(n=Count("id"), fen=Sum("bonus_fen"))
    return int(found["n"] or 0), int(found["fen"] or 0)


@dataclass(frozen=True)
class Dossier:
    """An award proposal with the officer's record, as the province (or the city's committee)
    reads it."""

    award: AwardProposal
    officer: Any
    unit: str
    checks: list[FieldError]
    notice_working_days: int | None
    stars: list[tuple[str, int, float]]  # (month, stars, points) of the closed months of a year
    prior: list[AwardProposal]
    measures: list[Discipline]
    today: dt.date


def award_dossier(scope: Scope, award_id: uuid.UUID, *, today: dt.date) -> Dossier:
    _require(scope, can.AWARD_READERS)
    award = (
        AwardProposal.objects.filter(pk=award_id, officer__in=org.scope_officers(scope))
        .select_related("officer__current_unit")
        .first()
    )
    if award is None:
        raise NotFound()
    checks, notice = award_checks(award, today)
    window = {str(Month.of(today).minus(k)) for k in range(1, rules.PROMOTION_MONTHS + 1)}
    key = str(award.officer_id)
    stars = []
    for month, data in (
        MonthClose.objects.filter(bureau_id=award.bureau_id, month__in=window)
        .order_by("month")
        .values_list("month", "data")
    ):
        row = next((o for o in data["officers"] if o["officer"] == key), None)
        if row:
            stars.append((month, row["stars"], row["points"]))
    return Dossier(
        award=award,
        officer=award.officer,
        unit=award.officer.current_unit.name if award.officer.current_unit else "",
        checks=checks,
        notice_working_days=notice,
        stars=stars,
        prior=list(
            AwardProposal.objects.filter(
                officer_id=award.officer_id, state__in=["approved", "forwarded"]
            )
            .exclude(pk=award.pk)
            .order_by("-decided_on")
        ),
        measures=list(Discipline.objects.filter(officer_id=award.officer_id).order_by("-start")),
        today=today,
    )


@transactions.inside  # it locks what it decides
def decide_award(
    scope: Scope, award_id: uuid.UUID, *, approve: bool, today: dt.date
) -> AwardProposal:
    """Approve (嘉奖 and 三等功: the city; above: forwarded to the province with a dossier) after
    the rules' checks, paying the statutory bonus from the month's budget; or reject."""
    _require(scope, APPROVERS)
    award = (
        AwardProposal.objects.select_for_update()
        .filter(pk=award_id, officer__in=org.scope_officers(scope))
        .first()
    )
    if award is None:
        raise NotFound()
    if award.state != "proposed":
        raise ValidationFailed([FieldError("state", _("this proposal was decided already"))])
    if not approve:
        award.state, award.decided_by, award.decided_on = "rejected", _who(scope), today
        award.save(update_fields=["state", "decided_by", "decided_on", "updated_at"])
        return award
    errors, _notice = award_checks(award, today)
    if errors:
        raise ValidationFailed(errors)
    city = rules.AwardLevel(award.level) in rules.CITY_APPROVES
    award.state = "approved" if city else "forwarded"
    award.decided_by, award.decided_on = _who(scope), today
    award.save(update_fields=["state", "decided_by", "decided_on", "updated_at"])
    if city:
        pay(
            award.bureau_id,
            key=f"award:{award.pk}",
            memo=f"{award.get_level_display()}: {award.deed}"[:200],
            officer_id=award.officer_id,
            amount_fen=award.bonus_fen,
            month=Month.of(today),
            by=_who(scope),
        )
    return award
