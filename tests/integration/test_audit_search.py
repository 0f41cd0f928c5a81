"""Issue 17 part 6, the auditor's search (JOURNEYS.md 9): who viewed or changed a record, found by
a person's name — an officer with or without an account, a case's person (names are stored in
clear; identity numbers are sealed and never searched) — and a bonus ledger entry by its
payment's reference or the police number of the officer paid."""

import pytest

from precinct.cases import services as cases
from precinct.cases.models import Case
from precinct.identity.models import AuditEntry, User
from precinct.merit import services as merit
from precinct.merit.rules import Month
from precinct.org.models import Officer, Unit
from precinct.supervision import services as supervision


def _found(city, q: str) -> list[AuditEntry]:
    r = city.client("auditor").get("/audit/", {"q": q})
    assert r.status_code == 200
    return [row.entry for row in r.context["rows"]]


@pytest.fixture
def without_account(city) -> Officer:
    """An officer whose name is his alone and who has no account."""
    with_accounts = User.objects.exclude(officer=None).values("officer")
    officers = Officer.objects.filter(bureau_id=city.bureau_id).exclude(pk__in=with_accounts)
    return next(
        o for o in officers.order_by("police_number") if officers.filter(name=o.name).count() == 1
    )


def test_an_officer_without_an_account_is_found_by_name(city, without_account) -> None:
    assert not User.objects.filter(officer=without_account).exists()
    assert city.client("legal").get(f"/org/officers/{without_account.pk}/").status_code == 200
    view = AuditEntry.objects.get(action="view", object_id=str(without_account.pk), actor="legal")
    assert view in _found(city, without_account.name)


def test_a_case_is_found_by_its_persons_name(city) -> None:
    station = Unit.objects.get(pk=city.user("chief").unit_id)
    doc = {
        "case": {"id": "XS-2026-8001", "kind": "criminal", "unit": station.code},
        "events": [{"type": "detained", "at": "2026-03-02T09:30:00+08:00", "subject": "p1"}],
    }
    outcome = supervision.import_document(bureau_id=city.bureau_id, document=doc)
    case = Case.objects.get(pk=outcome.case_id)
    cases.upsert_person(case=case, key="p1", name="钱七郎", id_number="230402198001011234")
    assert city.client("legal").get(f"/supervision/cases/{case.pk}/").status_code == 200
    view = AuditEntry.objects.get(action="view", object_id=str(case.pk), actor="legal")
    assert view in _found(city, "七郎")  # part of the name, as the case list searches
    assert view not in _found(city, "230402198001011234")  # sealed numbers are not searched


@pytest.fixture
def payment(city, without_account):
    """A bonus paid to the officer without an account, from a funded month."""
    month = Month.parse("2026-02")
    merit.fund_month(city.bureau_id, month, amount_fen=500_000, by="test")
    txn, _new = merit.pay(
        city.bureau_id,
        key="award:test-0001",
        memo="嘉奖奖励金",
        officer_id=without_account.pk,
        amount_fen=200_000,
        month=month,
        by="test",
    )
    entries = AuditEntry.objects.filter(
        object_type="merit.ledgerentry", action="create", detail__row__txn_id=str(txn.pk)
    )
    assert entries.count() == 2  # the budget's debit, the officer's credit
    return txn, list(entries)


def test_a_ledger_entry_is_found_by_its_payments_reference(city, payment) -> None:
    _txn, entries = payment
    found = _found(city, "award:test-0001")
    assert all(e in found for e in entries)


def test_a_ledger_entry_is_found_by_the_police_number_of_the_officer_paid(
    city, payment, without_account
) -> None:
    _txn, entries = payment
    found = _found(city, without_account.police_number)
    credited = [e for e in entries if e.detail["row"]["amount_fen"] > 0]
    assert credited and all(e in found for e in credited)
    assert all(e in _found(city, without_account.name) for e in credited)
