"""The 110 loop on screen, through the UI alone (issue 16): the dispatcher takes the call on the
board (the standard address register, the keyboard), sends the recommended car; the car's crew
on a phone reports 出发, 到达现场, 处置完毕; the board follows each step live and the incident
ends closed, counted as handled on the street. And no English word or raw code on those pages."""

import re
from typing import Any

import pytest

from precinct.demo.services import DEMO_PASSWORD
from tests.e2e import test_no_leftover_words as leftover

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


def _sign_in(page: Any, username: str, at: str) -> None:
    page.goto(at)  # signed out: the login page, coming back here
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(re.escape(at) + "$"))


def _street_counts(page: Any) -> tuple[int, int]:
    """(handled on the street, police incidents closed) over the last 30 days, as the figures
    page says them."""
    page.goto("/command/figures/")
    cell = page.locator("#kpi-street")
    return int(cell.get_attribute("data-street")), int(cell.get_attribute("data-police"))


def test_a_call_taken_on_the_board_is_closed_by_the_crew_on_the_street(
    page: Any, browser: Any, app_server: Any
) -> None:
    _sign_in(page, "command", "/command/figures/")
    street_before, police_before = _street_counts(page)
    page.goto("/command/")
    page.wait_for_selector("#live-state[data-live=live]")
    page.wait_for_selector("#map[data-roads]")
    # 新建警情 (the button; Alt+N does the same), then the keyboard only: the fields in order,
    # the address from the register
    assert page.locator("#intake").is_hidden()
    page.get_by_role("button", name=re.compile("^新建警情")).click()
    page.wait_for_selector("#intake:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "in-phone"
    page.keyboard.type("13845671234")
    page.keyboard.press("Tab")
    page.keyboard.type("张先生")
    page.keyboard.press("Tab")
    page.keyboard.type("红军路12")
    page.wait_for_selector("#address-options [role=option]")
    assert page.inner_text("#address-options [aria-selected=true]") == "红军路12号"  # closest first
    page.keyboard.press("Enter")  # picks the suggestion: the place is set from the register
    page.wait_for_selector("#in-point[data-set='1']")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "in-summary"
    page.keyboard.type("邻里纠纷，双方在楼道争吵")
    page.keyboard.press("Enter")  # 登记
    page.wait_for_selector("#incident:not([hidden]) #timeline li[data-kind=received]")
    number = page.inner_text("#incident-number")
    assert number.startswith("JQ")
    assert page.inner_text("#incident-where") == "红军路12号"
    # the recommended car has the focus: Enter sends it (派警)
    page.wait_for_selector("#recommendations[data-ready='1'] li button")
    first = page.locator("#recommendations li").first
    call_sign = first.locator("strong").inner_text().split(". ")[1].strip()
    assert (
        page.evaluate("document.activeElement.textContent") == first.locator("button").inner_text()
    )
    page.keyboard.press("Enter")
    page.wait_for_selector("#dispatch-message.ok")
    page.wait_for_selector("#timeline li[data-kind=dispatched]")
    crew = f"crew{int(call_sign[1:]):02d}"
    # the car's crew, on a phone
    phone_ctx = browser.new_context(
        base_url=app_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        phone = phone_ctx.new_page()
        phone.set_default_timeout(15000)
        _sign_in(phone, crew, "/crew/")
        phone.wait_for_selector(f"#assignment[data-incident] #incident-number:has-text('{number}')")
        assert phone.inner_text("#call-sign") == call_sign
        assert "****" in phone.inner_text("#caller-phone")  # the crew sees the number masked
        for step, kind in (("en_route", "en_route"), ("on_scene", "on_scene")):
            phone.click(f"#actions button[data-step={step}]")
            # the dispatcher's board shows the step without a reload
            page.wait_for_selector(f"#timeline li[data-kind={kind}]", timeout=5000)
        phone.click("#actions button[data-step=clear]")
        phone.check("#clear-form input[name=disposition][value=street]")
        phone.fill("#clear-note", "当场调解")
        phone.click("#clear-confirm")
        page.wait_for_selector("#timeline li[data-kind=closed]", timeout=5000)
        phone.wait_for_selector("#no-assignment:not([hidden])")
    finally:
        phone_ctx.close()
    assert page.get_attribute("#incident", "data-status") == "closed"
    assert "当场调解" in page.inner_text("#timeline")
    assert page.locator(f"#incidents li:has-text('{number}')").count() == 0
    # counted as handled on the street in the figures (the browser tests run one at a time)
    assert _street_counts(page) == (street_before + 1, police_before + 1)


LATIN = re.compile(r"[A-Za-z]{2,}")
# the words every page may show (tests/e2e/test_no_leftover_words.py says why each), and the Esc
# key of the intake form's keyboard hints
ALLOWED_WORDS = frozenset(leftover.ALLOWED) | {"Esc"}


def _words(page: Any) -> set[str]:
    """The Latin words a user can read on the page: its text and the visible fields' hints."""
    text = page.evaluate(
        """() => [document.body.innerText].concat(
            Array.from(document.querySelectorAll('input, textarea, button, select, [aria-label]'))
              .filter(e => e.offsetParent !== null)
              .map(e => [e.placeholder || '', e.getAttribute('aria-label') || '', e.title || ''].join(' '))
          ).join(' ')"""
    )
    return {w for w in LATIN.findall(re.sub(r"JQ\d+", " ", text)) if w not in ALLOWED_WORDS}


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant"])
def test_no_english_or_raw_code_on_the_board_the_incident_and_the_crew_page(
    browser: Any, app_server: Any, language: str
) -> None:
    found: dict[str, set[str]] = {}

    def context(viewport: dict[str, int]) -> Any:
        ctx = browser.new_context(base_url=app_server.url, viewport=viewport)
        ctx.add_cookies([{"name": "precinct_language", "value": language, "url": app_server.url}])
        return ctx

    desk = context({"width": 1440, "height": 900})
    try:
        p = desk.new_page()
        p.set_default_timeout(15000)
        _sign_in(p, "command", "/command/")
        p.wait_for_selector("#live-state[data-live=live]")
        # the intake form with its suggestions and a refusal; then an incident with its
        # timeline, its car and the recommendations
        p.keyboard.press("Alt+n")
        p.fill("#in-address", "解放路3")
        p.wait_for_selector("#address-options [role=option]")
        p.click("#intake-submit")
        p.wait_for_selector("#intake-errors:not(:empty)")
        assert p.get_attribute("html", "lang") == language  # the language asked for
        found["intake"] = _words(p)
        p.focus("#in-address")
        p.keyboard.press("ArrowDown")  # the suggestions again
        p.wait_for_selector("#address-options:not([hidden]) [aria-selected=true]")
        p.keyboard.press("Enter")
        p.wait_for_selector("#in-point[data-set='1']")
        p.fill("#in-summary", "路边有人争吵")
        p.click("#intake-submit")
        p.wait_for_selector("#recommendations[data-ready='1'] li button")
        sign = p.locator("#recommendations li strong").first.inner_text().split(". ")[1].strip()
        p.locator("#recommendations li button").first.click()
        p.wait_for_selector("#timeline li[data-kind=dispatched]")
        found["incident"] = _words(p)
        crew = context(PHONE)
        try:
            phone = crew.new_page()
            phone.set_default_timeout(15000)
            _sign_in(phone, f"crew{int(sign[1:]):02d}", "/crew/")
            phone.wait_for_selector("#live[data-live=live]")
            phone.wait_for_selector("#assignment[data-incident] #incident-number:not(:empty)")
            phone.click("#actions button[data-step=on_scene]")
            phone.wait_for_selector("#actions button[data-step=clear]")
            phone.click("#actions button[data-step=clear]")
            assert phone.get_attribute("html", "lang") == language
            found["crew"] = _words(phone)
        finally:
            crew.close()
    finally:
        desk.close()
    assert set(found) == {"intake", "incident", "crew"}
    assert all(not words for words in found.values()), found
