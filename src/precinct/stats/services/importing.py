"""Figures of earlier years imported from Excel (all or nothing, audited), and the demo's bulk
import."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.db.models import Sum

from precinct.common import transactions, xlsx
from precinct.core import capabilities as can
from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.identity import services as identity
from precinct.org import services as org

from .. import rules
from ..models import MonthlyFigure

IMPORTERS = can.STATS_IMPORTERS


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

    bureau_id = scope.bureau_id

    def replace() -> None:
        MonthlyFigure.objects.filter(pk__in=stale).delete()
        MonthlyFigure.objects.bulk_create(
            [
                MonthlyFigure(
                    bureau_id=bureau_id,
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

    try:  # a clash leaves the caller's transaction usable
        transactions.savepoint(replace)
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
    header, rows = read_xlsx(content)
    return import_rows(scope, header, rows, by=by)


PROGRESS_EVERY = 250  # rows between two progress reports of a workbook being read


def read_xlsx(
    content: bytes, progress: Callable[[int, int], None] | None = None
) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """The first sheet's header and its numbered rows (``progress(rows read, rows in all)`` as it
    goes); nothing is checked or written yet."""
    wb = xlsx.open_upload(content)  # within the limits on unpacked size and cells
    try:
        ws = wb.worksheets[0]
        total = max((ws.max_row or 1) - 1, 1)  # the sheet's own dimension: an estimate
        lines = xlsx.rows(ws)
        header = list(next(lines, []) or [])
        rows: list[tuple[int, list[Any]]] = []
        for n, r in enumerate(lines, start=2):
            rows.append((n, list(r)))
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n - 1, max(total, n - 1))
    except ValidationFailed:
        raise
    except Exception as exc:  # a damaged sheet is found only while its rows are read
        raise ValidationFailed([FieldError("file", _("not an Excel workbook (.xlsx)"))]) from exc
    return header, rows


def bulk_import(
    bureau_id: uuid.UUID, figures: list[tuple[dt.date, str, int]], *, by_unit: bool = True
) -> int:
    """Bureau-wide imported figures (month, metric, stored value) written as they are: the demo's
    earlier years. With ``by_unit``, each figure precinct computes per unit is also written per
    unit, as the units share it in the months precinct's records cover (the returns of a city
    bureau come by station too): units compare year over year, and a unit chief sees his unit's
    ten years. Returns the bureau-wide figures written."""
    rows = [
        MonthlyFigure(bureau_id=bureau_id, month=m, metric=metric, value=v, source=rules.IMPORTED)
        for m, metric, v in figures
    ]
    if by_unit:
        rows += _by_unit(bureau_id, figures)
    MonthlyFigure.objects.bulk_create(rows, batch_size=5000)
    return len(figures)


def _by_unit(bureau_id: uuid.UUID, figures: list[tuple[dt.date, str, int]]) -> list[MonthlyFigure]:
    """The computed figures among ``figures`` split over the units (see :func:`bulk_import`);
    the share of records without a unit (an incident no station took) is left out, as the
    computed figures leave it out."""
    codes = [m.code for m in rules.METRICS if m.computed]
    totals: dict[str, int] = {}
    per_unit: dict[str, dict[uuid.UUID | None, int]] = {code: {} for code in codes}
    for unit, metric, total in (
        MonthlyFigure.objects.filter(bureau_id=bureau_id, source=rules.COMPUTED, metric__in=codes)
        .values_list("unit_id", "metric")
        .annotate(total=Sum("value"))
    ):
        if unit is None:
            totals[metric] = total
        else:
            per_unit[metric][unit] = total
    shares: dict[str, tuple[list[uuid.UUID | None], list[float]]] = {}
    for code in codes:
        whole = totals.get(code, 0)
        if whole <= 0 or not per_unit[code]:
            continue
        units: list[uuid.UUID | None] = sorted(per_unit[code], key=str)
        weights = [per_unit[code][u] / whole for u in units]
        units.append(None)  # no unit
        weights.append(max(0.0, 1.0 - sum(weights)))
        shares[code] = (units, weights)
    out = []
    for month, metric, value in figures:
        if metric not in shares:
            continue
        units, weights = shares[metric]
        # the offset of the systematic rounding moves on from month to month (golden ratio)
        step = month.year * 12 + month.month + 7 * codes.index(metric)
        offset = (step * 0.6180339887498949) % 1.0
        for unit, part in zip(units, rules.apportion(value, weights, offset), strict=True):
            if unit is not None:  # a 0 too: the unit's return says none that month
                out.append(MonthlyFigure(bureau_id=bureau_id, month=month, metric=metric,
                                         unit_id=unit, value=part, source=rules.IMPORTED))  # fmt: skip
    return out
