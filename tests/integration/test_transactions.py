"""The transaction rule (ADR 0029): entry points open the transaction, use cases that need one
refuse to run outside it, savepoints only through the one retry helper, and no
``transaction.atomic`` anywhere else in the source."""

import ast
import pathlib
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from precinct.common import transactions
from precinct.core import clock
from precinct.identity.models import User
from precinct.identity.services import second_factor
from precinct.merit import services as merit
from precinct.merit.models import LedgerTransaction
from precinct.merit.rules import Month
from tests.support import parse_python

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "precinct"
# where transaction.atomic itself may be written: the helpers, and the exceptions by design
ATOMIC_ALLOWED = {
    "common/transactions.py",  # entry(), piece(), savepoint()
    "identity/services/audit.py",  # the audit writer links the chain on its own (ADR 0003)
    "common/bus.py",  # a reaction after the commit is a transaction of its own (ADR 0026)
}


def _atomic_calls(path: pathlib.Path) -> list[int]:
    tree = parse_python(path.read_text(encoding="utf-8"))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "atomic"
        and isinstance(node.value, ast.Name)
        and node.value.id == "transaction"
    )


def test_no_transaction_is_opened_outside_the_helpers() -> None:
    found = {
        str(p.relative_to(SRC)): lines
        for p in sorted(SRC.rglob("*.py"))
        if (lines := _atomic_calls(p)) and str(p.relative_to(SRC)) not in ATOMIC_ALLOWED
    }
    assert found == {}, f"use common.transactions (entry, inside, piece, savepoint): {found}"


def test_the_check_finds_a_transaction_opened_in_a_service(tmp_path: pathlib.Path) -> None:
    written = tmp_path / "services.py"
    written.write_text(
        "from django.db import transaction\n\ndef f():\n    with transaction.atomic():\n"
        "        pass\n\n@transaction.atomic\ndef g():\n    pass\n"
    )
    assert _atomic_calls(written) == [4, 7]


@pytest.mark.django_db(transaction=True)
def test_a_use_case_refuses_to_run_outside_a_transaction(tiny) -> None:
    bureau = tiny.bureau_id
    month = Month(2026, 1)
    assert not connection.in_atomic_block
    with pytest.raises(transactions.OutsideTransaction, match="fund_month"):
        merit.fund_month(bureau, month, amount_fen=100, by="t")
    assert not LedgerTransaction.objects.filter(bureau_id=bureau).exists()
    user = tiny.user("officer")
    with pytest.raises(transactions.OutsideTransaction, match="verify_second_factor"):
        second_factor.verify_second_factor(user, "123456", now=clock.now())
    with transactions.entry():  # as an entry point does
        merit.fund_month(bureau, month, amount_fen=100, by="t")
    assert LedgerTransaction.objects.filter(bureau_id=bureau).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_entry_point_inside_another_transaction_is_refused(transactional_db) -> None:
    with (
        transaction.atomic(),
        pytest.raises(RuntimeError, match="durable"),
        transactions.entry(),
    ):
        pass


@pytest.mark.django_db
def test_a_savepoint_undoes_a_lost_try_and_tries_again(city) -> None:
    tries: list[int] = []
    taken = str(uuid.uuid4())
    User.objects.create(username=taken)

    def attempt() -> str:
        tries.append(1)
        name = taken if len(tries) < 3 else f"{taken}-3"
        User.objects.create(username=f"{name}-mark-{len(tries)}")  # undone with a lost try
        User.objects.create(username=name)  # the race: someone took the name first
        return name

    assert transactions.savepoint(attempt, tries=3) == f"{taken}-3"
    assert len(tries) == 3
    assert not User.objects.filter(username__in=[f"{taken}-mark-1", f"{taken}-mark-2"]).exists()
    assert User.objects.filter(username=f"{taken}-3-mark-3").exists()
    tries.clear()
    with pytest.raises(IntegrityError):  # lost every time: the caller turns it into a refusal
        transactions.savepoint(lambda: User.objects.create(username=taken), tries=2)
    assert User.objects.filter(username=taken).count() == 1  # the transaction is still usable
