"""Merit bonus ledger: double-entry funding, payouts, reversals, checks and the finance export."""

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError
from django.db.models import QuerySet, Sum

from precinct.common import transactions, xlsx
from precinct.core import capabilities as can
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.org import services as org

from .. import rules
from ..models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    MonthClose,
    account_words,
    memo_words,
    payout_kind,
)
from ..rules import Month
from ._common import APPROVERS, _require, _who

FUNDING = "funding"


# --- the ledger ---------------------------------------------------------------------------------
def _account(bureau_id: uuid.UUID, code: str, kind: str, officer_id: Any = None) -> Account:
    account, _created = Account.objects.get_or_create(
        bureau_id=bureau_id, code=code, defaults={"kind": kind, "officer_id": officer_id}
    )
    return account


def budget_left(scope: Scope, month: Month) -> int:
    """What the month's bonus budget holds now (fen): an open month's budget pays the awards
    approved in it."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    return _budget_fen(scope.bureau_id, month)


def _budget_fen(bureau_id: uuid.UUID, month: Month) -> int:
    budget = Account.objects.filter(bureau_id=bureau_id, code=f"budget:{month}").first()
    return balance(budget) if budget else 0


def balance(account: Account) -> int:
    return int(account.entries.aggregate(s=Sum("amount_fen"))["s"] or 0)


def _post(
    bureau_id: uuid.UUID,
    *,
    key: str,
    memo: str,
    entries: list[tuple[Account, int]],
    by: str,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    errors = rules.check_amounts([a for _acc, a in entries])
    if errors:
        raise ValidationFailed(errors)
    txn = LedgerTransaction.objects.create(
        bureau_id=bureau_id, key=key, memo=memo, created_by=by, reverses=reverses
    )
    for acc, amount in entries:  # one by one: each entry is in the audit log
        LedgerEntry.objects.create(bureau_id=bureau_id, txn=txn, account=acc, amount_fen=amount)
    for acc, _amount in entries:
        if acc.kind != "funding" and balance(acc) < 0:
            raise ValidationFailed(
                [
                    FieldError(
                        "",  # not a field the user filled in: the account says what is short
                        _("not enough in %(account)s: the payout would make it negative"),
                        params={"account": account_words(acc.code)},
                    )
                ]
            )
    return txn


@transactions.inside
def fund_month(
    bureau_id: uuid.UUID, month: Month, *, amount_fen: int, by: str
) -> LedgerTransaction:
    """Put money into the month's bonus budget (its cap)."""
    budget = _locked(bureau_id, f"budget:{month}", "budget")
    funding = _account(bureau_id, FUNDING, "funding")
    n = LedgerTransaction.objects.filter(
        bureau_id=bureau_id, key__startswith=f"fund:{month}:"
    ).count()
    return _post(
        bureau_id,
        key=f"fund:{month}:{n + 1}",
        memo=f"bonus budget {month}",
        entries=[(funding, -amount_fen), (budget, amount_fen)],
        by=by,
    )


def _locked(bureau_id: uuid.UUID, code: str, kind: str, officer_id: Any = None) -> Account:
    _account(bureau_id, code, kind, officer_id)
    return Account.objects.select_for_update().get(bureau_id=bureau_id, code=code)


@transactions.inside
def pay(
    bureau_id: uuid.UUID,
    *,
    key: str,
    memo: str,
    officer_id: uuid.UUID,
    amount_fen: int,
    month: Month,
    by: str,
) -> tuple[LedgerTransaction, bool]:
    """Pay an officer from the month's budget, once per ``key`` (a second call returns the first
    payment, False). The budget is locked while it is checked: concurrent payouts cannot both
    spend the same money, and it never goes negative."""
    existing = LedgerTransaction.objects.filter(bureau_id=bureau_id, key=key).first()
    if existing:
        return existing, False

    def attempt() -> LedgerTransaction:
        budget = _locked(bureau_id, f"budget:{month}", "budget")
        payee = _account(bureau_id, f"officer:{officer_id}", "officer", officer_id)
        return _post(
            bureau_id,
            key=key,
            memo=memo,
            entries=[(budget, -amount_fen), (payee, amount_fen)],
            by=by,
        )

    try:
        return transactions.savepoint(attempt), True
    except IntegrityError:  # the same key paid concurrently: that payment stands
        return LedgerTransaction.objects.get(bureau_id=bureau_id, key=key), False


@transactions.inside
def reverse(scope: Scope, txn_id: uuid.UUID, *, reason: str) -> LedgerTransaction:
    """Correct a transaction by its exact opposite; a transaction is reversed at most once."""
    _require(scope, APPROVERS)
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", _("give the reason"))])
    txn = (
        LedgerTransaction.objects.select_for_update()
        .filter(pk=txn_id, bureau=scope.bureau_id)
        .first()
    )
    if txn is None:
        raise NotFound()
    if txn.reverses_id is not None or LedgerTransaction.objects.filter(reverses=txn).exists():
        raise ValidationFailed([FieldError("txn", _("already reversed, or a reversal"))])
    entries = [(e.account, -e.amount_fen) for e in txn.entries.select_related("account")]
    for acc, _amount in entries:
        Account.objects.select_for_update().filter(pk=acc.pk).first()
    return _post(
        txn.bureau_id,
        key=f"reversal:{txn.pk}",
        memo=f"reversal: {reason.strip()}"[:200],
        entries=entries,
        by=_who(scope),
        reverses=txn,
    )


PAY_BATCH = 50  # payments committed together by a paying job, between two progress reports


def pay_month(
    bureau_id: uuid.UUID,
    month: Month,
    *,
    by: str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Pay the closed month's star and solved-case bonuses, each at most once (keyed). Inside
    the caller's transaction: all or nothing. With ``progress`` (a background job, outside any
    transaction) payments commit in batches and the progress is reported between them: a job
    stopped half way is run again and pays only the rest. Returns (payments made now, fen
    paid now)."""
    if progress is None:
        transactions.require("merit.pay_month")
    closed = MonthClose.objects.filter(bureau_id=bureau_id, month=str(month)).first()
    if closed is None:
        raise ValidationFailed([FieldError("month", _("close the month first"))])
    made = paid = 0
    plan = rules.payout_plan(closed.data, month)
    for start in range(0, len(plan), PAY_BATCH):
        with transactions.piece():
            for p in plan[start : start + PAY_BATCH]:
                _txn, new = pay(
                    bureau_id,
                    key=p.key,
                    memo=p.memo,
                    officer_id=uuid.UUID(p.officer_id),
                    amount_fen=p.amount_fen,
                    month=month,
                    by=by,
                )
                if new:
                    made += 1
                    paid += p.amount_fen
        if progress is not None:
            progress(min(start + PAY_BATCH, len(plan)), len(plan))
    return made, paid


def payout_status(scope: Scope, month: Month) -> rules.PayoutStatus | None:
    """What the closed month owes, what is paid and what its budget holds (None: not closed)."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    closed = MonthClose.objects.filter(bureau_id=scope.bureau_id, month=str(month)).first()
    if closed is None:
        return None
    plan = rules.payout_plan(closed.data, month)
    paid = set(
        LedgerTransaction.objects.filter(
            bureau_id=scope.bureau_id, key__in=[p.key for p in plan]
        ).values_list("key", flat=True)
    )
    return rules.payout_status(plan, paid, _budget_fen(scope.bureau_id, month))


def check_payable(scope: Scope, month: Month) -> rules.PayoutStatus:
    """Refuse paying a month at once (before a job is queued) when it is not closed or its budget
    does not hold what is still to pay: paying is all of it or nothing."""
    status = payout_status(scope, month)
    if status is None:
        raise ValidationFailed([FieldError("month", _("close the month first"))])
    if status.to_pay_fen > status.budget_fen:
        raise ValidationFailed(
            [FieldError("budget", _("the budget holds %(budget)s; %(owed)s is still to pay"),
                        params={"budget": rules.yuan(status.budget_fen),
                                "owed": rules.yuan(status.to_pay_fen)})]
        )  # fmt: skip
    return status


def pay_month_for(
    scope: Scope, month: Month, *, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """The political department pays the closed month's bonuses from the month page (a
    privileged action: re-authenticated by the access middleware; run as a background job)."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    return pay_month(scope.bureau_id, month, by=_who(scope), progress=progress)


def fund_month_for(scope: Scope, month: Month, *, amount_fen: int) -> LedgerTransaction:
    """The political department puts money into the month's bonus budget (privileged)."""
    _require(scope, APPROVERS)
    assert scope.bureau_id is not None
    errors = rules.check_fund(amount_fen)
    if errors:
        raise ValidationFailed(errors)
    return fund_month(scope.bureau_id, month, amount_fen=amount_fen, by=_who(scope))


@dataclass(frozen=True)
class LedgerCheck:
    transactions: int
    unbalanced: list[str]
    negative: list[str]
    bad_reversals: list[str]

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.negative or self.bad_reversals)


def verify_ledger(bureau_id: uuid.UUID | None = None) -> LedgerCheck:
    txns = LedgerTransaction.objects.all()
    accounts = Account.objects.all()
    if bureau_id is not None:
        txns, accounts = txns.filter(bureau_id=bureau_id), accounts.filter(bureau_id=bureau_id)
    sums = dict(
        LedgerEntry.objects.filter(txn__in=txns)
        .values("txn_id")
        .annotate(s=Sum("amount_fen"))
        .values_list("txn_id", "s")
    )
    unbalanced = [str(k) for k, s in sums.items() if s != 0]
    unbalanced += [str(k) for k in txns.values_list("pk", flat=True) if k not in sums]
    balances = dict(
        LedgerEntry.objects.filter(account__in=accounts.exclude(kind="funding"))
        .values("account__code")
        .annotate(s=Sum("amount_fen"))
        .values_list("account__code", "s")
    )
    negative = sorted(code for code, s in balances.items() if s < 0)
    bad = []
    for rev in txns.filter(reverses__isnull=False).prefetch_related("entries", "reverses__entries"):
        assert rev.reverses is not None
        want = sorted((e.account_id, -e.amount_fen) for e in rev.reverses.entries.all())
        have = sorted((e.account_id, e.amount_fen) for e in rev.entries.all())
        if want != have:
            bad.append(str(rev.pk))
    return LedgerCheck(txns.count(), sorted(unbalanced), negative, bad)


def finance_export(scope: Scope, month: Month) -> bytes:
    """The bonus payable to officers from the month's budget, for finance: one row per entry
    (payouts and their reversals), amounts in yuan, a total per officer and a grand total."""
    _require(scope, can.FINANCE_EXPORTERS)
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"奖励金 {month}"
    ws.append(["警号", "姓名", "单位", "事项", "说明", "金额（元）", "记账时间"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    of_month = LedgerTransaction.objects.filter(
        bureau=scope.bureau_id, entries__account__code=f"budget:{month}"
    )  # paid from the month's budget (and the reversals of those payments)
    rows = (
        ledger_lines(scope)
        .filter(txn__in=of_month)
        .select_related("account__officer__current_unit")
    )
    totals: dict[str, int] = {}
    grand = 0
    for e in rows.iterator(chunk_size=2000):
        officer = e.account.officer
        assert officer is not None
        ws.append(
            xlsx.row(
                [
                    officer.police_number,
                    officer.name,
                    officer.current_unit.name if officer.current_unit else "",
                    payout_kind(e.txn.key),
                    memo_words(e.txn.memo),
                    e.amount_fen / rules.FEN_PER_YUAN,
                    e.txn.created_at.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None),
                ]
            )
        )
        totals[officer.police_number] = totals.get(officer.police_number, 0) + e.amount_fen
        grand += e.amount_fen
    ws.append([])
    for number in sorted(totals):
        ws.append([number, "", "", "小计", "", totals[number] / rules.FEN_PER_YUAN, None])
    ws.append(["", "", "", "合计", "", grand / rules.FEN_PER_YUAN, None])
    for row in ws.iter_rows(min_row=2):
        row[5].number_format = "#,##0.00"
        row[6].number_format = "yyyy-mm-dd hh:mm"
    for col, width in zip("ABCDEFG", (10, 10, 16, 44, 30, 14, 18), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    xlsx.no_formulas(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ledger_lines(scope: Scope) -> QuerySet[LedgerEntry]:
    """Entries of officer accounts the caller may see (finance export, the officer's own)."""
    return (
        LedgerEntry.objects.filter(account__officer__in=org.scope_officers(scope))
        .select_related("txn", "account", "account__officer")
        .order_by("txn__created_at", "pk")
    )
