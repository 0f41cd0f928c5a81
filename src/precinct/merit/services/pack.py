"""Merit session pack: what the monthly 三一 session reads (its Excel and PDF are drawn from it)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum

from precinct.core import capabilities as can
from precinct.core.scoping import Scope
from precinct.org import services as org

from ..models import AwardProposal, Discipline, LedgerTransaction
from ..rules import Month
from ._common import _require
from .ledger import ledger_lines
from .month import month_results
from .sessions import session_checklist

# --- the monthly session pack -------------------------------------------------------------------
PACK_READERS = can.PACK_READERS


@dataclass(frozen=True)
class PackOfficer:
    rank: int
    number: str
    name: str
    unit: str
    post_type: str
    points: int
    stars: int
    bonus_fen: int


@dataclass(frozen=True)
class PackUnit:
    name: str
    officers: int
    star_officers: list[str]  # names, best first
    bonus_fen: int
    theme: str
    warning_case: str
    warning_published: bool
    held_on: dt.date | None
    attendance: int | None
    done: bool


@dataclass(frozen=True)
class PackAward:
    name: str
    unit: str
    level: str
    deed: str
    state: str
    bonus_fen: int


@dataclass(frozen=True)
class PackWarning:
    name: str
    unit: str
    measure: str
    start: dt.date
    end: dt.date | None
    reason: str


@dataclass(frozen=True)
class Pack:
    """What the month's 三一 session reads: the ranking, the star officers by unit, the rewards,
    the warnings and each unit's theme — as the caller may see them."""

    month: Month
    bureau: str
    closed: bool
    digest: str
    policy_version: int
    officers: list[PackOfficer]
    star_counts: list[int]  # officers with 0 … 5 stars
    units: list[PackUnit]
    awards: list[PackAward]
    warnings: list[PackWarning]
    bonus_fen: int


def session_pack(scope: Scope, month: Month) -> Pack:
    """The data of the monthly session pack (the Excel and PDF are drawn from it)."""
    _require(scope, PACK_READERS)
    assert scope.bureau_id is not None
    results = month_results(scope, month)
    people = {
        str(pk): (number, name, unit or "")
        for pk, number, name, unit in org.scope_officers(scope).values_list(
            "pk", "police_number", "name", "current_unit__name"
        )
    }
    unit_names = {str(pk): name for pk, name in org.scope_units(scope).values_list("pk", "name")}
    of_month = LedgerTransaction.objects.filter(
        bureau=scope.bureau_id, entries__account__code=f"budget:{month}"
    )
    paid = {
        str(officer): total
        for officer, total in ledger_lines(scope)
        .filter(txn__in=of_month)
        .order_by()
        .values("account__officer_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("account__officer_id", "total")
    }
    officers = []
    by_unit: dict[str, list[PackOfficer]] = {}  # by unit id: unit names repeat across stations
    for rank, o in enumerate(results["officers"], start=1):
        number, name, _unit = people.get(o["officer"], (o["number"], "", ""))
        officer = PackOfficer(
            rank, number, name, unit_names.get(o["unit"], ""), o["post_type"],
            o["points"], o["stars"], paid.get(o["officer"], 0),
        )  # fmt: skip
        officers.append(officer)
        by_unit.setdefault(o["unit"], []).append(officer)
    units = []
    for row in session_checklist(scope, month):
        members = by_unit.get(str(row.unit_id), [])
        s = row.session
        units.append(
            PackUnit(
                row.unit_name,
                len(members),
                [m.name or m.number for m in members if m.stars],
                sum(m.bonus_fen for m in members),
                s.theme if s else "",
                row.items.warning_case,
                row.items.warning_published,
                s.held_on if s else None,
                s.attendance if s else None,
                row.items.done,
            )
        )
    visible = org.scope_officers(scope)
    awards = [
        PackAward(
            a.officer.name,
            a.officer.current_unit.name if a.officer.current_unit else "",
            a.level,
            a.deed,
            a.state,
            a.bonus_fen,
        )
        for a in AwardProposal.objects.filter(
            officer__in=visible,
            decided_on__gte=month.first,
            decided_on__lte=month.last,
            state__in=["approved", "forwarded"],
        )
        .select_related("officer__current_unit")
        .order_by("level", "officer__police_number")
    ]
    warnings = [
        PackWarning(
            d.officer.name,
            d.officer.current_unit.name if d.officer.current_unit else "",
            d.measure,
            d.start,
            d.end,
            d.reason,
        )
        for d in Discipline.objects.filter(
            officer__in=visible, start__gte=month.first, start__lte=month.last
        )
        .select_related("officer__current_unit")
        .order_by("start", "officer__police_number")
    ]
    bureau = org.bureau_choices(scope.bureau_id).values_list("name", flat=True).first()
    return Pack(
        month=month,
        bureau=bureau or "",
        closed=results["closed"],
        digest=results["digest"],
        policy_version=results["policy"]["version"],
        officers=officers,
        star_counts=[sum(1 for o in officers if o.stars == n) for n in range(6)],
        units=units,
        awards=awards,
        warnings=warnings,
        bonus_fen=sum(o.bonus_fen for o in officers),
    )
