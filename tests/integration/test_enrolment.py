"""Enrolment bound to the person (issue 18, V2 and V3): the first authenticator, and a new one after a
lost phone, need an enrolment code the system administrator issued (shown once, single use, expires,
only its digest stored); the secret shown belongs to the one session that typed the code; and nothing
but enrolment — not even the password change — opens before the second factor."""

import datetime as dt
import io
import re
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client

from precinct.core import clock
from precinct.demo.services import DEMO_PASSWORD
from precinct.identity import services
from precinct.identity.middleware import SESSION_MFA
from precinct.identity.models import AuditEntry, OtpDevice, RecoveryCode, User

pytestmark = pytest.mark.otp


@pytest.fixture
def later(monkeypatch) -> Any:
    """Move the project's clock (and Django's) forward by ``later(hours=…)``: no sleeping."""
    from django.utils import timezone

    base = clock.now
    ahead = {"by": dt.timedelta(0)}

    def now() -> dt.datetime:
        return base() + ahead["by"]

    monkeypatch.setattr(clock, "now", now)
    monkeypatch.setattr(timezone, "now", now)

    def move(**delta: float) -> None:
        ahead["by"] = dt.timedelta(**delta)

    return move


def sign_in(username: str) -> Client:
    c = Client()
    r = c.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.content[:300]
    return c


def issue(username: str) -> str:
    return services.issue_enrolment_code(
        User.objects.get(username=username), now=clock.now(), issued_by="sysadmin"
    )


def shown_secret(c: Client, enrolment_code: str) -> str:
    """Type the enrolment code; the page then shows this session's key."""
    r = c.post("/login/otp/setup/", {"enrolment_code": enrolment_code, "next": "/"})
    assert r.status_code == 200, r.content[:500]
    m = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', r.content.decode())
    assert m, "no key on the page"
    return m.group(1).replace(" ", "")


def confirm(c: Client, secret: str, *, at: dt.datetime | None = None) -> Any:
    totp = pyotp.TOTP(secret).at(at or clock.now())
    return c.post("/login/otp/setup/", {"code": totp, "next": "/"})


def test_a_password_alone_shows_no_secret_and_enrols_nothing(city) -> None:
    """V2: before, every password-only session of an account not yet enrolled saw the one secret
    at /login/otp/setup/, and the password alone enrolled whoever opened it first."""
    c = sign_in("chief")
    page = c.get("/login/otp/setup/?next=/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="otp-secret"' not in html and "<svg" not in html
    assert 'name="enrolment_code"' in html
    assert not OtpDevice.objects.filter(user__username="chief").exists()
    # a TOTP code, from any secret at all, enrols nothing
    r = c.post("/login/otp/setup/", {"code": pyotp.TOTP(pyotp.random_base32()).now()})
    assert r.status_code == 400
    assert not OtpDevice.objects.filter(user__username="chief").exists()
    assert c.get("/").status_code == 302  # still nothing but enrolment


def test_each_session_sees_its_own_secret_and_only_the_confirmed_one_signs_in(city) -> None:
    """V2: an attacker who holds the password and opened the page first keeps no authenticator."""
    code = issue("chief")
    victim, attacker = sign_in("chief"), sign_in("chief")
    theirs = shown_secret(attacker, code)
    mine = shown_secret(victim, code)
    assert mine != theirs  # one secret per session, never shared
    done = confirm(victim, mine)
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert victim.get("/").status_code == 200
    # the attacker's session cannot confirm (the code is spent), nor sign in with his secret
    assert confirm(attacker, theirs).status_code == 400
    assert OtpDevice.objects.get(user__username="chief").secret == mine
    later_session = sign_in("chief")
    r = later_session.post(
        "/login/otp/", {"code": pyotp.TOTP(theirs).at(clock.now() + dt.timedelta(seconds=30))}
    )
    assert r.status_code == 400
    assert "otp_enrolled" in _actions("chief")


def test_an_enrolment_code_works_once_and_expires(city, later) -> None:
    from precinct.identity.models import EnrolmentCode

    code = issue("legal")
    stored = EnrolmentCode.objects.get(user__username="legal")
    assert stored.digest != code and code.replace("-", "") not in stored.digest  # only a digest
    assert not AuditEntry.objects.filter(detail__icontains=code).exists()
    c = sign_in("legal")
    assert confirm(c, shown_secret(c, code)).status_code == 200
    # spent: another session cannot use it again
    again = sign_in("legal")
    r = again.post("/login/otp/setup/", {"enrolment_code": code, "next": "/"})
    assert r.status_code == 400 and 'id="otp-secret"' not in r.content.decode()
    # a code not used within 72 hours expires
    stale = issue("auditor")
    later(hours=72, minutes=1)
    c = sign_in("auditor")
    r = c.post("/login/otp/setup/", {"enrolment_code": stale, "next": "/"})
    assert r.status_code == 400 and 'id="otp-secret"' not in r.content.decode()


def test_wrong_enrolment_codes_spend_the_code(city) -> None:
    code = issue("officer")
    c = sign_in("officer")
    for _ in range(5):
        r = c.post("/login/otp/setup/", {"enrolment_code": "aaaaa-bbbbb", "next": "/"})
        assert r.status_code == 400
    # five wrong guesses: even the right code no longer opens enrolment; a new one is needed
    r = c.post("/login/otp/setup/", {"enrolment_code": code, "next": "/"})
    assert r.status_code == 400 and 'id="otp-secret"' not in r.content.decode()
    assert "enrolment_code_refused" in _actions("officer")
    fresh = issue("officer")
    assert shown_secret(c, fresh)


def test_a_new_phone_needs_a_new_code_and_replaces_the_old_authenticator(city) -> None:
    c = sign_in("political")
    old = shown_secret(c, issue("political"))
    assert confirm(c, old).status_code == 200
    old_recovery = set(
        RecoveryCode.objects.filter(user__username="political").values_list("digest", flat=True)
    )
    # lost phone: signed in with the password only, enrolment asks for a new code
    lost = sign_in("political")
    r = lost.get("/login/otp/setup/?next=/")
    assert r.status_code == 200 and 'id="otp-secret"' not in r.content.decode()
    new = shown_secret(lost, issue("political"))
    assert new != old
    assert confirm(lost, new, at=clock.now() + dt.timedelta(seconds=30)).status_code == 200
    assert OtpDevice.objects.filter(user__username="political").count() == 1
    assert OtpDevice.objects.get(user__username="political").secret == new
    fresh = set(
        RecoveryCode.objects.filter(user__username="political").values_list("digest", flat=True)
    )
    assert fresh and not (fresh & old_recovery)
    # the old phone's codes sign in no more
    c3 = sign_in("political")
    r = c3.post("/login/otp/", {"code": pyotp.TOTP(old).at(clock.now() + dt.timedelta(seconds=60))})
    assert r.status_code == 400


def test_the_sysadmin_issues_a_code_from_the_accounts_page_shown_once(city) -> None:
    admin = city.client("sysadmin")
    session = admin.session
    session[SESSION_MFA] = True  # the administrator passed his own second factor
    session.save()
    listing = admin.get("/accounts/")
    assert listing.status_code == 200 and "chief" in listing.content.decode()
    r = admin.post("/accounts/chief/enrolment/")
    assert r.status_code == 200
    code = r.context["code"]
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) and code in r.content.decode()
    assert r["Cache-Control"] == "no-store" or "no-store" in r["Cache-Control"]
    assert code not in admin.get("/accounts/").content.decode()  # shown once
    assert "enrolment_code_issued" in _actions("chief")
    c = sign_in("chief")
    assert shown_secret(c, code)
    # only the system administrator, and only for accounts of his bureau
    leader = city.client("leader")
    session = leader.session
    session[SESSION_MFA] = True
    session.save()
    assert leader.post("/accounts/chief/enrolment/").status_code == 403
    assert admin.post("/accounts/nobody-at-all/enrolment/").status_code == 404


def test_the_command_line_issues_a_code(city) -> None:
    out = io.StringIO()
    call_command("accounts", "enrolment-code", "auditor", stdout=out)
    code = re.search(r"[a-z2-9]{5}-[a-z2-9]{5}", out.getvalue()).group(0)
    c = sign_in("auditor")
    assert confirm(c, shown_secret(c, code)).status_code == 200


def test_the_password_cannot_be_changed_before_the_second_factor(city) -> None:
    """V3: /me/password/ opened at the password-only stage."""
    c = sign_in("chief")
    page = c.get("/me/password/")
    assert page.status_code == 302 and page["Location"].startswith("/login/otp/")
    new = "Songhua-River-Night-Shift-7"
    r = c.post(
        "/me/password/",
        {"old_password": DEMO_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert r.status_code == 302 and r["Location"].startswith("/login/otp/")
    assert User.objects.get(username="chief").check_password(DEMO_PASSWORD)


def test_an_expired_password_is_changed_after_the_second_factor(city, settings) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 90
    c = sign_in("chief")
    secret = shown_secret(c, issue("chief"))
    assert confirm(c, secret).status_code == 200
    User.objects.filter(username="chief").update(
        password_changed_at=clock.now() - dt.timedelta(days=91)
    )
    c = sign_in("chief")
    assert c.get("/me/password/").status_code == 302  # the second factor first
    r = c.post(
        "/login/otp/", {"code": pyotp.TOTP(secret).at(clock.now() + dt.timedelta(seconds=30))}
    )
    assert r.status_code == 302
    r = c.get("/supervision/cases/")
    assert r.status_code == 302 and r["Location"].startswith("/me/password/")
    assert c.get("/me/password/").status_code == 200


def _actions(username: str) -> list[str]:
    user = User.objects.get(username=username)
    return list(AuditEntry.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
