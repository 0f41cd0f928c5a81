"""Take the README's screenshots from a running demo (`make run`):
python scripts/screenshots.py URL [NAME.png ...]  (only those named, when any)"""

import subprocess
import sys
import time
from pathlib import Path

import pyotp
from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
ONLY = set(sys.argv[2:])
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "Hegang-Demo-2026!"
SHOTS = [
    ("political", "/", "home-political.png"),
    ("leader", "/", "home-leader.png"),
    ("legal", "/", "home-legal.png"),
    ("command", "/", "home-command.png"),
    ("chief", "/", "home-chief.png"),
    ("officer", "/", "home-officer.png"),
    ("officer", "/me/", "me.png"),
    ("sysadmin", "/", "home-sysadmin.png"),
    ("auditor", "/", "home-auditor.png"),
    ("secadmin", "/", "home-secadmin.png"),
    ("sysadmin", "/accounts/", "accounts.png"),
    ("legal", "/supervision/", "supervision.png"),
    ("legal", "CASE", "case.png"),
    ("political", "/org/officers/?age_band=55%2B", "officers.png"),
    ("leader", "/org/units/", "units.png"),
    ("auditor", "/audit/", "audit.png"),
    ("political", "/merit/", "merit.png"),
    ("political", "/merit/promotion/?band=50%2B", "promotion.png"),
    ("political", "/merit/recruits/", "recruits.png"),
    ("command", "/command/", "board.png"),
    ("command", "/command/figures/?from=2025-11-27", "figures.png"),
    ("command", "/planning/", "planning.png"),
    ("legal", "/campaigns/", "campaigns.png"),
    ("political", "/org/deployment/", "deployment.png"),
    ("leader", "/province/", "province.png"),
    ("leader", "/stats/", "stats.png"),
]


SECRETS: dict[str, str] = {}  # each demo user's authenticator, enrolled at his first sign-in
LAST_STEP: dict[str, int] = {}


def enrolment_code(username: str) -> str:
    """A fresh enrolment code for the user, as the system administrator issues one (the command
    line of this checkout, on the demo's database)."""
    done = subprocess.run(  # noqa: S603 - our own command, a demo login
        [sys.executable, "-m", "precinct.cli", "accounts", "enrolment-code", username],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip().rsplit(" ", 1)[-1]


def second_factor(page, username: str, shoot: bool) -> None:  # type: ignore[no-untyped-def]
    """Enrol an authenticator at a user's first sign-in (reading the key off the page), or give
    the next unused code; a code works once, so wait for a new 30 s step when needed."""
    page.wait_for_load_state()
    if "/login/otp/setup/" in page.url and page.locator("#id_enrolment_code").count():
        page.fill("#id_enrolment_code", enrolment_code(username))  # given by the sysadmin
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
    if "/login/otp/setup/" in page.url:
        if shoot:
            page.screenshot(path=str(OUT / "otp-setup.png"))
        SECRETS[username] = page.inner_text("#otp-secret").replace(" ", "")
    elif "/login/otp/" not in page.url:
        return
    totp = pyotp.TOTP(SECRETS[username])
    while totp.timecode(time.time()) <= LAST_STEP.get(username, -1):
        time.sleep(1)
    LAST_STEP[username] = totp.timecode(time.time())
    page.fill("#id_code", totp.now())
    page.click("button[type=submit].primary")
    if page.locator("#recovery-codes").count():
        page.click("a.button.primary")


def sign_in(ctx, username: str, at: str = "/"):  # type: ignore[no-untyped-def]
    page = ctx.new_page()
    page.goto("/login/?next=" + at)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    second_factor(page, username, shoot=False)
    page.wait_for_url(f"{BASE}{at}")
    return page


def intake_and_crew(browser) -> None:  # type: ignore[no-untyped-def]
    """The board with a call being taken (board-intake.png); the call registered and the first
    recommended car sent; that car's terminal on a phone (crew.png)."""
    ctx = browser.new_context(base_url=BASE, viewport={"width": 1280, "height": 800})
    page = sign_in(ctx, "command", "/command/")
    page.wait_for_selector("#map[data-roads]")
    page.wait_for_selector("#live-state[data-live=live]")
    page.keyboard.press("Alt+n")
    page.keyboard.type("13845671234")
    page.keyboard.press("Tab")
    page.keyboard.type("李女士")
    page.keyboard.press("Tab")
    page.keyboard.type("光明街8")
    page.wait_for_selector("#address-options [role=option]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#in-point[data-set='1']")
    page.select_option("#in-category", "dispute")
    page.fill("#in-summary", "楼上漏水引发纠纷，双方情绪激动")
    page.wait_for_timeout(500)
    if not ONLY or "board-intake.png" in ONLY:
        page.screenshot(path=str(OUT / "board-intake.png"))
    if ONLY and "crew.png" not in ONLY:
        ctx.close()
        return
    page.keyboard.press("Enter")
    page.wait_for_selector("#recommendations[data-ready='1'] li button")
    sign = page.locator("#recommendations li strong").first.inner_text().split(". ")[1].strip()
    page.keyboard.press("Enter")
    page.wait_for_selector("#timeline li[data-kind=dispatched]")
    phone_ctx = browser.new_context(
        base_url=BASE,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    phone = sign_in(phone_ctx, f"crew{int(sign[1:]):02d}", "/crew/")
    phone.wait_for_selector("#assignment[data-incident] #incident-number:not(:empty)")
    phone.click("#actions button[data-step=en_route]")
    phone.wait_for_selector("#actions button[data-step=on_scene]")
    phone.wait_for_timeout(800)
    phone.screenshot(path=str(OUT / "crew.png"))
    phone_ctx.close()
    ctx.close()


def planning_compare(browser) -> None:  # type: ignore[no-untyped-def]
    """Two what-ifs (44 and 48 cars), ticked on the planning page and compared."""
    ctx = browser.new_context(base_url=BASE, viewport={"width": 1280, "height": 800})
    page = sign_in(ctx, "command", "/planning/")
    runs = []
    for cars in (44, 48):
        page.goto("/planning/")
        page.fill("input[name=cars]", str(cars))
        page.fill("input[name=days]", "30")
        page.click("form button.primary")
        page.wait_for_selector("#kpi-best", timeout=300000)
        runs.append(page.url.rstrip("/").rsplit("/", 1)[-1])
    page.goto("/planning/")
    for run in runs:
        page.check(f"input[name=runs][value='{run}']")
    page.click("#compare-runs")
    page.wait_for_selector("[data-source=compare-coverage][data-drawn]")
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / "planning-compare.png"), full_page=True)
    ctx.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for username, path, name in SHOTS:
            if ONLY and name not in ONLY:
                continue
            ctx = browser.new_context(base_url=BASE, viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.goto("/login/")
            if name == "home-political.png":
                page.screenshot(path=str(OUT / "login.png"))
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit].primary")
            second_factor(page, username, shoot=name == "home-political.png")
            page.wait_for_url(f"{BASE}/")
            if path == "CASE":  # the first overdue finding's case
                page.goto("/supervision/findings/?state=overdue")
                page.locator("table tbody a").first.click()
                page.wait_for_selector("#timeline[data-drawn='1'] canvas")
                page.wait_for_timeout(500)
                page.screenshot(path=str(OUT / name), full_page=True)
                ctx.close()
                continue
            page.goto(path)
            if name == "promotion.png":
                page.locator("main table.promotion > tbody > tr summary").first.click()
            if name == "board.png":  # the road network drawn and the live stream connected
                page.wait_for_selector("#map[data-roads]")
                page.wait_for_selector("#live-state[data-live=live]")
                page.wait_for_timeout(500)
            if name == "planning.png":  # run a scenario and wait for its results
                page.fill("input[name=cars]", "30")
                page.fill("input[name=minutes]", "3")
                page.click("form button.primary")
                page.wait_for_selector("#kpi-best", timeout=120000)
                page.wait_for_selector("#plan-map[data-drawn]")
                page.wait_for_timeout(800)
            if name in ("figures.png", "campaigns.png", "stats.png", "deployment.png"):
                page.wait_for_selector("[data-chart=series][data-drawn], [data-chart=bars] canvas")
                page.wait_for_timeout(500)
            if name.startswith("home-") or name == "me.png":  # the cards and charts drawn
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)
            if name in ("supervision.png", "merit.png", "promotion.png"):
                page.wait_for_selector("[data-chart=trend] canvas, [data-chart=bars] canvas")
                page.wait_for_timeout(500)
            if name == "officers.png":
                page.locator("#results tbody a").first.click()
                page.wait_for_load_state()
                page.screenshot(path=str(OUT / "officer.png"))
                page.goto(path)
            page.screenshot(path=str(OUT / name))
            ctx.close()
        if not ONLY or ONLY & {"board-intake.png", "crew.png"}:
            intake_and_crew(browser)
        if not ONLY or "planning-compare.png" in ONLY:
            planning_compare(browser)
        browser.close()


if __name__ == "__main__":
    main()
