"""An officer's month scored line by line, stars by thresholds and unit quotas, the frozen digest."""

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .policy import CaseRole, Kind, Policy


class Item(NamedTuple):
    """An approved achievement or a deduction, as scored (a named tuple: a month has 200,000)."""

    kind: str
    quantity: int = 1
    role: str = ""  # for solved cases
    evidence: str = ""  # "case:<id>", "incident:<id>", "campaign_item:<id>", free text
    ref: str = ""  # the achievement's or deduction's own id


class Line(NamedTuple):
    kind: str
    quantity: int
    each: float
    points: float
    role: str
    evidence: str
    ref: str


@dataclass(frozen=True)
class Score:
    officer: str
    unit: str
    post_type: str
    points: float
    lines: tuple[Line, ...]
    stars: int = 0
    capped_from: int = 0  # stars before the unit's quota (0: not capped)


ItemRow = tuple[str, int, str, str, str]  # Item's fields, as a plain tuple


def score(
    policy: Policy, *, officer: str, unit: str, post_type: str, items: Iterable[ItemRow]
) -> Score:
    """An officer's points for the month with one line per achievement or deduction. Items may be
    plain tuples in :class:`Item`'s field order; lines are tuples in :class:`Line`'s order."""
    lines: list[Any] = []
    table = {**(policy.points.get("default") or {}), **(policy.points.get(post_type) or {})}
    deductions = policy.deductions
    assist = policy.assist_share
    for kind, quantity, role, evidence, ref in items:
        if kind in deductions:
            each = float(deductions[kind])
        else:
            each = float(table.get(kind, 0))
            if kind == Kind.CASE_SOLVED and role == CaseRole.ASSIST:
                each *= assist
        lines.append((kind, quantity, each, each * quantity, role, evidence, ref))
    lines.sort(key=_line_order)
    total = round(sum(ln[3] for ln in lines), 2)
    return Score(officer, unit, post_type, total, tuple(lines))


def _line_order(ln: tuple[Any, ...]) -> tuple[float, str, str]:
    return (-ln[3], ln[0], ln[6])  # most points first, then kind, then reference


def stars_for(policy: Policy, points: float) -> int:
    return sum(1 for t in policy.thresholds if points >= t)


def award_stars(policy: Policy, scores: Sequence[Score], order: Mapping[str, str]) -> list[Score]:
    """Stars by thresholds, then each unit's quota: at most ``ceil(share × officers)`` of a unit's
    officers at a level or above; the rest drop to the level below, best points first (ties by
    ``order``, e.g. police number). Deterministic for the same input."""
    out: list[Score] = []
    by_unit: dict[str, list[Score]] = {}
    for s in scores:
        by_unit.setdefault(s.unit, []).append(s)
    for unit in sorted(by_unit):
        members = sorted(by_unit[unit], key=lambda s: (-s.points, order.get(s.officer, s.officer)))
        n = len(members)
        stars = [stars_for(policy, s.points) for s in members]
        for level in sorted(policy.quotas, reverse=True):
            allowed = math.ceil(policy.quotas[level] * n)
            seen = 0
            for i, st in enumerate(stars):
                if st >= level:
                    seen += 1
                    if seen > allowed:
                        stars[i] = level - 1
        for s, st in zip(members, stars, strict=True):
            natural = stars_for(policy, s.points)
            out.append(
                Score(
                    s.officer,
                    s.unit,
                    s.post_type,
                    s.points,
                    s.lines,
                    st,
                    natural if st < natural else 0,
                )
            )
    out.sort(key=lambda s: (-s.points, order.get(s.officer, s.officer)))
    return out


def snapshot_digest(data: Mapping[str, Any]) -> str:
    """The identity of a month's frozen results: the same inputs give the same digest."""
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
