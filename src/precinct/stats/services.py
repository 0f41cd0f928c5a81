"""Public-safety statistics use cases: the monthly figures refreshed from precinct's own incidents
and cases, imported from Excel for earlier years, and read as the dashboard (year over year,
month over month, 10-year highs and lows, units compared) — every read through ``_figures``,
which scopes by role and unit: the bureau-wide roles see the bureau's figures, a unit chief the
sum of his units'."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, Sum

from precinct.cases import services as cases
from precinct.command import services as command
from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role, Scope
from precinct.identity import services as identity
from precinct.org import services as org

from . import rules
from .models import CoveredMonth, MonthlyFigure

STALE = dt.timedelta(minutes=10)  # the current month's computed figures are redone after this
HOMICIDE_WORDS = ("杀人",)  # a criminal case whose title names a homicide (故意杀人案 …)
DRUG_WORDS = ("毒",)  # a case whose title names drugs (贩卖毒品案, 吸毒 …)
IMPORTERS = frozenset({Role.COMMAND_CENTRE, Role.LEADERSHIP})
READERS = frozenset({Role.LEADERSHIP, Role.POLITICAL_DEPT, Role.LEGAL_SUPERVISION,
                     Role.COMMAND_CENTRE, Role.UNIT_CHIEF})  # fmt: skip


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
        with transaction.atomic():  # months no longer covered go back to imported figures
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
            with transaction.atomic():
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
        qs = qs.filter(unit__path__startswith=scope.unit_subtree or "\x00nothing/")
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
        return rules.change(self.ytd.get(metric, 0), self.ytd_last_year.get(metric, 0))


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
    """The computed figures of each unit in scope: the reference month and the year to date,
    against the same periods last year."""
    last_ref = rules.add_months(ref, -12)
    qs = MonthlyFigure.objects.filter(
        bureau_id=_require_reader(scope), source=rules.COMPUTED, unit__isnull=False
    ).filter(
        Q(month__gte=dt.date(ref.year, 1, 1), month__lte=ref)
        | Q(month__gte=dt.date(last_ref.year, 1, 1), month__lte=last_ref)
    )
    if not scope.whole_bureau:
        qs = qs.filter(unit__path__startswith=scope.unit_subtree or "\x00nothing/")
    out: dict[uuid.UUID, UnitLine] = {}
    for unit, name, month, metric, v in qs.values_list(
        "unit_id", "unit__name", "month", "metric", "value"
    ):
        line = out.setdefault(unit, UnitLine(unit, name))
        this_year = month.year == ref.year
        ytd = line.ytd if this_year else line.ytd_last_year
        ytd[metric] = ytd.get(metric, 0) + v
        if month in (ref, last_ref):
            (line.month if this_year else line.month_last_year)[metric] = v
    return sorted(out.values(), key=lambda u: (-u.ytd.get("criminal_incidents", 0), u.name))


# --- importing -----------------------------------------------------------------------------
def _labels() -> dict[str, str]:
    """Every metric label in every language → its code, for headers typed by hand."""
    from django.utils import translation

    out: dict[str, str] = {}
    for lang in ("zh-hans", "zh-hant", "en"):
        with translation.override(lang):
            for m in rules.METRICS:
                out[translation.gettext(m.label)] = m.code
    return out


@dataclass(frozen=True)
class ImportResult:
    figures: int
    months: int
    first: dt.date | None
    last: dt.date | None


def import_rows(
    scope: Scope, header: list[Any], rows: list[tuple[int, list[Any]]], *, by: str
) -> ImportResult:
    """Figures of earlier years, all or nothing: every problem named by row and column, nothing
    written unless all are right. A figure replaces the imported one for the same month, unit
    and metric."""
    if scope.role not in IMPORTERS or scope.bureau_id is None:
        raise PermissionDenied("only the command centre and leadership import statistics")
    units = {u.code: u.pk for u in org.list_units(scope)}
    figures, errors = rules.check_rows(header, rows, labels=_labels(), units=units)
    if errors:
        raise ValidationFailed(errors)
    if not figures:
        raise ValidationFailed([FieldError("A2", _("no figures in the sheet"), 2)])
    months = sorted({f[0] for f in figures})
    by_key = {(m, u, metric): v for m, u, metric, v in figures}
    old = MonthlyFigure.objects.filter(
        bureau_id=scope.bureau_id, source=rules.IMPORTED, month__in=months
    )
    stale = [
        pk for pk, m, u, metric in old.values_list("pk", "month", "unit_id", "metric")
        if (m, u, metric) in by_key
    ]  # fmt: skip
    try:
        with transaction.atomic():  # a savepoint: a clash leaves the caller's transaction usable
            MonthlyFigure.objects.filter(pk__in=stale).delete()
            MonthlyFigure.objects.bulk_create(
                [
                    MonthlyFigure(
                        bureau_id=scope.bureau_id,
                        month=m,
                        unit_id=u,
                        metric=metric,
                        value=v,
                        source=rules.IMPORTED,
                    )
                    for (m, u, metric), v in by_key.items()
                ],
                batch_size=2000,
            )
    except IntegrityError as exc:  # another import of the same figures committed meanwhile
        raise ValidationFailed(
            [
                FieldError(
                    "file", _("another import of these figures ran at the same time: import again")
                )
            ]
        ) from exc
    digest = hashlib.sha256(
        repr(sorted((str(m), str(u), metric, v) for (m, u, metric), v in by_key.items())).encode()
    ).hexdigest()
    identity.record(
        "stats_imported",
        object_type="stats.monthlyfigure",
        object_id="",
        bureau_id=str(scope.bureau_id),
        detail={"figures": len(by_key), "replaced": len(stale), "first": f"{months[0]:%Y-%m}",
                "last": f"{months[-1]:%Y-%m}", "by": by, "sha256": digest},
    )  # fmt: skip
    return ImportResult(len(by_key), len(months), months[0], months[-1])


def import_xlsx(scope: Scope, content: bytes, *, by: str) -> ImportResult:
    """The first sheet of an Excel workbook: see :func:`rules.check_rows`."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # not a workbook at all
        raise ValidationFailed([FieldError("file", _("not an Excel workbook (.xlsx)"))]) from exc
    ws = wb.worksheets[0]
    lines = ws.iter_rows(values_only=True)
    header = list(next(lines, []) or [])
    rows = [(n, list(r)) for n, r in enumerate(lines, start=2)]
    return import_rows(scope, header, rows, by=by)


def bulk_import(bureau_id: uuid.UUID, figures: list[tuple[dt.date, str, int]]) -> int:
    """Bureau-wide imported figures (month, metric, stored value) written as they are: the demo's
    earlier years."""
    MonthlyFigure.objects.bulk_create(
        [
            MonthlyFigure(
                bureau_id=bureau_id, month=m, metric=metric, value=v, source=rules.IMPORTED
            )
            for m, metric, v in figures
        ],
        batch_size=5000,
    )
    return len(figures)
