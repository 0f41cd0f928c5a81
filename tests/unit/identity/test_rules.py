import datetime as dt

import pytest

from precinct.core.scoping import Role
from precinct.identity import rules
from precinct.identity.rules import ChainRow, entry_hash, verify_chain


def test_unknown_routes_are_denied_to_every_role() -> None:
    for role in Role:
        assert not rules.decide("org:not_a_route", "GET", role).allowed
    assert not rules.decide(None, "GET", Role.LEADERSHIP).allowed


def test_anonymous_callers_reach_only_public_routes() -> None:
    assert rules.decide("web:login", "POST", None).allowed
    assert not rules.decide("org:officer_list", "GET", None).allowed


def test_methods_not_in_the_rule_are_denied() -> None:
    assert rules.decide("org:officer_list", "GET", Role.OFFICER).allowed
    assert not rules.decide("org:officer_list", "DELETE", Role.POLITICAL_DEPT).allowed


@pytest.mark.parametrize(
    "route", ["org:officer_list", "org:officer_detail", "org:unit_tree", "api:officer_list"]
)
def test_sysadmin_and_auditor_read_no_business_data(route: str) -> None:
    assert not rules.decide(route, "GET", Role.SYSADMIN).allowed
    assert not rules.decide(route, "GET", Role.AUDITOR).allowed


def test_only_the_auditor_reads_the_audit_log() -> None:
    allowed = {r for r in Role if rules.decide("identity:audit_log", "GET", r).allowed}
    assert allowed == {Role.AUDITOR}


def test_tokens_are_stored_as_digests() -> None:
    secret, prefix, digest = rules.new_token()
    assert secret.startswith(rules.TOKEN_PREFIX) and secret.startswith(prefix)
    assert secret not in digest and len(digest) == 64
    assert rules.token_matches(secret, digest)
    assert not rules.token_matches(secret + "x", digest)


KEY = b"k" * 32


def _chain(n: int, key: bytes = KEY) -> list[ChainRow]:
    rows, prev = [], rules.GENESIS
    for seq in range(1, n + 1):
        fields = {"seq": seq, "action": "update", "detail": {"x": seq}}
        h = entry_hash(key, prev, fields)
        rows.append(ChainRow(seq, prev, h, fields))
        prev = h
    return rows


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(_chain(5), KEY) is None


def test_a_chain_reforged_without_the_key_fails() -> None:
    forged = _chain(5, key=b"attacker-guess-" * 3)
    broken = verify_chain(forged, KEY)
    assert broken is not None and broken.seq == 1


def test_an_edited_entry_is_named() -> None:
    rows = _chain(5)
    rows[2] = ChainRow(3, rows[2].prev_hash, rows[2].hash, {**rows[2].fields, "action": "delete"})
    broken = verify_chain(rows, KEY)
    assert broken is not None and broken.seq == 3 and "edited" in broken.problem


def test_a_deleted_entry_is_named() -> None:
    rows = _chain(5)
    del rows[1]
    broken = verify_chain(rows, KEY)
    assert broken is not None and broken.seq == 2


def test_reordered_entries_are_named() -> None:
    rows = _chain(5)
    a, b = rows[1], rows[2]
    # swap their positions and their sequence numbers, keeping each row's own hash
    rows[1] = ChainRow(2, b.prev_hash, b.hash, {**b.fields, "seq": 2})
    rows[2] = ChainRow(3, a.prev_hash, a.hash, {**a.fields, "seq": 3})
    broken = verify_chain(rows, KEY)
    assert broken is not None and broken.seq == 2


def test_diff_lists_only_changed_fields() -> None:
    assert rules.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


@pytest.mark.parametrize(
    ("last_login_days", "joined_days", "idle"),
    [(91, 400, True), (90, 400, True), (89, 400, False), (None, 90, True), (None, 10, False)],
)
def test_an_account_is_idle_after_its_days_unused(last_login_days, joined_days, idle) -> None:
    from precinct.identity.rules import is_idle

    now = dt.datetime(2026, 11, 27, 3, tzinfo=dt.UTC)
    last = None if last_login_days is None else now - dt.timedelta(days=last_login_days)
    assert is_idle(last, now - dt.timedelta(days=joined_days), now, 90) is idle


def test_a_token_use_is_recorded_once_a_minute_at_most() -> None:
    from precinct.identity.rules import TOKEN_USE_RESOLUTION, token_use_to_record

    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    assert token_use_to_record(None, now)
    assert not token_use_to_record(now - TOKEN_USE_RESOLUTION + dt.timedelta(seconds=1), now)
    assert token_use_to_record(now - TOKEN_USE_RESOLUTION, now)
