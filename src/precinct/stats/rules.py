"""Public-safety statistics: the monthly figures, which source a month's figure comes from,
year over year and month over month, 10-year highs and lows, the comparison of units
(CompStat), and the rows of an Excel import. Pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _

COMPUTED, IMPORTED = "computed", "imported"
DOWN, UP, NEUTRAL = "down", "up", "neutral"  # which way is better
INCIDENTS, CASES = "incidents", "cases"  # the records a computed figure comes from
FAMILIES = (INCIDENTS, CASES)


@dataclass(frozen=True)
class Metric:
    code: str
    label: str  # English msgid; pages translate it
    unit: str  # what it counts, English msgid
    scale: int = 1  # stored value = shown value × scale (money in fen, grams in milligrams)
    computed: bool = False  # precinct computes it from its own incidents and cases
    better: str = DOWN
    mean: bool = False  # a rate: a year is the mean of its months, not the sum
    family: str | None = None  # the records it is computed from: "incidents" or "cases"
    amount: str = "%(n)s"  # a figure with its unit (English msgid; ``n``: the grouped number)


METRICS: tuple[Metric, ...] = (
    Metric(
        "incidents",
        _("Police incidents"),
        _("incidents"),
        computed=True,
        better=NEUTRAL,
        family=INCIDENTS,
        amount=_("%(n)s incidents"),
    ),
    Metric(
        "criminal_incidents",
        _("Criminal incidents"),
        _("incidents"),
        computed=True,
        family=INCIDENTS,
        amount=_("%(n)s incidents"),
    ),
    Metric(
        "public_order_cases",
        _("Public-order cases"),
        _("cases"),
        computed=True,
        family=CASES,
        amount=_("%(n)s cases"),
    ),
    Metric(
        "homicides",
        _("Homicides"),
        _("cases"),
        computed=True,
        family=CASES,
        amount=_("%(n)s cases"),
    ),
    Metric("homicides_urban", _("Homicides, urban"), _("cases"), amount=_("%(n)s cases")),
    Metric("homicides_rural", _("Homicides, rural"), _("cases"), amount=_("%(n)s cases")),
    Metric(
        "drug_cases",
        _("Drug cases"),
        _("cases"),
        computed=True,
        better=NEUTRAL,
        family=CASES,
        amount=_("%(n)s cases"),
    ),
    Metric(
        "drug_seizures",
        _("Drugs seized"),
        _("grams"),
        scale=1000,
        better=NEUTRAL,
        amount=_("%(n)s g"),
    ),
    Metric(
        "road_accidents",
        _("Road accidents"),
        _("accidents"),
        computed=True,
        family=INCIDENTS,
        amount=_("%(n)s accidents"),
    ),
    Metric("road_deaths", _("Road deaths"), _("people"), amount=_("%(n)s people")),
    Metric("road_injuries", _("Road injuries"), _("people"), amount=_("%(n)s people")),
    Metric(
        "road_property_loss",
        _("Road accidents' property loss"),
        _("yuan"),
        scale=100,
        amount=_("%(n)s yuan"),
    ),
    Metric(
        "satisfaction",
        _("Public satisfaction"),
        _("%"),
        scale=100,
        better=UP,
        mean=True,
        amount=_("%(n)s%%"),
    ),
)
BY_CODE = {m.code: m for m in METRICS}
OF_FAMILY = {f: tuple(m.code for m in METRICS if m.family == f) for f in FAMILIES}
MAX_MONTHS = 240  # the longest span one request reads: twenty years
MAX_VALUE = 1e12  # no monthly figure of a city comes near (stored values stay far below 2^63)


# --- months ------------------------------------------------------------------------------------
def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    k = month.year * 12 + month.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first`` to ``last``, both included."""
    out, m = [], month_of(first)
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


def parse_month(text: str) -> dt.date | None:
    """``YYYY-MM`` (or a date) → the month's first day; None if it is not one."""
    found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*", text or "")
    if not found:
        return None
    year, month = int(found[1]), int(found[2])
    return dt.date(year, month, 1) if 1 <= month <= 12 and 1900 < year < 2200 else None


def first_full_month(earliest: dt.date) -> dt.date:
    """The first month precinct's own records cover from its first day."""
    return earliest if earliest.day == 1 else add_months(month_of(earliest), 1)


def last_run(months: Sequence[dt.date]) -> dt.date | None:
    """The first month of the last unbroken run of months that have records (sorted): a stray
    early record — a mistyped year, a case imported from long ago — is cut off by the gap after
    it instead of making years of imported figures look like empty computed months."""
    if not months:
        return None
    start = months[-1]
    for month in reversed(months[:-1]):
        if add_months(month, 1) != start:
            break
        start = month
    return start


# --- which figure counts --------------------------------------------------------------------
def pick(
    computed: Mapping[Any, int], imported: Mapping[Any, int], covered: Iterable[Any]
) -> dict[Any, int]:
    """Per key (month, metric): the computed figure where precinct's own records cover the
    month (``covered``: (month, metric) keys; a missing computed figure there is 0), the
    imported one elsewhere."""
    out = dict(imported)
    for key in covered:
        out[key] = computed.get(key, 0)
    return out


# --- comparisons ---------------------------------------------------------------------------
def change(now: float | None, before: float | None) -> float | None:
    """Relative change (−0.284 = −28.4 %); None when there is nothing to compare with."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before


def year_total(metric: Metric, values: Sequence[int | None]) -> float | None:
    """A year (or a part of one) from its months: the sum, or the mean of a rate; None if no
    month has a figure."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    total = sum(present) / (len(present) if metric.mean else 1)
    return total / metric.scale


@dataclass(frozen=True)
class Extremes:
    high_year: int
    high: float
    low_year: int
    low: float
    latest_is_low: (
        bool  # the latest year is the lowest of the span (e.g. deaths lowest in 10 years)
    )
    latest_is_high: bool


def extremes(years: Mapping[int, float | None]) -> Extremes | None:
    """Highest and lowest of the years that have a figure (ties: the earlier year)."""
    present = sorted((y, v) for y, v in years.items() if v is not None)
    if not present:
        return None
    high = max(present, key=lambda p: (p[1], -p[0]))
    low = min(present, key=lambda p: (p[1], p[0]))
    latest = present[-1]
    return Extremes(high[0], high[1], low[0], low[1],
                    latest[1] <= low[1], latest[1] >= high[1])  # fmt: skip


def trend_is_good(metric: Metric, delta: float | None) -> bool | None:
    """Whether a change goes the better way for the metric (None: neutral or no change)."""
    if delta is None or delta == 0 or metric.better == NEUTRAL:
        return None
    return (delta < 0) == (metric.better == DOWN)


def apportion(total: int, weights: Sequence[float], offset: float = 0.0) -> list[int]:
    """``total`` split over ``weights`` in proportion, whole numbers adding up to ``total``
    exactly: each share the difference of the rounded-down running sums shifted by ``offset``
    (0 ≤ offset < 1; systematic rounding — varying the offset from month to month spreads small
    totals over every weight in proportion instead of always the largest)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    out, running, before = [], 0.0, math.floor(offset)
    for i, weight in enumerate(weights):
        running += weight
        fraction = 1.0 if i == len(weights) - 1 else min(running / whole, 1.0)
        now = math.floor(fraction * total + offset)
        out.append(now - before)
        before = now
    return out


def grouped(value: float | None, decimals: int = 2) -> str | None:
    """A figure as read: thousands separated by commas (15,850,861), at most ``decimals``
    places and none when they are zeros (20,552.5); None for no figure."""
    if value is None:
        return None
    rounded = round(value, decimals)
    text = f"{rounded if rounded else 0.0:,.{max(decimals, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the Excel import ------------------------------------------------------------------------
HEADER_CODE = re.compile(r"\(([a-z_]+)\)\s*$")


def header_metric(header: str, labels: Mapping[str, str]) -> str | None:
    """A column's metric from its header: ``Label (code)``, the bare code, or a label in any
    of the languages (``labels``: label → code)."""
    text = (header or "").strip()
    found = HEADER_CODE.search(text)
    if found and found[1] in BY_CODE:
        return found[1]
    if text in BY_CODE:
        return text
    return labels.get(text)


def column_name(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def read_value(metric: Metric, raw: Any) -> tuple[int | None, str | None]:
    """A cell → (stored value, error msgid); an empty cell is no figure (None, None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        return None, _("must be a number")  # a date, a time, a formula's error …
    try:
        number = float(str(raw).replace(",", "").strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        return None, _("must be a number")
    if not math.isfinite(number) or number < 0:
        return None, _("must be a number of at least 0")
    if metric.code == "satisfaction":
        if 0 < number <= 1 and not isinstance(raw, str):
            number *= 100  # a cell formatted as a percentage holds the fraction (0.95 = 95 %)
        if number > 100:
            return None, _("a percentage of at most 100")
    if number >= MAX_VALUE:
        return None, _("too large")
    stored = number * metric.scale
    if metric.scale == 1 and stored != int(stored):
        return None, _("must be a whole number")
    if abs(stored - round(stored)) > 1e-6:
        return None, _("too many decimals")
    return round(stored), None


def check_rows(
    header: Sequence[Any],
    rows: Iterable[tuple[int, Sequence[Any]]],
    *,
    labels: Mapping[str, str],
    units: Mapping[str, Any],
) -> tuple[list[tuple[dt.date, Any, str, int]], list[FieldError]]:
    """The sheet's figures as (month, unit or None, metric, stored value), or every problem by
    row and column. Column A is the month (YYYY-MM); column B, when headed as the unit, a unit
    code (empty: the whole bureau); the rest one metric each. ``units``: code → unit."""
    errors: list[FieldError] = []
    unit_col = len(header) > 1 and str(header[1] or "").strip().lower() in (
        "unit", "unit code", "单位", "单位代码", "單位", "單位代碼", "单位代码 (unit)",
    )  # fmt: skip
    first_metric = 2 if unit_col else 1
    columns: list[tuple[int, Metric]] = []
    for i in range(first_metric, len(header)):
        if header[i] is None or not str(header[i]).strip():
            continue
        code = header_metric(str(header[i]), labels)
        if code is None:
            errors.append(
                FieldError(f"{column_name(i)}1", _("unknown figure %(header)s"), 1,
                           {"header": str(header[i])})
            )  # fmt: skip
        else:
            columns.append((i, BY_CODE[code]))
    if not columns and not errors:
        errors.append(FieldError("B1", _("no figure columns"), 1))
    out: list[tuple[dt.date, Any, str, int]] = []
    seen: dict[tuple[dt.date, Any, str], int] = {}
    for number, row in rows:
        cells = list(row) + [None] * (len(header) - len(row))
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        raw_month = cells[0]
        month = (
            month_of(raw_month.date() if isinstance(raw_month, dt.datetime) else raw_month)
            if isinstance(raw_month, dt.date)
            else parse_month(str(raw_month or ""))
        )
        if month is None:
            errors.append(FieldError(f"A{number}", _("a month as YYYY-MM"), number))
            continue
        unit = None
        if unit_col and cells[1] not in (None, ""):
            unit = units.get(str(cells[1]).strip())
            if unit is None:
                errors.append(
                    FieldError(f"B{number}", _("unknown unit %(code)s"), number,
                               {"code": str(cells[1])})
                )  # fmt: skip
                continue
        for i, metric in columns:
            value, problem = read_value(metric, cells[i])
            where = f"{column_name(i)}{number}"
            if problem:
                errors.append(FieldError(where, problem, number))
            elif value is not None:
                key = (month, unit, metric.code)
                if key in seen:
                    errors.append(
                        FieldError(where, _("the same figure again (first in row %(row)s)"),
                                   number, {"row": seen[key]})
                    )  # fmt: skip
                    continue
                seen[key] = number
                out.append((month, unit, metric.code, value))
    return out, errors
