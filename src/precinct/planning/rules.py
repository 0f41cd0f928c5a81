"""Planning rules: finished what-if runs set side by side with the current plan.

Pure: the standard library and ``precinct.core`` only. Every figure is read from a run's stored
result (``services.work_run`` writes it); nothing is worked out again here beyond a unit (seconds
to minutes, a share to a percentage) and the mean or the largest of a car list.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

MIN_COMPARED = 2
MAX_COMPARED = 4

Unit = Literal["count", "pct", "min", "ratio"]
Better = Literal["high", "low"] | None


@dataclass(frozen=True)
class Figure:
    """One row of the comparison: ``label`` a message marked for translation, ``unit`` how it is
    shown, ``better`` which way is best (None: a setting, not an outcome: nothing marked)."""

    key: str
    label: str
    unit: Unit
    better: Better


FIGURES: tuple[Figure, ...] = (
    Figure("cars", _("Cars"), "count", None),
    Figure("posts", _("Standby posts"), "count", None),
    Figure("within_5", _("share on scene within 5 minutes (replay)"), "pct", "high"),
    Figure("within_10", _("Share on scene within 10 minutes (replay)"), "pct", "high"),
    Figure("covered", _("Share reached within the column's minutes from a post"), "pct", "high"),
    Figure("mean_minutes", _("mean minutes from the nearest post"), "min", "low"),
    Figure("response_p50", _("Median minutes from the call to the car on scene (replay)"),
           "min", "low"),
    Figure("response_p90", _("Minutes to scene for nine calls in ten (replay)"),
           "min", "low"),
    Figure("waited", _("Calls that waited for a free car (replay)"), "pct", "low"),
    Figure("street", _("street handling expected from the nearest post"), "pct", "high"),
    Figure("street_replay", _("street handling expected (replay)"), "pct", "high"),
    Figure("workload_mean", _("Mean workload per car (replay)"), "pct", "low"),
    Figure("workload_max", _("Workload of the busiest car (replay)"), "pct", "low"),
    Figure("queue_workload", _("Mean workload per car (hypercube)"), "pct", "low"),
    Figure("rho", _("Load ρ"), "ratio", "low"),
    Figure("p_all_busy", _("All cars busy (hypercube, %)"), "pct", "low"),
    Figure("queue_travel", _("Mean minutes on the road"), "min", "low"),
)  # fmt: skip

# how many decimals each unit is shown with: the best is chosen on the value as shown
DECIMALS: dict[str, int] = {"count": 0, "pct": 1, "min": 1, "ratio": 2}


@dataclass(frozen=True)
class Row:
    figure: Figure
    values: tuple[float | None, ...]  # one per column, rounded as shown; None: not in the result
    best: frozenset[int]  # the columns holding the best value (ties: all of them)


def parse_run_ids(values: Iterable[str]) -> list[uuid.UUID]:
    """The runs chosen on the page: ``?runs=a,b`` or ``?runs=a&runs=b`` (a form's checkboxes),
    each once, in the order given. Refuses what is not a run's id and fewer than two or more
    than four runs."""
    texts = [t.strip() for v in values for t in str(v).split(",") if t.strip()]
    ids: list[uuid.UUID] = []
    for text in texts:
        try:
            run_id = uuid.UUID(text)
        except ValueError:
            raise ValidationFailed(
                [FieldError("runs", _("The address names a run that cannot exist."))]
            ) from None
        if run_id not in ids:
            ids.append(run_id)
    if not MIN_COMPARED <= len(ids) <= MAX_COMPARED:
        raise ValidationFailed(
            [
                FieldError(
                    "runs",
                    _("Choose between %(low)s and %(high)s finished runs to compare."),
                    None,
                    {"low": MIN_COMPARED, "high": MAX_COMPARED},
                )
            ]
        )
    return ids


def _get(d: Mapping[str, Any] | None, key: str) -> Any:
    return d.get(key) if isinstance(d, Mapping) else None


def _mean(xs: Any) -> float | None:
    return sum(xs) / len(xs) if isinstance(xs, list) and xs else None


def _share(part: Any, whole: Any) -> float | None:
    return part / whole if isinstance(part, int | float) and whole else None


def _minutes(seconds: Any) -> float | None:
    return seconds / 60 if isinstance(seconds, int | float) else None


def _fleet(
    *,
    cars: Any,
    posts: Any,
    covered: Any,
    mean_minutes: Any,
    street: Any,
    outcome: Mapping[str, Any] | None,
    queue: Mapping[str, Any] | None,
) -> dict[str, Any]:
    workload = _get(outcome, "workload")
    has_model = queue is not None and "error" not in queue
    return {
        "cars": cars,
        "posts": posts,
        "within_5": _get(outcome, "within_5"),
        "within_10": _get(outcome, "within_10"),
        "covered": covered,
        "mean_minutes": mean_minutes,
        "response_p50": _minutes(_get(outcome, "response_p50")),
        "response_p90": _minutes(_get(outcome, "response_p90")),
        "waited": _share(_get(outcome, "waited"), _get(outcome, "calls")),
        "street": street,
        "street_replay": _get(outcome, "street"),
        "workload_mean": _mean(workload),
        "workload_max": max(workload) if isinstance(workload, list) and workload else None,
        "queue_workload": _mean(_get(queue, "workload")) if has_model else None,
        "rho": _get(queue, "rho"),
        "p_all_busy": _get(queue, "p_all_busy") if has_model else None,
        "queue_travel": _get(queue, "travel") if has_model else None,
    }


def current_figures(result: Mapping[str, Any]) -> dict[str, Any]:
    """The current plan's figures as a run's result holds them (the cars at today's posts)."""
    outcome = result.get("current_outcome")
    queue = (result.get("queue_check") or {}).get("current")
    cars = None
    if isinstance(_get(outcome, "workload"), list):
        cars = len(outcome["workload"])  # type: ignore[index]
    elif isinstance(_get(queue, "units"), list):
        cars = len(queue["units"])  # type: ignore[index]
    return _fleet(
        cars=cars,
        posts=result.get("current_posts"),
        covered=result.get("current_covered"),
        mean_minutes=result.get("current_mean_minutes"),
        street=result.get("current_street"),
        outcome=outcome,
        queue=queue,
    )


def run_figures(result: Mapping[str, Any]) -> dict[str, Any]:
    """A what-if's figures: the cars at the posts the run chose."""
    return _fleet(
        cars=result.get("cars"),
        posts=len(result.get("optimised_posts") or []),
        covered=result.get("optimised_covered"),
        mean_minutes=result.get("optimised_mean_minutes"),
        street=result.get("optimised_street"),
        outcome=result.get("optimised_outcome"),
        queue=(result.get("queue_check") or {}).get("optimised"),
    )


def shown(value: Any, unit: Unit) -> float | None:
    """A figure as the page shows it: a share as a percentage, rounded to the unit's decimals."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        return None
    if unit == "count":
        return round(value)
    number = float(value) * 100 if unit == "pct" else float(value)
    return round(number, DECIMALS[unit])


def best_columns(values: Sequence[float | None], better: Better) -> frozenset[int]:
    """The columns holding the best value of a row (all of them on a tie); none for a setting,
    a row with fewer than two values, or one where every column is equal."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if better is None or len(known) < 2:
        return frozenset()
    pick = max if better == "high" else min
    top = pick(v for _i, v in known)
    winners = frozenset(i for i, v in known if v == top)
    return frozenset() if len(winners) == len(known) else winners


def compare(columns: Sequence[Mapping[str, Any]]) -> list[Row]:
    """The comparison table: one row per figure any column holds, each column's value as shown
    and the best of the row marked."""
    rows = []
    for figure in FIGURES:
        values = tuple(shown(c.get(figure.key), figure.unit) for c in columns)
        if all(v is None for v in values):
            continue
        rows.append(Row(figure, values, best_columns(values, figure.better)))
    return rows
