"""The promotion ranking: twelve months of record turned into a score, line by line."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .awards import AwardLevel
from .discipline import BLOCKING

# --- promotion ranking ---------------------------------------------------------------------------
PROMOTION_MONTHS = 12
AGE_BANDS = {"-29": (0, 29), "30-39": (30, 39), "40-49": (40, 49), "50+": (50, 200)}


@dataclass(frozen=True)
class PromotionWeights:
    """How the record turns into a promotion score: results (stars, awards) up, integrity problems
    (warnings, sanctions, supervision problem points) down. A sanction in force on the ranking day
    makes the officer ineligible (listed, not ranked)."""

    per_star: int = 10
    award: Mapping[str, int] = field(
        default_factory=lambda: {
            AwardLevel.COMMENDATION: 20, AwardLevel.MERIT_3: 40, AwardLevel.MERIT_2: 80,
            AwardLevel.MERIT_1: 150, AwardLevel.HONOUR_2: 250, AwardLevel.HONOUR_1: 300,
        }
    )  # fmt: skip
    per_warning: int = -15  # a lighter measure: talk, criticism, admonition, warning education
    per_sanction: int = -60  # a sanction that began in the window
    per_problem_point: int = -5


class PromotionRecord(NamedTuple):
    """One officer's twelve months as the ranking reads them."""

    officer: str
    number: str  # police number: ties are broken by it
    stars: Sequence[tuple[str, int]]  # (month, stars) for each closed month in the window
    problem_points: int
    awards: Sequence[tuple[str, str]]  # (level, the day it was decided)
    measures: Sequence[tuple[str, str, bool]]  # (measure, first day, in force on the ranking day)


class PromotionLine(NamedTuple):
    what: str  # "stars", "award:<level>", "warning:<measure>", "sanction:<measure>", …
    quantity: int
    points: int
    ref: str


@dataclass(frozen=True)
class PromotionScore:
    officer: str
    points: int
    eligible: bool
    blocked_by: str  # the measure that makes the officer ineligible, if any
    lines: list[PromotionLine]
    rank: int | None = None


def promotion_score(record: PromotionRecord, w: PromotionWeights) -> PromotionScore:
    """The score with every line that makes it up; the lines sum to the score."""
    lines = []
    stars = sum(n for _m, n in record.stars)
    if stars:
        months = ", ".join(f"{m}: {n}★" for m, n in record.stars if n)
        lines.append(PromotionLine("stars", stars, stars * w.per_star, months))
    for level, ref in record.awards:
        lines.append(PromotionLine(f"award:{level}", 1, w.award.get(level, 0), ref))
    blocked = ""
    for measure, ref, in_force in record.measures:
        if measure in BLOCKING:
            lines.append(PromotionLine(f"sanction:{measure}", 1, w.per_sanction, ref))
            if in_force and not blocked:
                blocked = measure
        else:
            lines.append(PromotionLine(f"warning:{measure}", 1, w.per_warning, ref))
    if record.problem_points:
        lines.append(
            PromotionLine(
                "problem_points",
                record.problem_points,
                record.problem_points * w.per_problem_point,
                "",
            )
        )
    return PromotionScore(
        record.officer, sum(ln.points for ln in lines), not blocked, blocked, lines
    )


def rank_for_promotion(
    records: Iterable[PromotionRecord], w: PromotionWeights
) -> list[PromotionScore]:
    """Eligible officers by score (ties by police number, the older number first), numbered
    1, 2, …; the ineligible after them, unnumbered."""
    scored = [(r.number, promotion_score(r, w)) for r in records]
    eligible = sorted((s for s in scored if s[1].eligible), key=lambda t: (-t[1].points, t[0]))
    blocked = sorted((s for s in scored if not s[1].eligible), key=lambda t: (-t[1].points, t[0]))
    out = [
        PromotionScore(s.officer, s.points, True, "", s.lines, rank)
        for rank, (_n, s) in enumerate(eligible, start=1)
    ]
    return out + [s for _n, s in blocked]


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> str:
    """The band of an age ("" for an impossible one, e.g. a birth date after today)."""
    return next((band for band, (lo, hi) in AGE_BANDS.items() if lo <= age <= hi), "")
