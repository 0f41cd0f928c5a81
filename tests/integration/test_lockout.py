"""Lockout you can recover from (issue 18, V5 and V9): failures count and locks hold on the
normalised user name; a lock from password guessing expires after 15 minutes, the next one within
a week lasts twice as long (capped at a day); the system administrator unlocks from the accounts page
or the command line; wrong authenticator codes lock for a while, not for good."""

import datetime as dt
import io
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client

from precinct.core import clock
from precinct.demo.services import DEMO_PASSWORD
from precinct.identity import lockout, rules, services
from precinct.identity.models import AuditEntry, User


@pytest.fixture
def later(monkeypatch) -> Any:
    """Move every clock the sign-in reads (the project's, Django's, django-axes's) forward by
    ``later(minutes=…)``: no sleeping."""
    import axes.attempts
    import axes.handlers.proxy
    from django.utils import timezone

    base = clock.now
    ahead = {"by": dt.timedelta(0)}

    def now() -> dt.datetime:
        return base() + ahead["by"]

    for module, name in (
        (clock, "now"),
        (timezone, "now"),
        (axes.handlers.proxy, "now"),
        (axes.attempts, "now"),
    ):
        monkeypatch.setattr(module, name, now)

    def move(**delta: float) -> None:
        ahead["by"] = dt.timedelta(**delta)

    return move


def _login(username: str, password: str = DEMO_PASSWORD) -> int:
    return Client().post("/login/", {"username": username, "password": password}).status_code


def _fail(typed: str, times: int = 5) -> None:
    for _ in range(times):
        assert _login(typed, "not-the-password-1") in (200, 429)


def test_a_name_typed_with_a_space_locks_the_account_exactly_as_long(city, later) -> None:
    """V5: failures typed " legal" counted against legal, but the lock's length was computed for
    the raw " legal", which has no failures: 15 minutes instead of the account's lock."""
    _fail(" legal")
    _fail("political")
    later(minutes=16)
    _login("someone-else", "not-the-password-1")  # any failure sweeps expired records away
    assert (_login("legal"), _login("political")) == (302, 302)  # was (302, 429)
    # the second lock within the week is twice as long, whichever way the name is typed
    _fail("\u3000legal ")  # an ideographic space, as a Chinese keyboard types it
    _fail("political")
    later(minutes=16 + 29)
    assert (_login("legal"), _login("political")) == (429, 429)
    later(minutes=16 + 31)
    assert (_login("legal"), _login("political")) == (302, 302)


def test_a_lock_expires_and_the_next_one_lasts_longer_up_to_a_day(city, later) -> None:
    """V9: a lock from guessing passwords held until an administrator came, also the sysadmin's."""
    _fail("sysadmin")
    assert _login("sysadmin") == 429
    later(minutes=15, seconds=5)
    assert _login("sysadmin") == 302  # the first lock lasts 15 minutes
    assert lockout.lock_delay(0) == dt.timedelta(minutes=15)
    assert [lockout.lock_delay(n).total_seconds() / 60 for n in range(8)] == [
        15, 30, 60, 120, 240, 480, 960, 1440  # doubling, capped at a day
    ]  # fmt: skip
    page = Client().post("/login/", {"username": "sysadmin", "password": "nope-nope-nope"})
    for _ in range(4):
        page = Client().post("/login/", {"username": "sysadmin", "password": "nope-nope-nope"})
    assert page.status_code == 429
    html = page.content.decode()
    assert "<h1>" in html and "sysadmin" not in html  # says until when, in the user's language
    assert page["Retry-After"] and 29 * 60 <= int(page["Retry-After"]) <= 30 * 60
    assert (
        AuditEntry.objects.filter(action="account_locked", detail__username="sysadmin").count() >= 2
    )


def test_failures_spread_over_more_than_15_minutes_do_not_lock(city, later) -> None:
    _fail("command", 4)
    later(minutes=16)
    _fail("command", 1)
    assert _login("command") == 302


def test_the_sysadmin_unlocks_from_the_accounts_page(city) -> None:
    _fail("chief")
    assert _login("chief") == 429
    admin = city.client("sysadmin")
    page = admin.get("/accounts/?locked=1")
    assert page.status_code == 200 and "chief" in page.content.decode()
    r = admin.post("/accounts/chief/unlock/")
    assert r.status_code == 302
    user = User.objects.get(username="chief")
    assert AuditEntry.objects.filter(action="account_unlocked", object_id=str(user.pk)).exists()
    assert _login("chief") == 302
    assert city.client("auditor").post("/accounts/chief/unlock/").status_code == 403


def test_the_command_line_unlocks_even_the_sysadmin(city, later) -> None:
    _fail("sysadmin")
    _fail(" sysadmin")  # failures during the lock do not make it longer
    later(minutes=1)
    assert _login("sysadmin") == 429
    out = io.StringIO()
    call_command("accounts", "unlock", " sysadmin", stdout=out)
    assert "sysadmin" in out.getvalue()
    assert _login("sysadmin") == 302
    # the unlock forgets the account's earlier locks: the next one is 15 minutes again
    _fail("sysadmin")
    later(minutes=17)
    assert _login("sysadmin") == 302


@pytest.mark.otp
def test_wrong_authenticator_codes_lock_for_a_while_not_for_good(city, later) -> None:
    """V9: five wrong codes locked an authenticator until the administrator's reset."""
    user = User.objects.get(username="officer")
    code = services.issue_enrolment_code(user, now=clock.now(), issued_by="test")
    c = Client()
    c.post("/login/", {"username": "officer", "password": DEMO_PASSWORD})
    c.post("/login/otp/setup/", {"enrolment_code": code})
    secret = c.session and services.confirmed_device(user)  # none yet: read the page's key
    page = c.get("/login/otp/setup/")
    secret = page.context["secret"].replace(" ", "")
    assert c.post("/login/otp/setup/", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    totp = pyotp.TOTP(secret)
    c = Client()
    c.post("/login/", {"username": "officer", "password": DEMO_PASSWORD})
    valid = {totp.at(clock.now() + dt.timedelta(seconds=s)) for s in range(-90, 120, 30)}
    wrong = next(x for x in ("000000", "111111", "222222", "333333") if x not in valid)
    for _ in range(rules.OTP_MAX_FAILURES):
        assert c.post("/login/otp/", {"code": wrong}).status_code == 400
    later(minutes=14)
    assert c.post("/login/otp/", {"code": totp.at(clock.now())}).status_code == 400  # locked
    later(minutes=16)
    r = c.post("/login/otp/", {"code": totp.at(clock.now())})
    assert r.status_code == 302 and c.get("/").status_code == 200


def test_the_admins_unlock_action_is_the_same_unlock(city, later) -> None:
    """The admin's list action unlocks as the accounts page and the command line do (one service):
    the account opens and its earlier locks are forgotten."""
    _fail("chief")
    assert _login("chief") == 429
    admin = city.client("sysadmin")
    user = User.objects.get(username="chief")
    r = admin.post(
        "/admin/identity/user/",
        {"action": "unlock", "_selected_action": [str(user.pk)], "index": 0},
    )
    assert r.status_code == 302
    assert _login("chief") == 302
    _fail("chief")  # the next lock is 15 minutes again, not 30
    later(minutes=17)
    assert _login("chief") == 302
