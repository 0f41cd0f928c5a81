"""三员分立 in the browser (issue 18, V7, ADR 0036): the system administrator creates an account and
asks for its role; it cannot sign in, he cannot set its password; the security administrator
approves it on his own page and reads its first password, once; the account then signs in with the
role asked for. Everything through the UI, each as his role."""

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HOME = re.compile(r"^https?://[^/]+/$")


def approve_in_browser(browser: Any, app_server: Any, username: str) -> str:
    """The security administrator, in a browser of his own: from his home's count of waiting
    requests to his approvals page, approves the request about ``username``; the page shows the
    account's one-time password (when the approval sets one), which is returned."""
    ctx = browser.new_context(base_url=app_server.url)
    try:
        page = ctx.new_page()
        page.set_default_timeout(15000)
        _sign_in(page, "secadmin")
        page.wait_for_url(HOME)
        with page.expect_navigation():
            page.click("a.stat[data-card=access_requests]")
        assert page.url.endswith("/audit/grants/")
        card = page.locator("section.card[data-request]", has_text=username)
        expect(card).to_have_count(1)
        with page.expect_navigation():
            card.locator("button[value=approve]").click()
        shown = page.locator("#one-time-password")
        return shown.inner_text().strip() if shown.count() else ""
    finally:
        ctx.close()


def choose_own_password(page: Any, one_time: str) -> str:
    """At the first sign-in with a one-time password, the page asks for one's own: chosen, and
    returned."""
    page.wait_for_url(re.compile(r"/me/password/"))
    assert page.locator("#password-temporary").count() == 1
    own = "Own-Password-" + uuid.uuid4().hex[:10]
    page.fill("#id_old_password", one_time)
    page.fill("#id_new_password1", own)
    page.fill("#id_new_password2", own)
    with page.expect_navigation():
        page.click("main button[type=submit].primary")
    assert "/me/password/" not in page.url
    return own


def _try_sign_in(page: Any, username: str, password: str) -> bool:
    """The login form, once: whether it let the user in."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    return "/login/" not in page.url


def test_a_role_is_asked_for_by_the_sysadmin_and_given_by_the_security_administrator(
    page, browser, app_server
) -> None:
    # a sign-in name as the demo's crews have (a page may show one: the leftover-words test);
    # journey 8 takes its own from crew50 … crew74
    username = f"crew{75 + uuid.uuid4().int % 25}"
    _sign_in(page, "sysadmin")
    page.wait_for_url(HOME)

    # the sysadmin creates an account for the command centre: no password is asked of him
    page.goto("/admin/identity/user/add/")
    assert page.locator("#id_password1").count() == 0
    page.fill("#id_username", username)
    page.select_option("#id_role", label="指挥中心")
    page.select_option("#id_bureau", index=1)
    with page.expect_navigation():
        page.click("input[name=_save]")
    assert page.locator(".messagelist .warning").count() == 1  # awaits approval
    account = re.search(r"/admin/identity/user/([0-9a-f-]+)/change/", page.url)
    assert account, page.url
    # … nor may he set one, nor approve his own request
    response = page.goto(f"/admin/identity/user/{account[1]}/password/")
    assert response is not None and response.status == 403
    response = page.goto("/audit/grants/")
    assert response is not None and response.status == 403
    # the account is closed until the security administrator decides
    page.goto("/admin/identity/user/?q=" + username)
    row = page.locator("#result_list tbody tr", has_text=username)
    expect(row).to_have_count(1)
    assert row.locator("td.field-awaiting img[alt=True]").count() == 1

    password = approve_in_browser(browser, app_server, username)
    assert len(password) >= 12

    # the account now signs in with that password, as the command centre
    ctx = browser.new_context(base_url=app_server.url)
    try:
        p = ctx.new_page()
        p.set_default_timeout(15000)
        assert _try_sign_in(p, username, password)
        choose_own_password(p, password)
        response = p.goto("/command/")
        assert response is not None and response.status == 200
    finally:
        ctx.close()
    page.goto("/admin/identity/user/?q=" + username)
    row = page.locator("#result_list tbody tr", has_text=username)
    assert row.locator("td.field-awaiting img[alt=False]").count() == 1
    assert row.locator("td.field-is_active img[alt=True]").count() == 1
