"""三员分立, separation of duties (issue 18, V7 and V10; ADR 0036). The system administrator keeps the
accounts but gives no role and sets no password alone: a role, unit or officer link, a new
account and a password reset are requests that a security administrator approves — never the one
who asked, never for his own account. And the sysadmin's own account page opens (it answered 500)."""

import pytest
from django.test import Client

from precinct.common import transactions
from precinct.core import clock
from precinct.core.errors import NotFound, PermissionDenied
from precinct.core.scoping import Role
from precinct.identity.models import AccessRequest, AuditEntry, User
from precinct.identity.services import grants

PASSWORD = "Long-enough-passphrase-7"


def _change(c: Client, user: User, **over: str) -> object:
    """The admin's change form of ``user``, posted with ``over`` changed."""
    from precinct.org import services as org

    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "bureau": str(user.bureau_id or ""),
        "unit": str(user.unit_id or ""),
        "police_number": org.police_number_of(user.officer_id) if user.officer_id else "",
        "is_active": "on",
    }
    return c.post(f"/admin/identity/user/{user.pk}/change/", {**data, **over})


def _decide(city, username: str, request: AccessRequest, decision: str, reason: str = ""):
    return city.client(username).post(
        "/audit/grants/decide/", {"id": str(request.pk), "decision": decision, "reason": reason}
    )


def _signs_in(username: str, password: str) -> bool:
    user = User.objects.get(username=username)
    return user.is_active and user.check_password(password)


# --- V10 ------------------------------------------------------------------------------------------
def test_it_opens_the_sysadmins_own_account_page(city) -> None:
    me = city.user("sysadmin")
    r = city.client("sysadmin").get(f"/admin/identity/user/{me.pk}/change/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="role"' not in html  # his own role, bureau and unit: shown, not editable


def test_saving_ones_own_account_keeps_its_officer_link(city) -> None:
    """The police number is left out of one's own form: saving it must not read as 'none'."""
    chief = city.user("chief")
    User.objects.filter(pk=chief.pk).update(role="sysadmin", is_staff=True)  # and an officer
    me = User.objects.get(pk=chief.pk)
    r = _change(city.client("chief"), me, first_name="所长甲", police_number="")
    assert r.status_code == 302
    me.refresh_from_db()
    assert me.officer_id == chief.officer_id and me.first_name == "所长甲"


# --- V7: no role from the sysadmin alone --------------------------------------------------------
def test_the_sysadmin_cannot_give_a_role_in_the_admin(city) -> None:
    officer = city.user("officer")
    r = _change(city.client("sysadmin"), officer, role="command_centre")
    assert r.status_code == 302
    officer.refresh_from_db()
    assert officer.role == "officer"
    assert city.client("officer").get("/command/").status_code == 403
    asked = AccessRequest.objects.get(user=officer, state="pending")
    assert (asked.kind, asked.role, asked.requested_by_id) == (
        "access", "command_centre", city.user("sysadmin").pk,
    )  # fmt: skip


def test_a_new_account_from_the_admin_is_closed_until_approved(city) -> None:
    c = city.client("sysadmin")
    r = c.post(
        "/admin/identity/user/add/",
        {
            "username": "newcomer",
            "password1": PASSWORD,  # today's form took a password from the sysadmin: no more
            "password2": PASSWORD,
            "role": "command_centre",
            "bureau": str(city.bureau_id),
            "unit": str(city.user("chief").unit_id),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    user = User.objects.get(username="newcomer")
    assert not user.is_active and not user.has_usable_password()
    assert not _signs_in("newcomer", PASSWORD)
    asked = AccessRequest.objects.get(user=user, state="pending")
    assert asked.new_account and asked.role == "command_centre"
    # the sysadmin opens it: still no password to sign in with, and none he may ask for
    _change(c, user, is_active="on")
    user.refresh_from_db()
    assert not user.has_usable_password()
    c.post(
        "/admin/identity/user/",
        {"action": "request_password_reset", "_selected_action": [str(user.pk)]},
    )
    assert not AccessRequest.objects.filter(user=user, kind="password").exists()


def test_the_sysadmin_cannot_set_a_password_in_the_admin(city) -> None:
    target = city.user("leader")
    before = target.password
    c = city.client("sysadmin")
    assert c.get(f"/admin/identity/user/{target.pk}/password/").status_code == 403
    r = c.post(
        f"/admin/identity/user/{target.pk}/password/",
        {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert r.status_code == 403
    target.refresh_from_db()
    assert target.password == before


def test_a_role_takes_effect_only_when_the_security_admin_approves(city) -> None:
    officer = city.user("officer")
    _change(city.client("sysadmin"), officer, role="unit_chief")
    asked = AccessRequest.objects.get(user=officer, state="pending")
    page = city.client("secadmin").get("/audit/grants/")
    assert page.status_code == 200 and f'data-request="{asked.pk}"' in page.content.decode()
    officer.refresh_from_db()
    assert officer.role == "officer"

    r = _decide(city, "secadmin", asked, "approve")
    assert r.status_code == 302, r.content.decode()[:500]
    officer.refresh_from_db()
    asked.refresh_from_db()
    assert officer.role == "unit_chief"
    assert asked.state == "approved" and asked.decided_by_id == city.user("secadmin").pk
    decision = AuditEntry.objects.filter(
        object_type="identity.accessrequest", object_id=str(asked.pk), action="update"
    ).last()
    assert decision is not None and decision.actor == "secadmin"
    assert decision.detail["changes"]["state"] == ["pending", "approved"]


def test_a_rejection_needs_a_reason_and_changes_nothing(city) -> None:
    officer = city.user("officer")
    _change(city.client("sysadmin"), officer, role="leadership")
    asked = AccessRequest.objects.get(user=officer, state="pending")
    _decide(city, "secadmin", asked, "reject")  # no reason: refused
    asked.refresh_from_db()
    assert asked.state == "pending"
    _decide(city, "secadmin", asked, "reject", reason="无相应任职文件")
    asked.refresh_from_db()
    officer.refresh_from_db()
    assert asked.state == "rejected" and asked.reason == "无相应任职文件"
    assert officer.role == "officer"


def test_nobody_decides_about_his_own_account_or_his_own_request(city) -> None:
    sysadmin, secadmin = city.user("sysadmin"), city.user("secadmin")
    now = clock.now()
    # the security administrator asks for nothing (so grants himself nothing) …
    with pytest.raises(PermissionDenied), transactions.entry():
        grants.request_access(
            city.scope("secadmin"),
            user_id=secadmin.pk,
            access=grants.Access("leadership", city.bureau_id),
            now=now,
        )
    # … nor approves a request about his own account, which the sysadmin made
    with transactions.entry():
        about_him = grants.request_access(
            city.scope("sysadmin"),
            user_id=secadmin.pk,
            access=grants.Access("leadership", city.bureau_id),
            now=now,
        )
    assert _decide(city, "secadmin", about_him, "approve").status_code == 403
    secadmin.refresh_from_db()
    assert secadmin.role == "security_admin"
    # a request he made himself (when he held another role) is not his to approve either
    own = AccessRequest.objects.create(
        user=city.user("officer"), kind="access", role="leadership",
        bureau_id=city.bureau_id, requested_by=secadmin, requested_at=now,
    )  # fmt: skip
    assert _decide(city, "secadmin", own, "approve").status_code == 403
    assert city.user("officer").role == "officer"
    # the sysadmin asks nothing for himself, and approves nothing
    with pytest.raises(PermissionDenied), transactions.entry():
        grants.request_access(
            city.scope("sysadmin"),
            user_id=sysadmin.pk,
            access=grants.Access("leadership", city.bureau_id),
            now=now,
        )
    other = AccessRequest.objects.create(
        user=city.user("legal"), kind="access", role="leadership",
        bureau_id=city.bureau_id, requested_by=sysadmin, requested_at=now,
    )  # fmt: skip
    assert _decide(city, "sysadmin", other, "approve").status_code == 403
    with pytest.raises(PermissionDenied), transactions.entry():
        grants.decide(city.scope("sysadmin"), other.pk, approve=True, now=now)
    assert city.user("legal").role == "legal_supervision"


def test_an_unknown_request_is_not_found(city) -> None:
    with pytest.raises(NotFound), transactions.entry():
        grants.decide(
            city.scope("secadmin"), city.user("sysadmin").pk, approve=True, now=clock.now()
        )


# --- V7: no password from the sysadmin alone -------------------------------------------------
def test_a_password_reset_takes_effect_only_with_the_security_admins_approval(city) -> None:
    target = city.user("leader")
    before = target.password
    c = city.client("sysadmin")
    r = c.post(
        "/admin/identity/user/",
        {"action": "request_password_reset", "_selected_action": [str(target.pk)]},
    )
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.password == before
    asked = AccessRequest.objects.get(user=target, kind="password", state="pending")
    # the sysadmin never sees the new password: only the approving security administrator does
    r = _decide(city, "secadmin", asked, "approve")
    assert r.status_code == 200
    assert "no-store" in r["Cache-Control"]
    password = r.context["password"]
    assert password and password in r.content.decode()
    target.refresh_from_db()
    assert target.password != before and _signs_in("leader", password)


def test_a_new_account_gets_its_first_password_with_its_approval(city) -> None:
    c = city.client("sysadmin")
    c.post(
        "/admin/identity/user/add/",
        {"username": "crew90", "role": "officer", "bureau": str(city.bureau_id),
         "unit": str(city.user("chief").unit_id)},
    )  # fmt: skip
    asked = AccessRequest.objects.get(user__username="crew90", state="pending")
    r = _decide(city, "secadmin", asked, "approve")
    assert r.status_code == 200
    assert _signs_in("crew90", r.context["password"])
    user = User.objects.get(username="crew90")
    assert user.role == "officer" and not user.is_staff


def test_the_security_administrators_home_counts_what_waits(city) -> None:
    _change(city.client("sysadmin"), city.user("officer"), role="unit_chief")
    html = city.client("secadmin").get("/").content.decode()
    assert 'data-card="access_requests"' in html and "/audit/grants/" in html


@pytest.mark.parametrize(
    "path",
    ["/org/officers/", "/api/v1/officers", "/supervision/cases/", "/admin/", "/audit/",
     "/command/", "/merit/"],
)  # fmt: skip
def test_the_security_administrator_reads_no_business_data(city, path: str) -> None:
    assert city.client("secadmin").get(path).status_code == 403


def test_only_approvers_and_requesters_list_requests(city) -> None:
    assert Role.SECURITY_ADMIN.value == "security_admin"
    with pytest.raises(PermissionDenied):
        grants.access_requests(city.scope("leader"))


def test_a_rejected_new_account_is_asked_for_again_and_opens_when_approved(city) -> None:
    c = city.client("sysadmin")
    c.post(
        "/admin/identity/user/add/",
        {"username": "crew91", "role": "officer", "bureau": str(city.bureau_id),
         "unit": str(city.user("chief").unit_id)},
    )  # fmt: skip
    first = AccessRequest.objects.get(user__username="crew91", state="pending")
    _decide(city, "secadmin", first, "reject", reason="身份未核实")
    user = User.objects.get(username="crew91")
    _change(c, user, first_name="新警")  # saved again, nothing waiting: asked again
    again = AccessRequest.objects.get(user=user, state="pending")
    assert again.new_account and again.pk != first.pk
    _change(c, user, first_name="新警乙")  # waiting already: not asked twice
    assert AccessRequest.objects.filter(user=user, state="pending").count() == 1
    r = _decide(city, "secadmin", again, "approve")
    assert r.status_code == 200 and _signs_in("crew91", r.context["password"])


def test_a_one_time_password_must_be_changed_at_the_first_sign_in(city, settings) -> None:
    """The password an approval sets is known to the security administrator who handed it on: its
    holder signs in with it once, and is sent to choose his own before any page opens."""
    settings.OTP_REQUIRED = False  # the second factor has its own tests; here, the password
    target = city.user("leader")
    city.client("sysadmin").post(
        "/admin/identity/user/",
        {"action": "request_password_reset", "_selected_action": [str(target.pk)]},
    )
    asked = AccessRequest.objects.get(user=target, kind="password", state="pending")
    password = _decide(city, "secadmin", asked, "approve").context["password"]
    holder = Client()
    assert holder.post("/login/", {"username": "leader", "password": password}).status_code == 302
    home = holder.get("/")
    assert home.status_code == 302 and home["Location"].startswith("/me/password/")
    assert 'id="password-temporary"' in holder.get(home["Location"]).content.decode()
    mine = "Leader-Own-Password-2027"
    changed = holder.post(
        "/me/password/",
        {"old_password": password, "new_password1": mine, "new_password2": mine},
    )
    assert changed.status_code == 302
    assert holder.get("/").status_code == 200  # his own password now: every page opens
