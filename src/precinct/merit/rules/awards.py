"""Awards (嘉獎 to 英模): their levels, statutory bonuses and what stands in the way of approving one."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _


# --- awards -------------------------------------------------------------------------------------
class AwardLevel(StrEnum):
    COMMENDATION = "commendation"  # 嘉獎
    MERIT_3 = "merit_3"  # 三等功
    MERIT_2 = "merit_2"  # 二等功
    MERIT_1 = "merit_1"  # 一等功
    HONOUR_2 = "honour_2"  # 二級英模
    HONOUR_1 = "honour_1"  # 一級英模


AWARD_ORDER = list(AwardLevel)
# Statutory bonus per individual award (獎勵條令 art. 34), fen.
STATUTORY_BONUS_FEN = {
    AwardLevel.COMMENDATION: 200_000,
    AwardLevel.MERIT_3: 500_000,
    AwardLevel.MERIT_2: 1_000_000,
    AwardLevel.MERIT_1: 2_000_000,
    AwardLevel.HONOUR_2: 5_000_000,
    AwardLevel.HONOUR_1: 8_000_000,
}
CITY_APPROVES = frozenset({AwardLevel.COMMENDATION, AwardLevel.MERIT_3})
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
    if rank >= AWARD_ORDER.index(AwardLevel.MERIT_3) and (
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
