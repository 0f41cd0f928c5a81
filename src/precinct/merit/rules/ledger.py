"""Money and the ledger's invariants: fen and yuan, a month's fund, balanced transactions."""

from collections.abc import Iterable, Sequence

from precinct.core.errors import FieldError
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
