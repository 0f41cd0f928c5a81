"""The second factor at sign-in (enrolment, codes used once, recovery codes, lock, reset, the
secured-room exemption), re-authentication before privileged actions, and the password's
maximum age. Sign-ins go through the real sign-in form."""

import datetime as dt
import ipaddress
from typing import Any

import pyotp
import pytest
from django.db import connection
from django.test import Client

from precinct.core import clock
from precinct.demo.services import DEMO_PASSWORD
from precinct.identity import rules, services
from precinct.identity.middleware import SESSION_AUTH_AT
from precinct.identity.models import AuditEntry, OtpDevice, RecoveryCode, User
from precinct.merit.models import ScoringPolicy

pytestmark = pytest.mark.otp


def sign_in(username: str, **extra: Any) -> Client:
    c = Client(**extra)
    r = c.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.content[:300]
    return c


def code(username: str, offset: int = 0, at: dt.datetime | None = None) -> str:
    device = OtpDevice.objects.get(user__username=username)
    return pyotp.TOTP(device.secret).at((at or clock.now()) + dt.timedelta(seconds=offset))


def wrong_code(username: str) -> str:
    valid = {code(username, s) for s in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in valid)


ENROLLED_AT: dict[str, dt.datetime] = {}


def issue(username: str) -> str:
    """The enrolment code the system administrator hands the person (ADR 0035)."""
    return services.issue_enrolment_code(
        User.objects.get(username=username), now=clock.now(), issued_by="sysadmin"
    )


def start(c: Client, username: str) -> str:
    """Type the enrolment code at the set-up step; the page shows this session's key."""
    r = c.post("/login/otp/setup/", {"enrolment_code": issue(username), "next": "/"})
    assert r.status_code == 200, r.content[:500]
    return str(r.context["secret"]).replace(" ", "")


def enrol(username: str) -> tuple[Client, list[str]]:
    """Sign in for the first time and enrol an authenticator with the current step's code."""
    c = sign_in(username)
    assert c.get("/login/otp/setup/?next=/").status_code == 200
    secret = start(c, username)
    ENROLLED_AT[username] = clock.now()
    first = pyotp.TOTP(secret).at(ENROLLED_AT[username])
    r = c.post("/login/otp/setup/", {"code": first, "next": "/"})
    assert r.status_code == 200, r.content[:500]
    return c, list(r.context["codes"])


def actions(username: str) -> list[str]:
    user = User.objects.get(username=username)
    return list(
        AuditEntry.objects.filter(object_id=str(user.pk))
        .order_by("at")
        .values_list("action", flat=True)
    )


def test_a_first_sign_in_enrols_an_authenticator_and_gets_recovery_codes(city) -> None:
    c = sign_in("chief")
    r = c.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/otp/")
    r = c.get(r["Location"])
    assert r.status_code == 302 and r["Location"].startswith("/login/otp/setup/")
    page = c.get(r["Location"])
    assert page.status_code == 200 and b'name="enrolment_code"' in page.content
    assert b"<nav" not in page.content  # no menu that leads nowhere yet
    secret = start(c, "chief")
    page = c.get("/login/otp/setup/")
    assert page.status_code == 200 and b"<svg" in page.content
    assert secret[:4] + " " + secret[4:8] in page.content.decode()
    # nothing else opens before the second factor: pages, the API with the session
    assert c.get("/supervision/cases/").status_code == 302
    api = c.get("/api/v1/me")
    assert api.status_code == 401 and api.json()["detail"] == "second factor required"

    totp = pyotp.TOTP(secret)
    valid = {totp.at(clock.now() + dt.timedelta(seconds=s)) for s in (-60, -30, 0, 30, 60)}
    wrong = next(x for x in ("000000", "111111", "222222", "333333") if x not in valid)
    bad = c.post("/login/otp/setup/", {"code": wrong, "next": "/"})
    assert bad.status_code == 400 and not RecoveryCode.objects.filter(user__username="chief")
    session_before = c.cookies["sessionid"].value
    ok = c.post("/login/otp/setup/", {"code": totp.now(), "next": "/"})
    assert ok.status_code == 200 and len(ok.context["codes"]) == rules.RECOVERY_CODES
    assert c.cookies["sessionid"].value != session_before  # a new session key after the factor
    assert OtpDevice.objects.get(user__username="chief").confirmed_at is not None
    assert RecoveryCode.objects.filter(user__username="chief", used_at=None).count() == 10
    assert c.get("/").status_code == 200
    assert c.get("/api/v1/me").status_code == 200
    assert "otp_enrolled" in actions("chief")
    # the secret is never written to the audit log, and is sealed in its own table
    assert not AuditEntry.objects.filter(detail__icontains=secret).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM identity_otpdevice")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all(v.startswith("v1:") and secret not in v for v in stored)


def test_a_code_is_accepted_once_and_the_next_one_opens_the_next_session(city, monkeypatch) -> None:
    # the clock stands still and moves by one step on purpose: on a loaded machine a real step
    # boundary between two posts of "the code just used" made the replay a fresh code (it failed)
    at = {"now": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: at["now"])
    enrol("legal")
    used = code("legal")
    c = sign_in("legal")
    assert c.get("/").status_code == 302
    again = c.post("/login/otp/", {"code": used, "next": "/supervision/cases/"})
    assert again.status_code == 400  # the code that enrolled cannot sign in again
    at["now"] += dt.timedelta(seconds=30)  # the next 30-second step
    fresh = code("legal")
    r = c.post("/login/otp/", {"code": fresh, "next": "/supervision/cases/"})
    assert r.status_code == 302 and r["Location"] == "/supervision/cases/"
    assert c.get("/").status_code == 200
    assert {"otp_failed", "otp_verified"} <= set(actions("legal"))
    replay = sign_in("legal")  # and the code just used is refused to a second session too
    assert replay.post("/login/otp/", {"code": fresh, "next": "/"}).status_code == 400


def test_a_recovery_code_signs_in_once(city) -> None:
    _c, codes = enrol("auditor")
    c = sign_in("auditor")
    r = c.post("/login/otp/", {"code": codes[3].upper(), "next": "/"})
    assert r.status_code == 302
    assert RecoveryCode.objects.filter(user__username="auditor", used_at=None).count() == 9
    assert "recovery_code_used" in actions("auditor")
    c2 = sign_in("auditor")
    assert c2.post("/login/otp/", {"code": codes[3], "next": "/"}).status_code == 400


def test_wrong_codes_lock_the_authenticator_for_a_while(city) -> None:
    """Until it runs out (tests/integration/test_lockout.py moves the clock past it), an
    administrator's unlock, or a reset and a new enrolment."""
    enrol("officer")
    c = sign_in("officer")
    for _ in range(rules.OTP_MAX_FAILURES):
        r = c.post("/login/otp/", {"code": wrong_code("officer"), "next": "/"})
        assert r.status_code == 400
    assert "locked" in r.context["errors"][0] or "锁" in r.context["errors"][0]
    assert c.post("/login/otp/", {"code": code("officer", 30), "next": "/"}).status_code == 400
    assert c.get("/").status_code == 302
    assert "otp_locked" in actions("officer")
    services.unlock_account(username="officer")
    assert c.post("/login/otp/", {"code": code("officer", 30), "next": "/"}).status_code == 302
    services.reset_second_factor(User.objects.get(username="officer"))
    assert "otp_reset" in actions("officer")
    fresh = sign_in("officer")
    r = fresh.get("/login/otp/?next=/")
    assert r.status_code == 302 and r["Location"].startswith("/login/otp/setup/")


def test_an_api_token_is_its_own_credential(city) -> None:
    enrol("chief")
    _token, secret = services.create_token(username="chief", name="station system")
    r = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert r.status_code == 200


def test_a_secured_dispatch_room_may_be_exempted_by_role_and_network(city, settings) -> None:
    settings.OTP_EXEMPT_ROLES = ["command_centre"]
    settings.OTP_EXEMPT_NETWORKS = [ipaddress.ip_network("10.20.30.0/24")]
    in_room = sign_in("command", REMOTE_ADDR="10.20.30.5")
    assert in_room.get("/").status_code == 200
    elsewhere = sign_in("command", REMOTE_ADDR="10.20.99.5")
    assert elsewhere.get("/").status_code == 302
    chief_in_room = sign_in("chief", REMOTE_ADDR="10.20.30.6")
    assert chief_in_room.get("/").status_code == 302


def _stale(c: Client) -> None:
    session = c.session
    session[SESSION_AUTH_AT] = (clock.now() - dt.timedelta(minutes=11)).isoformat()
    session.save()


def test_privileged_actions_need_a_fresh_reauthentication(city) -> None:
    c, _codes = enrol("political")
    versions = ScoringPolicy.objects.count()
    form = c.get("/merit/policy/")
    assert form.status_code == 200  # reading the policy needs nothing more
    _stale(c)
    r = c.post("/merit/policy/", {"valid_from": "2099-01"}, HTTP_REFERER="/merit/policy/")
    assert r.status_code == 302 and r["Location"] == "/login/confirm/?next=%2Fmerit%2Fpolicy%2F"
    assert ScoringPolicy.objects.count() == versions  # the form was not carried out
    hx = c.post("/merit/policy/", {}, HTTP_HX_REQUEST="true", HTTP_REFERER="/merit/policy/")
    assert hx.status_code == 204 and hx["HX-Redirect"].startswith("/login/confirm/")

    page = c.get("/login/confirm/?next=/merit/policy/")
    assert page.status_code == 200 and b'name="code"' in page.content
    wrong = c.post("/login/confirm/", {"password": "nope", "code": code("political", 30)})
    assert wrong.status_code == 400
    no_code = c.post("/login/confirm/", {"password": DEMO_PASSWORD, "next": "/merit/policy/"})
    assert no_code.status_code == 400
    ok = c.post(
        "/login/confirm/",
        {"password": DEMO_PASSWORD, "code": code("political", 30), "next": "/merit/policy/"},
    )
    assert ok.status_code == 302 and ok["Location"] == "/merit/policy/"
    assert "reauthenticated" in actions("political")
    after = c.post("/merit/policy/", {"valid_from": "bad"})
    assert not after["Location"].startswith("/login/confirm/")  # now it reaches the form


def test_the_administration_site_needs_a_fresh_reauthentication(city) -> None:
    c, _codes = enrol("sysadmin")
    assert c.get("/admin/").status_code == 200  # within the window that sign-in opened
    _stale(c)
    r = c.get("/admin/identity/user/")
    assert r.status_code == 302 and r["Location"].startswith("/login/confirm/?next=%2Fadmin")


def test_an_expired_password_must_be_changed_before_anything_else(city, settings) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 90
    settings.OTP_REQUIRED = False
    User.objects.filter(username="chief").update(
        password_changed_at=clock.now() - dt.timedelta(days=91)
    )
    c = sign_in("chief")
    r = c.get("/supervision/cases/")
    assert r.status_code == 302 and r["Location"] == "/me/password/?next=%2Fsupervision%2Fcases%2F"
    assert c.get("/api/v1/me").json()["detail"] == "password expired"
    page = c.get("/me/password/?next=/supervision/cases/")
    assert page.status_code == 200 and page.context["expired"]
    same = c.post(
        "/me/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": DEMO_PASSWORD,
            "new_password2": DEMO_PASSWORD,
        },
    )
    assert same.status_code == 200 and same.context["form"].errors
    new = "Songhua-River-Night-Shift-7"
    r = c.post(
        "/me/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": new,
            "new_password2": new,
            "next": "/supervision/cases/",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/supervision/cases/"
    user = User.objects.get(username="chief")
    assert clock.now() - user.password_changed_at < dt.timedelta(minutes=1)
    assert c.get("/supervision/cases/").status_code == 200  # the same session goes on
