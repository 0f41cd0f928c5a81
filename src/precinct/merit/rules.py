"""The 三一 monthly mechanism's rules: scoring, stars, awards, sanctions, the ledger's invariants.

Pure: no Django, no clock. Money is integer fen throughout.
"""

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

FEN_PER_YUAN = 100
MAX_FUND_YUAN = 10_000_000  # one month's bonus budget put in at once: more is a typing slip


def check_fund(amount_fen: int) -> list[FieldError]:
    if not FEN_PER_YUAN <= amount_fen <= MAX_FUND_YUAN * FEN_PER_YUAN:
        return [
            FieldError(
                "amount",
                _("a whole number of yuan from 1 to %(max)s"),
                params={"max": f"{MAX_FUND_YUAN:,}"},
            )
        ]
    return []


MAX_RATE_FEN = 10_000_000  # 100,000 yuan: no bonus rate is larger
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --- months -------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field_name: str = "month") -> "Month":
        m = MONTH_RE.match(text or "")
        if not m or not 2000 <= int(m.group(1)) <= 2100:
            raise ValidationFailed([FieldError(field_name, _("a month as YYYY-MM, e.g. 2026-10"))])
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> "Month":
        return cls(day.year, day.month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return self.next().first - dt.timedelta(days=1)

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def minus(self, months: int) -> "Month":
        n = self.year * 12 + self.month - 1 - months
        return Month(n // 12, n % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- achievements and scoring -------------------------------------------------------------------
class Kind(StrEnum):
    CASE_SOLVED = "case_solved"
    ARREST = "arrest"
    SEIZURE = "seizure"
    DISPUTE_MEDIATED = "dispute_mediated"
    RESCUE = "rescue"
    PUBLIC_COMMENDATION = "public_commendation"
    CAMPAIGN_TASK = "campaign_task"
    PROBLEM_FREE_MONTH = "problem_free_month"
    INCIDENT_HANDLED = "incident_handled"  # 110 incident handled on the street
    COMMUNITY_VISIT = "community_visit"
    CYBER_CLUE = "cyber_clue"
    ACCIDENT_HANDLED = "accident_handled"
    HQ_TASK = "hq_task"  # headquarters work done for the grassroots


class CaseRole(StrEnum):
    LEAD = "lead"
    ASSIST = "assist"


class Deduction(StrEnum):
    PROBLEM_POINT = "problem_point"  # a supervision problem point of the officer's case
    WARNING = "warning"  # a warning-education item or admonition in the month
    SANCTION = "sanction"  # a sanction in force during the month


@dataclass(frozen=True)
class Policy:
    """A version of the bureau's scoring policy. Points per achievement kind for each post type
    (``default`` for post types without a row), deductions, thresholds for 1–5 stars, per-unit
    quotas (the largest share of a unit's officers at that star level or above), and the bureau's
    own bonus rates."""

    version: int
    points: Mapping[str, Mapping[str, int]]
    deductions: Mapping[str, int]
    thresholds: Sequence[int]  # points needed for 1, 2, 3, 4, 5 stars
    quotas: Mapping[int, float]  # star level -> largest share of the unit's officers at or above
    assist_share: float = 0.5  # an assisting officer's share of a solved case's points
    star_bonus_fen: int = 20_000  # per star
    case_bonus_fen: Mapping[str, int] = field(default_factory=dict)  # per solved case, by role

    def points_for(self, post_type: str, kind: str) -> int:
        row = self.points.get(post_type) or self.points.get("default") or {}
        if kind in row:
            return row[kind]
        return (self.points.get("default") or {}).get(kind, 0)


def default_policy() -> Policy:
    """The demo bureau's first policy: every post type can earn (a community officer by visits
    and mediated disputes, patrol by incidents handled on the street, HQ by tasks done for the
    grassroots), solved cases weigh most."""
    base = {
        Kind.CASE_SOLVED: 10,
        Kind.ARREST: 6,
        Kind.SEIZURE: 4,
        Kind.DISPUTE_MEDIATED: 3,
        Kind.RESCUE: 8,
        Kind.PUBLIC_COMMENDATION: 5,
        Kind.CAMPAIGN_TASK: 4,
        Kind.PROBLEM_FREE_MONTH: 5,
        Kind.INCIDENT_HANDLED: 1,
        Kind.COMMUNITY_VISIT: 1,
        Kind.CYBER_CLUE: 4,
        Kind.ACCIDENT_HANDLED: 2,
        Kind.HQ_TASK: 4,
    }
    points: dict[str, dict[str, int]] = {"default": {str(k): v for k, v in base.items()}}
    points["community"] = {**points["default"], "community_visit": 2, "dispute_mediated": 4}
    points["patrol"] = {**points["default"], "incident_handled": 2}
    points["traffic"] = {**points["default"], "accident_handled": 3}
    points["cyber"] = {**points["default"], "cyber_clue": 6}
    return Policy(
        version=1,
        points=points,
        deductions={"problem_point": -4, "warning": -10, "sanction": -30},
        thresholds=(10, 20, 35, 55, 80),
        quotas={5: 0.1, 4: 0.25},
        assist_share=0.5,
        star_bonus_fen=20_000,
        case_bonus_fen={"lead": 30_000, "assist": 10_000},
    )


def policy_to_json(p: Policy) -> dict[str, Any]:
    return {
        "version": p.version,
        "points": {k: dict(v) for k, v in p.points.items()},
        "deductions": dict(p.deductions),
        "thresholds": list(p.thresholds),
        "quotas": {str(k): v for k, v in p.quotas.items()},
        "assist_share": p.assist_share,
        "star_bonus_fen": p.star_bonus_fen,
        "case_bonus_fen": dict(p.case_bonus_fen),
    }


def policy_from_json(data: Mapping[str, Any]) -> Policy:
    """A stored policy, checked: every error names its field."""
    errors: list[FieldError] = []
    thresholds = list(data.get("thresholds") or [])
    if len(thresholds) != 5 or any(not isinstance(t, int) or t < 0 for t in thresholds):
        errors.append(FieldError("thresholds", _("five non-negative whole numbers")))
    elif thresholds != sorted(thresholds):
        errors.append(FieldError("thresholds", _("thresholds must rise from 1 to 5 stars")))
    kinds = {str(k) for k in Kind}
    for post, row in (data.get("points") or {}).items():
        for kind, pts in row.items():
            if kind not in kinds:
                errors.append(FieldError(f"points.{post}.{kind}", _("unknown achievement kind")))
            elif not isinstance(pts, int) or not -1000 <= pts <= 1000:
                errors.append(FieldError(f"points.{post}.{kind}", _("a whole number of points")))
    quotas = {int(k): float(v) for k, v in (data.get("quotas") or {}).items()}
    for level, share in quotas.items():
        if level not in range(1, 6) or not 0 < share <= 1:
            errors.append(FieldError(f"quotas.{level}", _("a share between 0 and 1")))
    for name in ("star_bonus_fen",):
        v = data.get(name, 0)
        if not isinstance(v, int) or not 0 <= v <= MAX_RATE_FEN:
            errors.append(FieldError(name, _("an amount in fen, 0 to 10,000,000")))
    for role, v in (data.get("case_bonus_fen") or {}).items():
        if role not in set(CaseRole) or not isinstance(v, int) or not 0 <= v <= MAX_RATE_FEN:
            errors.append(
                FieldError(f"case_bonus_fen.{role}", _("an amount in fen, 0 to 10,000,000"))
            )
    for name, v in (data.get("deductions") or {}).items():
        if name not in set(Deduction) or not isinstance(v, int) or not -1000 <= v <= 0:
            errors.append(FieldError(f"deductions.{name}", _("a whole number, zero or below")))
    share = data.get("assist_share", 0.5)
    if not isinstance(share, int | float) or not 0 <= share <= 1:
        errors.append(FieldError("assist_share", _("a share between 0 and 1")))
    if errors:
        raise ValidationFailed(errors)
    return Policy(
        version=int(data.get("version", 1)),
        points=data.get("points") or {},
        deductions=data.get("deductions") or {},
        thresholds=tuple(thresholds),
        quotas=quotas,
        assist_share=float(data.get("assist_share", 0.5)),
        star_bonus_fen=int(data.get("star_bonus_fen", 0)),
        case_bonus_fen=data.get("case_bonus_fen") or {},
    )


def policy_from_form(
    fields: Mapping[str, str], *, post_types: Iterable[str], base: Policy
) -> dict[str, Any]:
    """A policy as JSON from a form's fields (``points.<post>.<kind>``, ``thresholds.<0-4>``,
    ``quotas.<level>``, ``deductions.<name>``, ``assist_share``, bonus amounts in whole yuan
    ``star_bonus_yuan`` and ``case_bonus_yuan.<role>``); a field left out keeps ``base``'s value.
    Raises ValidationFailed naming every field that is not a number."""
    errors: list[FieldError] = []

    def number(name: str, default: float, *, whole: bool = True) -> Any:
        text = (fields.get(name) or "").strip()
        if not text:
            return default
        try:
            return int(text) if whole else float(text)
        except ValueError:
            errors.append(FieldError(name, _("a number")))
            return default

    points = {
        post: {str(k): number(f"points.{post}.{k}", base.points_for(post, str(k))) for k in Kind}
        for post in ["default", *post_types]
    }
    data = {
        "points": points,
        "thresholds": [number(f"thresholds.{i}", t) for i, t in enumerate(base.thresholds)],
        "quotas": {
            str(level): number(f"quotas.{level}", base.quotas.get(level, 1.0), whole=False)
            for level in (5, 4, 3)
            if level in base.quotas or fields.get(f"quotas.{level}", "").strip()
        },
        "deductions": {
            str(d): number(f"deductions.{d}", base.deductions.get(str(d), 0)) for d in Deduction
        },
        "assist_share": number("assist_share", base.assist_share, whole=False),
        "star_bonus_fen": number("star_bonus_yuan", base.star_bonus_fen // FEN_PER_YUAN)
        * FEN_PER_YUAN,
        "case_bonus_fen": {
            str(r): number(
                f"case_bonus_yuan.{r}", base.case_bonus_fen.get(str(r), 0) // FEN_PER_YUAN
            )
            * FEN_PER_YUAN
            for r in CaseRole
        },
    }
    if errors:
        raise ValidationFailed(errors)
    return data


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


# --- the 三一 month -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ThreeOnes:
    """A unit's month against "one warning, one star creation, one incentive"."""

    warning_case: str
    warning_published: bool
    star_officers: int  # officers with a star in the closed month
    paid: int  # of them, those whose star bonus is paid

    @property
    def warning_done(self) -> bool:
        return bool(self.warning_case.strip()) and self.warning_published

    @property
    def stars_done(self) -> bool:
        return self.star_officers > 0

    @property
    def incentive_done(self) -> bool:
        return self.star_officers > 0 and self.paid >= self.star_officers

    @property
    def done(self) -> bool:
        return self.warning_done and self.stars_done and self.incentive_done


# --- awards -------------------------------------------------------------------------------------
class AwardLevel(StrEnum):
    COMMENDATION = "commendation"  # 嘉獎
    THIRD_CLASS = "third_class"  # 三等功
    SECOND_CLASS = "second_class"  # 二等功
    FIRST_CLASS = "first_class"  # 一等功
    HERO_2 = "hero_2"  # 二級英模
    HERO_1 = "hero_1"  # 一級英模


AWARD_ORDER = list(AwardLevel)
# Statutory bonus per individual award (獎勵條令 art. 34), fen.
STATUTORY_BONUS_FEN = {
    AwardLevel.COMMENDATION: 200_000,
    AwardLevel.THIRD_CLASS: 500_000,
    AwardLevel.SECOND_CLASS: 1_000_000,
    AwardLevel.FIRST_CLASS: 2_000_000,
    AwardLevel.HERO_2: 5_000_000,
    AwardLevel.HERO_1: 8_000_000,
}
CITY_APPROVES = frozenset({AwardLevel.COMMENDATION, AwardLevel.THIRD_CLASS})
NOTICE_WORKING_DAYS = 7


@dataclass(frozen=True)
class PriorAward:
    level: str
    deed: str
    approved_on: dt.date


def check_award(
    *,
    level: str,
    deed: str,
    today: dt.date,
    prior: Iterable[PriorAward],
    blocked_by: str | None,
    notice_working_days: int | None,
) -> list[FieldError]:
    """What stands in the way of approving an award now (empty: it may be approved by the city,
    or, above 三等功, forwarded to the province)."""
    errors = []
    if level not in AWARD_ORDER:
        return [FieldError("level", _("unknown award level"))]
    if not deed.strip():
        errors.append(FieldError("deed", _("describe the deed the award is for")))
    rank = AWARD_ORDER.index(AwardLevel(level))
    for p in prior:
        same_deed = p.deed.strip() == deed.strip()
        within_year = (today - p.approved_on).days < 365
        if same_deed and (within_year or AWARD_ORDER.index(AwardLevel(p.level)) >= rank):
            errors.append(FieldError("deed", _("this deed has already been awarded")))
            break
    if blocked_by:
        errors.append(
            FieldError("officer", _("no award while %(reason)s"), params={"reason": blocked_by})
        )
    if rank >= AWARD_ORDER.index(AwardLevel.THIRD_CLASS) and (
        notice_working_days is None or notice_working_days < NOTICE_WORKING_DAYS
    ):
        errors.append(
            FieldError(
                "notice",
                _("三等功 and above need a public notice of at least %(days)s working days"),
                params={"days": NOTICE_WORKING_DAYS},
            )
        )
    return errors


# --- discipline ---------------------------------------------------------------------------------
class Measure(StrEnum):
    # lighter measures (not sanctions)
    TALK_REMINDER = "talk_reminder"  # 談話提醒
    CRITICISM = "criticism"  # 批評教育
    SELF_EXAMINATION = "self_examination"  # 責令檢查
    ADMONITION = "admonition"  # 誡勉
    WARNING_EDUCATION = "warning_education"  # 警示教育 (the month's warning case)
    # sanctions (處分)
    WARNING = "warning"  # 警告
    DEMERIT = "demerit"  # 記過
    MAJOR_DEMERIT = "major_demerit"  # 記大過
    DEMOTION = "demotion"  # 降級
    REMOVAL = "removal"  # 撤職
    EXPULSION = "expulsion"  # 開除
    # police-specific
    SUSPENSION = "suspension"  # 停止執行職務, 10–60 days
    CONFINEMENT = "confinement"  # 禁閉, 1–7 days
    INVESTIGATION = "investigation"  # under investigation (立案審查), open until closed


SANCTION_MONTHS = {
    Measure.WARNING: 6,
    Measure.DEMERIT: 12,
    Measure.MAJOR_DEMERIT: 18,
    Measure.DEMOTION: 24,
    Measure.REMOVAL: 24,
}
SANCTIONS = frozenset({*SANCTION_MONTHS, Measure.EXPULSION})
DAY_RANGES = {Measure.SUSPENSION: (10, 60), Measure.CONFINEMENT: (1, 7)}
BLOCKING = SANCTIONS | {Measure.INVESTIGATION, Measure.SUSPENSION, Measure.CONFINEMENT}


def add_months(day: dt.date, months: int) -> dt.date:
    n = day.year * 12 + day.month - 1 + months
    y, m = divmod(n, 12)
    last = (dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m + 1, min(day.day, last))


def measure_end(measure: str, start: dt.date, days: int | None = None) -> dt.date | None:
    """The last day a measure is in force (None: no end — expulsion, or an open investigation).
    Lighter measures are for the record only and end the day they are given."""
    m = Measure(measure)
    if m in SANCTION_MONTHS:
        return add_months(start, SANCTION_MONTHS[m]) - dt.timedelta(days=1)
    if m in DAY_RANGES:
        low, high = DAY_RANGES[m]
        if days is None or not low <= days <= high:
            raise ValidationFailed(
                [
                    FieldError(
                        "days",
                        _("between %(low)s and %(high)s days"),
                        params={"low": low, "high": high},
                    )
                ]
            )
        return start + dt.timedelta(days=days - 1)
    if m in (Measure.EXPULSION, Measure.INVESTIGATION):
        return None
    return start


# --- the ledger ---------------------------------------------------------------------------------
def balanced(amounts: Iterable[int]) -> bool:
    """A transaction's entries sum to zero (double entry)."""
    return sum(amounts) == 0


def check_amounts(amounts: Sequence[int]) -> list[FieldError]:
    errors = []
    if len(amounts) < 2:
        errors.append(FieldError("entries", _("a transaction has at least two entries")))
    for n, a in enumerate(amounts):
        if not isinstance(a, int) or isinstance(a, bool) or a == 0:
            errors.append(FieldError("amount", _("a whole, non-zero number of fen"), row=n + 1))
    if not errors and not balanced(amounts):
        errors.append(FieldError("entries", _("debits and credits do not balance")))
    return errors


def yuan(fen: int) -> str:
    """'¥1,234.50' for 123450 fen."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{whole:,}.{cents:02d}"


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
            AwardLevel.COMMENDATION: 20, AwardLevel.THIRD_CLASS: 40, AwardLevel.SECOND_CLASS: 80,
            AwardLevel.FIRST_CLASS: 150, AwardLevel.HERO_2: 250, AwardLevel.HERO_1: 300,
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
    awards: Sequence[tuple[str, str]]  # (level, ref)
    measures: Sequence[tuple[str, str, bool]]  # (measure, ref, in force on the ranking day)


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


# --- new officers (传帮带) -------------------------------------------------------------------------
RECRUIT_MONTHS = 12  # hired within this many months: a recruit who needs a meeting and a mentor
MENTOR_MIN_YEARS = 3  # a mentor has served at least this long


def check_induction_step(
    *,
    field_name: str,
    date_field: str,
    on: dt.date,
    today: dt.date,
    hired: dt.date,
    recruit: str,
    partner: str,
    partner_hired: dt.date | None = None,
    partner_blocked_by: str | None = None,
) -> list[FieldError]:
    """A leader meeting or a mentor pairing for a recruit: on a day between the recruit's hire
    date and today, with someone else; a mentor has served MENTOR_MIN_YEARS and is not serving a
    sanction. ``partner_hired`` is given for mentors only."""
    errors = []
    if on > today:
        errors.append(FieldError(date_field, _("not in the future")))
    elif on < hired:
        errors.append(FieldError(date_field, _("not before the recruit was hired")))
    if partner == recruit:
        errors.append(FieldError(field_name, _("someone other than the recruit")))
    elif partner_hired is not None and add_months(partner_hired, 12 * MENTOR_MIN_YEARS) > on:
        errors.append(
            FieldError(
                field_name,
                _("a mentor has served at least %(n)s years"),
                params={"n": MENTOR_MIN_YEARS},
            )
        )
    if partner_blocked_by:
        errors.append(
            FieldError(
                field_name,
                _("not while serving a sanction (%(m)s)"),
                params={"m": partner_blocked_by},
            )
        )
    return errors


# --- the month's bonuses ------------------------------------------------------------------------
def snapshot_lines(officer_row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A closed month's row's line items as dicts (stored compactly as lists in Line order)."""
    return [dict(zip(Line._fields, ln, strict=True)) for ln in officer_row["lines"]]


@dataclass(frozen=True)
class Payment:
    officer_id: str
    key: str  # the ledger transaction's key: each payment is made at most once
    amount_fen: int
    memo: str


def payout_plan(snapshot: Mapping[str, Any], month: Month) -> list[Payment]:
    """Every bonus a closed month owes: stars, and solved cases by the officer's role in them."""
    policy = policy_from_json(snapshot["policy"])
    plan = []
    for o in snapshot["officers"]:
        officer = o["officer"]
        if o["stars"] and policy.star_bonus_fen:
            stars = o["stars"]
            plan.append(
                Payment(officer, f"star:{month}:{officer}", stars * policy.star_bonus_fen,
                        f"{stars}★ {month}")
            )  # fmt: skip
        for line in snapshot_lines(o):
            if line["kind"] == Kind.CASE_SOLVED:
                amount = policy.case_bonus_fen.get(line["role"], 0) * line["quantity"]
                if amount:
                    plan.append(
                        Payment(officer, f"case:{line['ref']}", amount, f"case {line['evidence']}")
                    )
    return plan


@dataclass(frozen=True)
class PayoutStatus:
    owed: int  # payments the closed month owes
    owed_fen: int
    paid: int  # of those, made already
    paid_fen: int
    budget_fen: int  # left in the month's budget

    @property
    def to_pay_fen(self) -> int:
        return self.owed_fen - self.paid_fen

    @property
    def short(self) -> bool:
        """The budget does not hold what is still to pay (paying would be refused whole)."""
        return self.to_pay_fen > self.budget_fen


def payout_status(plan: Sequence[Payment], paid_keys: set[str], budget_fen: int) -> PayoutStatus:
    made = [p for p in plan if p.key in paid_keys]
    return PayoutStatus(
        owed=len(plan),
        owed_fen=sum(p.amount_fen for p in plan),
        paid=len(made),
        paid_fen=sum(p.amount_fen for p in made),
        budget_fen=budget_fen,
    )
