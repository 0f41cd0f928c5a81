"""The computed figures refreshed from precinct's own incidents and cases: which months are
covered, each month worked out, the current month redone when stale."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Min

from precinct.cases import services as cases
from precinct.command import services as command
from precinct.common import transactions

from .. import rules
from ..models import CoveredMonth, MonthlyFigure

STALE = dt.timedelta(minutes=10)  # the current month's computed figures are redone after this
HOMICIDE_WORDS = ("杀人",)  # a criminal case whose title names a homicide (故意杀人案 …)
DRUG_WORDS = ("毒",)  # a case whose title names drugs (贩卖毒品案, 吸毒 …)


def _tz() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def _start(month: dt.date) -> dt.datetime:
    return dt.datetime.combine(month, dt.time(0), tzinfo=_tz())


# --- refreshing the computed figures -------------------------------------------------------
def covered_from(bureau_id: uuid.UUID) -> dict[str, dt.date]:
    """For incidents and for cases, the first month covered (as the last refresh found it)."""
    return dict(
        CoveredMonth.objects.filter(bureau_id=bureau_id)
        .values_list("family")
        .annotate(first=Min("month"))
        .values_list("family", "first")
    )


FIRST_RECORD = {rules.INCIDENTS: command.first_received, rules.CASES: cases.first_accepted}


def detect_coverage(bureau_id: uuid.UUID, *, now: dt.datetime) -> dict[str, dt.date]:
    """For each family that has records, the first month precinct covers: the first whole month
    of the last unbroken run of months with records (a stray early record is cut off by the gap
    after it). One query a month that has records."""
    this = rules.month_of(now.astimezone(_tz()).date())
    out = {}
    for family, first in FIRST_RECORD.items():
        months: list[dt.date] = []
        since: dt.datetime | None = None
        while (found := first(bureau_id, since=since)) is not None:
            month = rules.month_of(found.astimezone(_tz()).date())
            if month > this:
                break
            months.append(month)
            since = _start(rules.add_months(month, 1))
        run = rules.last_run(months)
        if run is None:
            continue
        earliest = first(bureau_id, since=_start(run))
        assert earliest is not None
        start = rules.first_full_month(earliest.astimezone(_tz()).date())
        if start <= this:
            out[family] = start
    return out


def _computed_rows(bureau_id: uuid.UUID, month: dt.date, family: str) -> list[MonthlyFigure]:
    start, end = _start(month), _start(rules.add_months(month, 1))
    per_unit: dict[uuid.UUID | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if family == rules.INCIDENTS:
        for unit, police, criminal, traffic in command.incident_counts(
            bureau_id, start=start, end=end
        ):
            row = per_unit[unit]
            row["incidents"] += police
            row["criminal_incidents"] += criminal
            row["road_accidents"] += traffic
    else:
        for unit, public_order, homicides, drugs in cases.accepted_counts(
            bureau_id, start=start, end=end, homicide_words=HOMICIDE_WORDS, drug_words=DRUG_WORDS
        ):
            row = per_unit[unit]
            row["public_order_cases"] += public_order
            row["homicides"] += homicides
            row["drug_cases"] += drugs
    totals: dict[str, int] = defaultdict(int)
    out = []
    for unit, values in per_unit.items():
        for metric, value in values.items():
            totals[metric] += value
            if unit is not None and value:
                out.append(MonthlyFigure(bureau_id=bureau_id, month=month, metric=metric,
                                         unit_id=unit, value=value, source=rules.COMPUTED))  # fmt: skip
    for metric in rules.OF_FAMILY[family]:  # the bureau's own row of each, zero included
        out.append(MonthlyFigure(bureau_id=bureau_id, month=month, metric=metric,
                                 value=totals.get(metric, 0), source=rules.COMPUTED))  # fmt: skip
    return out


def refresh(
    bureau_id: uuid.UUID,
    *,
    now: dt.datetime,
    months: Iterable[dt.date] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Work out the computed figures of ``months`` (default: every month from the first one
    precinct's records cover to this one), a month and family (incidents, cases) at a time, each
    in its own transaction with its ``CoveredMonth`` row locked, so two refreshes never write a
    month twice. Months before a family's records begin are left to the imported figures.
    Returns the months refreshed."""
    this = rules.month_of(now.astimezone(_tz()).date())
    if months is None:  # the full pass: coverage found again from the records
        firsts = detect_coverage(bureau_id, now=now)
        with transactions.piece():  # months no longer covered go back to imported figures
            for family in rules.FAMILIES:
                start = firsts.get(family, rules.add_months(this, 1))
                stale = CoveredMonth.objects.filter(bureau_id=bureau_id, family=family,
                                                    month__lt=start)  # fmt: skip
                MonthlyFigure.objects.filter(
                    bureau_id=bureau_id, source=rules.COMPUTED,
                    metric__in=rules.OF_FAMILY[family], month__in=list(stale.values_list(
                        "month", flat=True)),
                ).delete()  # fmt: skip
                stale.delete()
    else:
        firsts = covered_from(bureau_id)
        missing = [f for f in rules.FAMILIES if f not in firsts]
        if missing:
            found = detect_coverage(bureau_id, now=now)
            firsts.update({f: found[f] for f in missing if f in found})
    if not firsts:
        return 0
    wanted = (
        rules.months_between(min(firsts.values()), this)
        if months is None
        else sorted({m for m in months if m <= this})
    )
    for i, month in enumerate(wanted, start=1):
        for family, first in firsts.items():
            if month < first:
                continue
            with transactions.piece():
                mark, _made = CoveredMonth.objects.get_or_create(
                    bureau_id=bureau_id, month=month, family=family,
                    defaults={"refreshed_at": now},
                )  # fmt: skip
                CoveredMonth.objects.select_for_update().filter(pk=mark.pk).first()
                MonthlyFigure.objects.filter(
                    bureau_id=bureau_id, month=month, source=rules.COMPUTED,
                    metric__in=rules.OF_FAMILY[family],
                ).delete()  # fmt: skip
                MonthlyFigure.objects.bulk_create(
                    _computed_rows(bureau_id, month, family), batch_size=2000
                )
                CoveredMonth.objects.filter(pk=mark.pk).update(refreshed_at=now)
        if progress is not None:
            progress(i, len(wanted))
    return len(wanted)


def recent(now: dt.datetime) -> list[dt.date]:
    """Last month and this one: the months whose records still change."""
    this = rules.month_of(now.astimezone(_tz()).date())
    return [rules.add_months(this, -1), this]


def ensure_fresh(bureau_id: uuid.UUID, *, now: dt.datetime) -> int:
    """Redo this month's and last month's computed figures when they are older than
    :data:`STALE` (incidents keep coming in); the dashboard calls it before reading."""
    months = recent(now)
    families = set(
        CoveredMonth.objects.filter(bureau_id=bureau_id).values_list("family", flat=True).distinct()
    )
    fresh = set(
        CoveredMonth.objects.filter(
            bureau_id=bureau_id, month__in=months, refreshed_at__gte=now - STALE
        ).values_list("month", "family")
    )
    if not families:  # nothing worked out yet: find the coverage and do the recent months
        return refresh(bureau_id, now=now, months=months)
    stale = [m for m in months if any((m, f) not in fresh for f in families)]
    if not stale:
        return 0
    return refresh(bureau_id, now=now, months=stale)
