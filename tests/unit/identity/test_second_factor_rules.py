"""The pure rules of the second factor, the password's age and re-authentication."""

import datetime as dt
import ipaddress

import pyotp
import pytest

from precinct.core.scoping import Role
from precinct.identity import rules

NOW = dt.datetime(2026, 11, 27, 8, 0, 10, tzinfo=dt.UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(when: dt.datetime) -> str:
    return pyotp.TOTP(SECRET).at(when)


def test_the_current_code_is_accepted_and_gives_its_step() -> None:
    check = rules.check_totp(SECRET, code_at(NOW), NOW, last_step=0)
    assert check.ok and check.step == pyotp.TOTP(SECRET).timecode(NOW)


def test_one_step_of_drift_either_way_is_accepted_two_are_not() -> None:
    for seconds, ok in [(-30, True), (30, True), (-60, False), (60, False)]:
        check = rules.check_totp(SECRET, code_at(NOW + dt.timedelta(seconds=seconds)), NOW, 0)
        assert check.ok is ok, seconds
        if not ok:
            assert check.problem == "wrong"


def test_a_code_is_never_accepted_twice_nor_an_older_one() -> None:
    step = rules.check_totp(SECRET, code_at(NOW), NOW, 0).step
    assert step is not None
    again = rules.check_totp(SECRET, code_at(NOW), NOW + dt.timedelta(seconds=5), last_step=step)
    assert not again.ok and again.problem == "reused"
    older = rules.check_totp(SECRET, code_at(NOW - dt.timedelta(seconds=30)), NOW, last_step=step)
    assert not older.ok and older.problem == "reused"
    newer = rules.check_totp(
        SECRET, code_at(NOW + dt.timedelta(seconds=30)), NOW + dt.timedelta(seconds=30), step
    )
    assert newer.ok and newer.step == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert rules.check_totp(SECRET, code, NOW, 0).problem == "malformed"


def test_spaces_in_a_code_are_ignored() -> None:
    c = code_at(NOW)
    assert rules.check_totp(SECRET, f" {c[:3]} {c[3:]} ", NOW, 0).ok


def test_secrets_are_160_bits_of_base32_and_differ() -> None:
    a, b = rules.new_totp_secret(), rules.new_totp_secret()
    assert a != b and len(a) == 32 and set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_the_provisioning_uri_names_issuer_and_account() -> None:
    uri = rules.provisioning_uri(SECRET, "chief", "鹤岗市公安局")
    assert uri.startswith("otpauth://totp/") and "secret=" + SECRET in uri and "chief" in uri


def test_recovery_codes_are_distinct_readable_and_match_however_typed() -> None:
    codes = rules.new_recovery_codes()
    assert len(codes) == rules.RECOVERY_CODES == len(set(codes))
    for c in codes:
        assert len(c) == 11 and c[5] == "-" and not set(c) & set("01lio")
        assert rules.looks_like_recovery_code(c)
        assert rules.recovery_digest(c.upper().replace("-", " ")) == rules.recovery_digest(c)
    assert not rules.looks_like_recovery_code("123456")
    assert rules.recovery_digest(codes[0]) != rules.recovery_digest(codes[1])


def test_exemption_needs_both_the_role_and_the_secured_room() -> None:
    room = [ipaddress.ip_network("10.20.30.0/24")]
    roles = ["command_centre"]
    assert rules.otp_exempt(Role.COMMAND_CENTRE, "10.20.30.7", roles, room)
    assert not rules.otp_exempt(Role.COMMAND_CENTRE, "10.20.31.7", roles, room)
    assert not rules.otp_exempt(Role.UNIT_CHIEF, "10.20.30.7", roles, room)
    assert not rules.otp_exempt(Role.COMMAND_CENTRE, "not an address", roles, room)
    assert not rules.otp_exempt(None, "10.20.30.7", roles, room)
    assert not rules.otp_exempt(Role.COMMAND_CENTRE, "10.20.30.7", [], room)


def test_password_age_counts_from_the_change_or_else_from_joining() -> None:
    joined = NOW - dt.timedelta(days=400)
    assert not rules.password_expired(None, joined, NOW, 0)  # CJIS: no maximum age
    assert rules.password_expired(None, joined, NOW, 90)
    assert not rules.password_expired(NOW - dt.timedelta(days=89), joined, NOW, 90)
    assert rules.password_expired(NOW - dt.timedelta(days=90), joined, NOW, 90)


def test_privileged_actions_are_writes_to_listed_routes_and_all_of_the_admin_site() -> None:
    assert rules.needs_reauth("merit:award_decide", "POST")
    assert rules.needs_reauth("merit:policy", "post")
    assert not rules.needs_reauth("merit:policy", "GET")  # everyone reads the policy
    assert rules.needs_reauth("admin:identity_user_changelist", "GET")
    assert not rules.needs_reauth("merit:month", "POST")
    assert not rules.needs_reauth(None, "POST")
    for route in rules.PRIVILEGED_ROUTES:
        assert rules.has_rule(route), route  # a privileged route that does not exist is a typo


def test_a_reauthentication_is_fresh_for_its_window_only() -> None:
    assert rules.reauth_fresh(NOW - dt.timedelta(seconds=599), NOW, 600)
    assert not rules.reauth_fresh(NOW - dt.timedelta(seconds=601), NOW, 600)
    assert not rules.reauth_fresh(None, NOW, 600)
    assert not rules.reauth_fresh(NOW + dt.timedelta(seconds=5), NOW, 600)  # from the future
