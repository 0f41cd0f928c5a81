"""The scoring policy: achievement kinds, points per post type, deductions, thresholds, quotas, bonus
rates; stored as JSON and edited in a form."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

from .ledger import FEN_PER_YUAN, MAX_RATE_FEN


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
