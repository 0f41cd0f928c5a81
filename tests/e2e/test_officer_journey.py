"""Journey 7 in a real browser, through the pages only: the officer opens 我的 from the menu, sees
his stars by month drawn, submits an achievement of his own with its evidence; the political
department rejects it with a reason on its achievements list; the officer sees the decision and
the reason on his page."""

import re
import uuid

import pytest
from django.utils import translation

from precinct.demo.services import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LOCAL = re.compile(r"^(https?|wss?)://127\.0\.0\.1:\d+/")
_DRAWN = """source => {
  const el = document.querySelector(`[data-chart][data-source="${source}"]`);
  const canvas = el.querySelector("canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
  return {
    inked: inked,
    drawn: echarts.getInstanceByDom(el).getOption().series[0].data,
    data: JSON.parse(document.getElementById(source).textContent).values,
  };
}"""


def _label(context: str, message: str) -> str:
    """What the menu says, in the language the server speaks (its catalog is this one)."""
    with translation.override("zh-hans"):
        return translation.pgettext(context, message) if context else translation.gettext(message)


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))


def _menu(page, label: str) -> None:
    """Open a page from the menu as a user does: its group first, when it is in one."""
    exact = re.compile(f"^{re.escape(label)}$")
    link = page.locator("#main-nav a", has_text=exact)
    if not link.is_visible():
        page.locator("#main-nav details", has=page.locator("a", has_text=exact)).locator(
            "summary"
        ).click()
    link.click()


def test_an_officer_submits_an_achievement_and_sees_the_decision(page, browser, app_server):
    evidence, reason = f"XS-E2E-ME-{uuid.uuid4().hex[:6]}", "佐证不足，请补充立案决定书文号"

    _sign_in(page, "officer")
    _menu(page, _label("menu", "Me"))
    page.wait_for_url(re.compile(r"/me/$"))
    page.wait_for_selector("[data-source=me-stars] canvas")
    page.wait_for_selector("[data-source=me-points][data-drawn]")
    stars = page.evaluate(_DRAWN, "me-stars")
    assert stars["drawn"] == stars["data"] and len(stars["data"]) == 12, stars  # his, drawn
    assert stars["inked"] > 500
    assert page.locator("#my-months a[href*='/officers/']").count() >= 1  # months explained

    form = page.locator("#submit-achievement")
    form.locator("#id_kind").select_option("rescue")
    form.locator("#id_evidence").fill(evidence)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator(".messages li.success").count() == 1
    mine = page.locator("#my-achievements tbody tr", has_text=evidence)
    assert mine.get_attribute("data-state") == "submitted"
    assert reason not in mine.inner_text()

    desk = browser.new_context(base_url=app_server.url, locale="en-US")
    external: list[str] = []
    try:
        political = desk.new_page()
        political.set_default_timeout(15000)
        political.on("request", lambda r: None if LOCAL.match(r.url) else external.append(r.url))
        _sign_in(political, "political")
        _menu(political, _label("", "Achievements"))
        political.wait_for_url(re.compile(r"/merit/achievements/"))
        row = political.locator("main tbody tr", has_text=evidence)
        row.locator("input[name=ids]").check()
        political.fill("#reason", reason)
        with political.expect_navigation():
            political.click("button[name=decision][value=reject]")
        assert political.locator(".messages li.success").count() == 1
    finally:
        desk.close()
    assert external == [], f"requests left the machine: {external}"

    page.reload()
    mine = page.locator("#my-achievements tbody tr", has_text=evidence)
    assert mine.get_attribute("data-state") == "rejected"
    assert mine.locator("td.reason").inner_text() == reason
