"""Merit promotion ranking: twelve months of stars, awards, measures and problem points."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from precinct.core import capabilities as can
from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org

from .. import rules
from ..models import AwardProposal, Discipline, MonthClose
from ..rules import Month
from ._common import LINE_FIELDS, _require

# --- promotion ranking ----------------------------------------------------------------------------
PROMOTION_READERS = can.PROMOTION_READERS


@dataclass(frozen=True)
class PromotionRow:
    score: rules.PromotionScore
    officer_id: str
    number: str
    name: str
    unit: str
    post_type: str
    age: int
    band: str


@dataclass(frozen=True)
class PromotionRanking:
    months: list[Month]  # the window, oldest first
    closed: list[str]  # the months of the window that are closed (the others count nothing)
    on: dt.date  # the day eligibility is judged
    rows: list[PromotionRow]


def promotion_ranking(
    scope: Scope,
    month: Month,
    *,
    today: dt.date,
    unit: str = "",
    post_type: str = "",
    band: str = "",
    weights: rules.PromotionWeights | None = None,
) -> PromotionRanking:
    """The twelve months up to ``month`` ranked for promotion among the officers the caller may
    see (filtered by unit name, post type and age band; ranks are within what is shown): stars of
    the closed months, awards decided, warnings and sanctions, supervision problem points, each
    line explained. A sanction in force ``today`` makes an officer ineligible."""
    _require(scope, PROMOTION_READERS)
    assert scope.bureau_id is not None
    if band and band not in rules.AGE_BANDS:
        raise ValidationFailed([FieldError("band", _("unknown age band"))])
    w = weights or rules.PromotionWeights()
    window = [month.minus(k) for k in range(rules.PROMOTION_MONTHS - 1, -1, -1)]
    since, until = window[0].first, window[-1].last
    visible = dict(
        org.scope_officers(scope).filter(status="active").values_list("pk", "current_unit__name")
    )
    facts = [f for f in org.officer_facts(scope.bureau_id) if f.id in visible]
    labels = {f.id: (visible[f.id] or "", rules.age_on(f.birth_date, today)) for f in facts}
    facts = [
        f
        for f in facts
        if (not unit or labels[f.id][0] == unit)
        and (not post_type or f.post_type == post_type)
        and (not band or rules.age_band(labels[f.id][1]) == band)
    ]
    wanted = {str(f.id) for f in facts}
    stars: dict[str, list[tuple[str, int]]] = {k: [] for k in wanted}
    points: dict[str, int] = dict.fromkeys(wanted, 0)
    kind_at = LINE_FIELDS.index("kind")
    closed = []
    for m, data in (
        MonthClose.objects.filter(bureau_id=scope.bureau_id, month__in=[str(m) for m in window])
        .order_by("month")
        .values_list("month", "data")
    ):
        closed.append(m)
        for o in data["officers"]:
            if o["officer"] in wanted:
                stars[o["officer"]].append((m, o["stars"]))
                points[o["officer"]] += sum(
                    1 for ln in o["lines"] if ln[kind_at] == rules.Deduction.PROBLEM_POINT
                )
    awards: dict[str, list[tuple[str, str]]] = {k: [] for k in wanted}
    for officer, level, decided_on in AwardProposal.objects.filter(
        bureau_id=scope.bureau_id,
        officer_id__in=[f.id for f in facts],
        state__in=["approved", "forwarded"],
        decided_on__gte=since,
        decided_on__lte=until,
    ).values_list("officer_id", "level", "decided_on"):
        # the reference a reader can follow up: the day it was decided (not the record's id)
        awards[str(officer)].append((level, decided_on.isoformat() if decided_on else ""))
    measures: dict[str, list[tuple[str, str, bool]]] = {k: [] for k in wanted}
    in_force_today = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gte=today))
    for officer, measure, start, end in (
        Discipline.objects.filter(bureau_id=scope.bureau_id, officer_id__in=[f.id for f in facts])
        .filter(
            Q(start__gte=since, start__lte=until)
            | (Q(measure__in=[str(m) for m in rules.BLOCKING]) & in_force_today)
        )
        .order_by("start", "pk")
        .values_list("officer_id", "measure", "start", "end")
    ):
        now_in_force = start <= today and (end is None or end >= today)
        measures[str(officer)].append((measure, start.isoformat(), now_in_force))
    records = [
        rules.PromotionRecord(
            str(f.id),
            f.police_number,
            stars[str(f.id)],
            points[str(f.id)],
            awards[str(f.id)],
            measures[str(f.id)],
        )
        for f in facts
    ]
    by_id = {str(f.id): f for f in facts}
    rows = []
    for sc in rules.rank_for_promotion(records, w):
        f = by_id[sc.officer]
        unit_name, age = labels[f.id]
        rows.append(
            PromotionRow(
                sc,
                sc.officer,
                f.police_number,
                f.name,
                unit_name,
                f.post_type,
                age,
                rules.age_band(age),
            )
        )
    return PromotionRanking(window, closed, today, rows)
