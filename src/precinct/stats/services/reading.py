"""The figures read: every read through ``_figures``, which scopes by role and unit; the months
of figures, and the dashboard (year over year, month over month, 10-year highs and lows, units
compared)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum

from precinct.core import capabilities as can
from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import NOTHING, Scope

from .. import rules
from ..models import CoveredMonth, MonthlyFigure

READERS = can.STATS_READERS


# --- reading -------------------------------------------------------------------------------
def _require_reader(scope: Scope) -> uuid.UUID:
    if scope.role not in READERS or scope.bureau_id is None:
        raise PermissionDenied("statistics are for leadership, departments and unit chiefs")
    return scope.bureau_id


def _figures(scope: Scope, first: dt.date, last: dt.date) -> dict[tuple[dt.date, str], int]:
    """Stored values by (month, metric) over [first, last] for the caller: the computed figure
    in months precinct covers, the imported one before."""
    bureau_id = _require_reader(scope)
    qs = MonthlyFigure.objects.filter(bureau_id=bureau_id, month__gte=first, month__lte=last)
    if scope.whole_bureau:
        qs = qs.filter(unit__isnull=True)
    else:
        qs = qs.filter(unit__path__startswith=scope.unit_subtree or NOTHING)
    computed: dict[tuple[dt.date, str], int] = {}
    imported: dict[tuple[dt.date, str], int] = {}
    for month, metric, source, total, rows in qs.values_list("month", "metric", "source").annotate(
        v=Sum("value"), n=Count("id")
    ):
        # a rate over several units (a sub-bureau chief's stations) is their mean, not their sum
        mean = metric in rules.BY_CODE and rules.BY_CODE[metric].mean
        value = round(total / rows) if mean and rows else total
        (computed if source == rules.COMPUTED else imported)[(month, metric)] = value
    covered = CoveredMonth.objects.filter(
        bureau_id=bureau_id, month__gte=first, month__lte=last
    ).values_list("month", "family")
    keys = [(m, code) for m, family in covered for code in rules.OF_FAMILY.get(family, ())]
    return rules.pick(computed, imported, keys)


def monthly(scope: Scope, *, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Each month of [first, last] with every figure (shown values; None: no figure)."""
    if last < first:
        raise ValidationFailed([FieldError("to", _("must not be before from"))])
    months = rules.months_between(first, last)
    if len(months) > rules.MAX_MONTHS:
        raise ValidationFailed(
            [FieldError("to", _("at most %(n)s months at once"), None, {"n": rules.MAX_MONTHS})]
        )
    values = _figures(scope, months[0], months[-1])
    return [
        {
            "month": f"{m:%Y-%m}",
            "values": {
                metric.code: (
                    values[(m, metric.code)] / metric.scale if (m, metric.code) in values else None
                )
                for metric in rules.METRICS
            },
        }
        for m in months
    ]


@dataclass
class Line:
    metric: rules.Metric
    month: float | None
    month_last_year: float | None
    previous_month: float | None
    ytd: float | None
    ytd_last_year: float | None
    years: dict[int, float | None]
    extremes: rules.Extremes | None
    this_year: list[float | None]  # the reference year's months (None after the reference)
    last_year: list[float | None]

    @property
    def yoy(self) -> float | None:
        return rules.change(self.month, self.month_last_year)

    @property
    def mom(self) -> float | None:
        return rules.change(self.month, self.previous_month)

    @property
    def ytd_change(self) -> float | None:
        return rules.change(self.ytd, self.ytd_last_year)

    @property
    def good(self) -> bool | None:
        return rules.trend_is_good(self.metric, self.ytd_change)


@dataclass
class UnitLine:
    unit_id: uuid.UUID
    name: str
    month: dict[str, int] = field(default_factory=dict)
    month_last_year: dict[str, int] = field(default_factory=dict)
    ytd: dict[str, int] = field(default_factory=dict)
    ytd_last_year: dict[str, int] = field(default_factory=dict)

    def change(self, metric: str) -> float | None:
        """This year to date against last year's; None where either has no figure."""
        return rules.change(self.ytd.get(metric), self.ytd_last_year.get(metric))


@dataclass
class Dashboard:
    reference: dt.date  # the month compared
    lines: list[Line]
    units: list[UnitLine]
    span: tuple[int, int]  # the full years the highs and lows are taken over


def default_reference(today: dt.date) -> dt.date:
    """The last complete month: the one a dashboard compares by default."""
    return rules.add_months(rules.month_of(today), -1)


def dashboard(scope: Scope, *, reference: dt.date, years: int = 10) -> Dashboard:
    """Every figure for the reference month against the same month last year and the month
    before; the year to date against last year's; the last ``years`` full years with their
    highs and lows; the units compared (CompStat) on the computed figures."""
    ref = rules.month_of(reference)
    first = dt.date(ref.year - years, 1, 1)
    values = _figures(scope, first, ref)

    def value(metric: rules.Metric, month: dt.date) -> float | None:
        v = values.get((month, metric.code))
        return None if v is None else v / metric.scale

    def months_of(year: int, upto: int = 12) -> list[dt.date]:
        return [dt.date(year, m, 1) for m in range(1, upto + 1)]

    lines = []
    for metric in rules.METRICS:
        year_values = {
            y: rules.year_total(metric, [values.get((m, metric.code)) for m in months_of(y)])
            for y in range(ref.year - years, ref.year)
        }
        lines.append(
            Line(
                metric=metric,
                month=value(metric, ref),
                month_last_year=value(metric, rules.add_months(ref, -12)),
                previous_month=value(metric, rules.add_months(ref, -1)),
                ytd=rules.year_total(
                    metric, [values.get((m, metric.code)) for m in months_of(ref.year, ref.month)]
                ),
                ytd_last_year=rules.year_total(
                    metric,
                    [values.get((m, metric.code)) for m in months_of(ref.year - 1, ref.month)],
                ),
                years=year_values,
                extremes=rules.extremes(year_values),
                this_year=[value(metric, m) if m <= ref else None for m in months_of(ref.year)],
                last_year=[value(metric, m) for m in months_of(ref.year - 1)],
            )
        )
    return Dashboard(ref, lines, _units(scope, ref), (ref.year - years, ref.year - 1))


def _units(scope: Scope, ref: dt.date) -> list[UnitLine]:
    """The figures precinct computes, for each unit in scope: the reference month and the year
    to date, against the same periods last year — computed in the months precinct's records
    cover (a missing one is 0), imported by unit before them (a missing one is no figure)."""
    bureau_id = _require_reader(scope)
    last_ref = rules.add_months(ref, -12)
    codes = [m.code for m in rules.METRICS if m.computed]
    first = dt.date(last_ref.year, 1, 1)
    qs = MonthlyFigure.objects.filter(
        bureau_id=bureau_id, unit__isnull=False, metric__in=codes, month__gte=first,
        month__lte=ref,
    ).filter(
        Q(month__gte=dt.date(ref.year, 1, 1), month__lte=ref)
        | Q(month__gte=first, month__lte=last_ref)
    )  # fmt: skip
    if not scope.whole_bureau:
        qs = qs.filter(unit__path__startswith=scope.unit_subtree or NOTHING)
    names: dict[uuid.UUID, str] = {}
    computed: dict[uuid.UUID, dict[tuple[dt.date, str], int]] = {}
    imported: dict[uuid.UUID, dict[tuple[dt.date, str], int]] = {}
    for unit, name, month, metric, source, v in qs.values_list(
        "unit_id", "unit__name", "month", "metric", "source", "value"
    ):
        names[unit] = name
        (computed if source == rules.COMPUTED else imported).setdefault(unit, {})[
            (month, metric)
        ] = v
    covered = [
        (m, code)
        for m, family in CoveredMonth.objects.filter(
            bureau_id=bureau_id, month__gte=first, month__lte=ref
        ).values_list("month", "family")
        for code in rules.OF_FAMILY.get(family, ())
        if m.year == ref.year or m <= last_ref
    ]
    out = []
    for unit, name in names.items():
        line = UnitLine(unit, name)
        values = rules.pick(computed.get(unit, {}), imported.get(unit, {}), covered)
        for (month, metric), v in values.items():
            this_year = month.year == ref.year
            ytd = line.ytd if this_year else line.ytd_last_year
            ytd[metric] = ytd.get(metric, 0) + v
            if month in (ref, last_ref):
                (line.month if this_year else line.month_last_year)[metric] = v
        out.append(line)
    return sorted(out, key=lambda u: (-u.ytd.get("criminal_incidents", 0), u.name))
