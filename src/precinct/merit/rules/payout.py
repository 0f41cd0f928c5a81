"""The month's bonuses: what a closed month owes, and how much of it is paid."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .month import Month
from .policy import Kind, policy_from_json
from .scoring import Line


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
