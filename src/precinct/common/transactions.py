"""Transactions, by one rule (ADR 0029): the entry point (a page, an API operation, a command, a
job) opens the transaction with :func:`entry`; a use case that must run inside one says so with
:func:`inside` (or :func:`require`) instead of opening its own, so that everything a request
does commits together or not at all; a savepoint is taken only by :func:`savepoint`, which turns
a lost race (a unique key another transaction took first) into another try or a refusal.

A batch that commits as it goes takes its pieces with :func:`piece` (the sweep's pages, ADR
0011). Exceptions by design: the audit writer (ADR 0003) and the bus's reactions after a commit
(ADR 0026) open their own.
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, connection, transaction

P = ParamSpec("P")
T = TypeVar("T")


class OutsideTransaction(RuntimeError):
    """A use case that must run inside the entry point's transaction was called outside one."""


def entry() -> transaction.Atomic:
    """The entry point's transaction. Durable: opened inside another one it raises, because
    then its commit would not be one (tests' own transactions excepted, as Django does)."""
    return transaction.atomic(durable=True)


def piece() -> transaction.Atomic:
    """One piece of a batch that commits as it goes (a page of the sweep, a month of the
    statistics, a file of an import, a page of a key rotation): a transaction of its own when the
    batch runs alone, a savepoint when a larger entry point (the demo load) holds it all."""
    return transaction.atomic()


def require(what: str) -> None:
    """Raise unless a transaction is open: ``what`` names the use case for the error."""
    if not connection.in_atomic_block:
        raise OutsideTransaction(
            f"{what} must run inside the entry point's transaction (common.transactions.entry)"
        )


def inside(use_case: Callable[P, T]) -> Callable[P, T]:
    """Mark a use case that locks or writes several rows: it runs only inside a transaction."""
    name = f"{use_case.__module__}.{use_case.__qualname__}"

    @functools.wraps(use_case)
    def checked(*args: P.args, **kwargs: P.kwargs) -> T:
        require(name)
        return use_case(*args, **kwargs)

    return checked


def savepoint(
    attempt: Callable[[], T], *, tries: int = 1, lost: type[Exception] = IntegrityError
) -> T:
    """Run ``attempt`` in a savepoint, up to ``tries`` times while it loses a race (raises
    ``lost``): the lost try is undone and the caller's transaction stays usable. The last loss is
    raised for the caller to turn into a refusal."""
    if tries < 1:
        raise ValueError("tries must be at least 1")
    for _lost_try in range(tries - 1):
        try:
            with transaction.atomic():
                return attempt()
        except lost:
            continue
    with transaction.atomic():  # the last try: its loss goes to the caller
        return attempt()
