"""Merit pages: the month (ranking with stars, each score explained), achievements entered and
approved, the warning queue.

One module per seam; this package keeps every page's name, so ``urls`` reads ``views.month`` as
before."""

from .achievements import achievement_decide, achievement_list
from .awards import award_decide, award_dossier, award_list
from .months import (
    finance_export,
    month,
    month_close,
    month_fund,
    month_pay,
    officer_month,
    session_pack,
    sessions,
)
from .people import induction_record, promotion, recruits
from .scoring import policy
from .warnings import warning_decide, warning_queue

__all__ = [
    "achievement_decide",
    "achievement_list",
    "award_decide",
    "award_dossier",
    "award_list",
    "finance_export",
    "induction_record",
    "month",
    "month_close",
    "month_fund",
    "month_pay",
    "officer_month",
    "policy",
    "promotion",
    "recruits",
    "session_pack",
    "sessions",
    "warning_decide",
    "warning_queue",
]
