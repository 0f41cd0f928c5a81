"""The journeys of JOURNEYS.md that have no browser test of their own (issue 17), each driven
through the UI only, as its role: 1 the bureau chief's morning, 6 the station chief, 8 the system
administrator, 10 the planner's what-if. (2 and 3: test_dispatch_journey.py, test_crew.py.)

What a journey needs set up that no user of the journey does (an API token issued on the server,
an account locked by someone's mistyped password) is done first, by that someone; everything
the journey's user does is done in the browser, and each check reads what the page says."""

import datetime as dt
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from precinct.core import clock
from tests.e2e.test_browser import _menu, _sign_in
from tests.e2e.test_duties_journey import _try_sign_in, approve_in_browser, choose_own_password

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TZ = "Asia/Shanghai"
HOME = re.compile(r"^https?://[^/]+/$")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _number(text: str) -> float:
    """The first number a text says ("共找到 27 名民警" → 27, "1,271" → 1271)."""
    found = NUMBER.search(text)
    assert found, text
    return float(found[0].replace(",", ""))


def _cards(page: Any) -> dict[str, tuple[str, str]]:
    """The home page's figures: card key → (its number as shown, its note)."""
    out = {}
    for card in page.locator("a.stat[data-card]").all():
        note = card.locator(".note")
        out[card.get_attribute("data-card")] = (
            card.locator(".n").inner_text(),
            note.inner_text() if note.count() else "",
        )
    return out


def _open_card(page: Any, key: str) -> None:
    """From the home page, click a figure: its list opens."""
    if not HOME.match(page.url):
        page.goto("/")
    with page.expect_navigation():
        page.click(f"a.stat[data-card={key}]")


def _refused(page: Any) -> bool:
    return page.locator("h1", has_text=re.compile("^无权访问$")).count() == 1


def _pair(value: str) -> tuple[int, int]:
    """A card's "done / all" as two numbers: "36 / 43" → (36, 43)."""
    a, b = value.split("/")
    return int(a.replace(",", "")), int(b.replace(",", ""))


# --- what each figure's list must say -------------------------------------------------------
def _day_figures(day: dt.date) -> Callable[[Any, str, str], None]:
    def check(page: Any, value: str, note: str) -> None:
        """The street figures of that one day: as many incidents, the same street-handling
        rate as the card's note."""
        assert page.input_value("input[name=from]") == day.isoformat()
        assert page.input_value("input[name=to]") == day.isoformat()
        assert int(page.inner_text("#kpi-incidents")) == _number(value)
        street = page.locator("#kpi-street")
        police = int(street.get_attribute("data-police"))
        if police and note:
            rate = round(100 * int(street.get_attribute("data-street")) / police, 1)
            assert _number(note.split("%")[0]) == rate, (note, rate)

    return check


def _street_30_days(page: Any, value: str, note: str) -> None:
    today = clock.today(TZ)
    assert page.input_value("input[name=from]") == (today - dt.timedelta(days=29)).isoformat()
    assert page.input_value("input[name=to]") == today.isoformat()
    street = page.locator("#kpi-street")
    street_n, police = (
        int(street.get_attribute("data-street")),
        int(street.get_attribute("data-police")),
    )
    assert value == f"{round(100 * street_n / police, 1)}%"
    assert f"{police:,}" in note and f"{street_n:,}" in note


def _cars_on_the_board(page: Any, value: str, note: str) -> None:
    """The live board lists every car; those not off duty are the card's count."""
    on_duty, total = _pair(value)
    page.wait_for_selector("#live-state[data-live=live]")
    expect(page.locator("#units tr[data-id]")).to_have_count(total)
    on = page.locator("#units tr[data-id]:not([data-status=off_duty])").count()
    assert on == on_duty


def _waiting_on_the_board(page: Any, value: str, note: str) -> None:
    page.wait_for_selector("#live-state[data-live=live]")
    expect(page.locator("#incidents li[data-status=received]")).to_have_count(int(_number(value)))


def _findings(state: str) -> Callable[[Any, str, str], None]:
    def check(page: Any, value: str, note: str) -> None:
        """The findings list, filtered to the state: as many as the card says, each in it."""
        assert f"state={state}" in page.url
        assert page.input_value("select[name=state]") == state
        n = int(_number(page.inner_text("main p.muted >> nth=0")))
        assert n == _number(value)
        rows = page.locator("main table tbody tr td[class^=state-]")
        assert rows.count() == min(n, 50)
        assert all(c == f"state-{state}" for c in rows.evaluate_all("l => l.map(e => e.className)"))

    return check


def _three_ones(page: Any, value: str, note: str) -> dict[str, bool]:
    """The 三一 checklist by unit: a unit is done when none of warning / star creation /
    incentive is crossed; the card's "done / units" is the list's. Returns unit → done."""
    done, units = _pair(value)
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(units)
    status = {
        r.locator("td").first.inner_text(): r.locator(".state-overdue").count() == 0
        for r in rows.all()
    }
    assert len(status) == units and sum(status.values()) == done
    return status


def _campaign_progress(page: Any, value: str, note: str) -> None:
    """The campaigns under way: their checklists' items done over all items is the card's."""
    assert page.input_value("#phase") == "active"
    bars = page.locator("table.campaigns tbody progress")
    done = sum(int(float(v)) for v in bars.evaluate_all("l => l.map(e => e.value)"))
    total = sum(int(float(v)) for v in bars.evaluate_all("l => l.map(e => e.max)"))
    assert value == f"{round(100 * done / total) if total else 0}%"
    assert f"{done:,}" in note and f"{total:,}" in note


def _campaigns_overdue(page: Any, value: str, note: str) -> None:
    overdue = page.locator("table.campaigns tbody td.num").all_inner_texts()
    assert sum(int(x) for x in overdue) == _number(value)
    expect(page.locator("table.campaigns tbody tr")).to_have_count(int(_number(note)))


def _month_closed(page: Any, value: str, note: str) -> None:
    assert re.search(r"/merit/months/\d{4}-\d{2}/$", page.url)
    assert (value == "已结账") == (page.locator("#month-closed").count() == 1)


# --- journey 1 ------------------------------------------------------------------------------
def test_journey_1_the_bureau_chief_at_8_opens_every_figure_of_the_home_page(page) -> None:
    """Yesterday's incidents and street handling against the 70 % goal, cars on duty now
    against the plan, legal (custody) deadlines overdue and due, last month's 三一 per unit,
    campaign progress: each figure on the leader's home opens the list it counts."""
    today = clock.today(TZ)
    checks: dict[str, Callable[[Any, str, str], Any]] = {
        "incidents_yesterday": _day_figures(today - dt.timedelta(days=1)),
        "street_rate": _street_30_days,
        "cars_on_duty": _cars_on_the_board,
        "findings_overdue": _findings("overdue"),
        "findings_due_soon": _findings("due_soon"),
        "three_ones": _three_ones,
        "campaign_progress": _campaign_progress,
        "campaign_items_overdue": _campaigns_overdue,
        "incidents_today": _day_figures(today),
        "incidents_waiting": _waiting_on_the_board,
        "month_closed": _month_closed,
    }
    _sign_in(page, "leader")
    page.wait_for_url(HOME)
    cards = _cards(page)
    assert set(checks) <= set(cards), sorted(cards)
    assert _number(cards["incidents_yesterday"][0]) > 0  # the demo city's history ends yesterday
    assert "70%" in cards["incidents_yesterday"][1]  # the goal beside the rate
    assert _pair(cards["three_ones"][0])[1] > 1  # the 三一 of every unit, not one
    for key, (value, note) in cards.items():
        _open_card(page, key)
        assert not _refused(page), key
        assert not HOME.match(page.url), key  # it went somewhere
        if key in checks:
            checks[key](page, value, note)


# --- journey 6 ------------------------------------------------------------------------------
def _another_stations(browser: Any, app_server: Any, station: str) -> tuple[str, str, str]:
    """An officer's record and a case of another unit, as the leader opens them: (officer's
    address, officer's name, case's address). A link the station chief might be sent."""
    ctx = browser.new_context(base_url=app_server.url)
    try:
        p = ctx.new_page()
        p.set_default_timeout(15000)
        _sign_in(p, "leader")
        p.wait_for_url(HOME)
        p.goto("/org/officers/")
        row = (
            p.locator("#results tbody tr")
            .filter(has_not=p.locator("td:nth-child(7)", has_text=re.compile(f"^{station}$")))
            .first
        )
        link = row.locator("td:nth-child(2) a")
        officer, name = link.get_attribute("href"), link.inner_text()
        p.goto("/supervision/cases/")
        case_row = (
            p.locator("main table tbody tr")
            .filter(has_not=p.locator("td:nth-child(4)", has_text=re.compile(f"^{station}$")))
            .first
        )
        case = case_row.locator("a").first.get_attribute("href")
        for url in (officer, case):  # the leader opens them: they are there
            assert p.goto(url).status == 200
        return officer, name, case
    finally:
        ctx.close()


def test_journey_6_a_station_chief_sees_the_own_station_only(page, browser, app_server) -> None:
    _sign_in(page, "chief")
    page.wait_for_url(HOME)
    cards = _cards(page)
    wanted = {"officers", "cases", "findings_overdue", "findings_due_soon", "incidents_today",
              "zero_call_days", "campaign_progress", "three_ones"}  # fmt: skip
    assert wanted <= set(cards), sorted(cards)

    # the officers: the station's own, as many as the home page counts
    _open_card(page, "officers")
    assert _number(page.inner_text("main p.muted >> nth=0")) == _number(cards["officers"][0])
    units = set(page.locator("#results tbody tr td:nth-child(7)").all_inner_texts())
    assert len(units) == 1
    station = units.pop()
    assert station.endswith("派出所")

    # the cases and their deadlines
    _open_card(page, "cases")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(int(_number(cards["cases"][0])))
    assert set(page.locator("main table tbody tr td:nth-child(4)").all_inner_texts()) == {station}
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    assert re.search(r"/supervision/cases/[0-9a-f-]{36}/$", page.url)
    page.wait_for_selector("#timeline[data-drawn='1'] canvas")  # the deadlines drawn
    assert page.locator("main table").first.locator("tbody tr").count() >= 1
    for state in ("overdue", "due_soon"):
        _open_card(page, f"findings_{state}")
        _findings(state)(page, *cards[f"findings_{state}"])
        listed = set(page.locator("main table tbody tr td:nth-child(6)").all_inner_texts())
        assert listed <= {station}

    # the incidents today and the zero-call days of the last 30, of the station's area
    _open_card(page, "incidents_today")
    _day_figures(clock.today(TZ))(page, *cards["incidents_today"])
    _open_card(page, "zero_call_days")
    page.click("#zero-days >> xpath=ancestor::details/summary")
    zero = {
        r.locator("td").first.inner_text(): int(r.locator("td.num").inner_text())
        for r in page.locator("#zero-days tbody tr").all()
    }
    assert zero == {station: int(_number(cards["zero_call_days"][0]))}

    # the campaign checklist items the station owns, and only those
    _open_card(page, "campaign_progress")
    _campaign_progress(page, *cards["campaign_progress"])
    campaigns = [a.get_attribute("href") for a in page.locator("table.campaigns tbody a").all()]
    assert campaigns
    for href in campaigns:
        page.goto(href)
        owners = page.locator("#checklist table.checklist > tbody > tr > td:nth-child(3)")
        owners = owners.all_inner_texts()
        assert owners and set(owners) == {station}, (href, owners)

    # the station's 三一 checklist: its own row alone
    _open_card(page, "three_ones")
    assert list(_three_ones(page, *cards["three_ones"])) == [station]

    # another station's officer and case: not there for the chief (the leader opens them)
    officer, name, case = _another_stations(browser, app_server, station)
    response = page.goto(officer)
    assert response.status in (403, 404)
    assert name not in page.inner_text("body")
    assert page.goto(case).status in (403, 404)


# --- journey 8 ------------------------------------------------------------------------------
def _issue_token(app_server: Any, username: str) -> str:
    """`precinct token create` on the server (an integrator's step, not the sysadmin's)."""
    done = subprocess.run(
        [sys.executable, "-m", "precinct.cli", "token", "create", username, "--name", "接处警接口"],
        env=app_server.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def _signs_in(browser: Any, app_server: Any, username: str, password: str) -> bool:
    ctx = browser.new_context(base_url=app_server.url)
    try:
        p = ctx.new_page()
        p.set_default_timeout(15000)
        return _try_sign_in(p, username, password)
    finally:
        ctx.close()


def _admin_action(page: Any, row_text: str, action: str) -> None:
    """Tick the row that says ``row_text`` in an admin list, choose the action and run it."""
    row = page.locator("#result_list tbody tr", has_text=row_text)
    expect(row).to_have_count(1)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("#changelist-form button[name=index]")


def test_journey_8_the_system_administrator_manages_accounts_but_reads_no_data(
    page, browser, app_server
) -> None:
    # a sign-in name as the demo's crews have (a page may show one: the leftover-words test)
    username = f"crew{50 + uuid.uuid4().int % 25}"  # crew50 … crew74 (test_duties_journey: 75 …)
    # a token an integration uses, issued on the server; it works
    secret = _issue_token(app_server, "command")
    api = browser.new_context(base_url=app_server.url)
    bearer = {"Authorization": f"Bearer {secret}"}
    try:
        assert api.request.get("/api/v1/me", headers=bearer).status == 200

        _sign_in(page, "sysadmin")
        page.wait_for_url(HOME)
        cards = _cards(page)
        assert {"accounts", "locked", "tokens"} <= set(cards)

        # creates an account and asks for its role and unit (三员分立: no password from him;
        # the security administrator approves and hands over its first one, ADR 0036)
        page.click("main a.button.primary")  # 后台管理
        page.wait_for_url(re.compile(r"/admin/$"))
        page.click("a[href$='/admin/identity/user/add/']")
        page.wait_for_url(re.compile(r"/admin/identity/user/add/"))
        assert "edit more" not in page.inner_text("#content")  # said in Chinese
        page.fill("#id_username", username)
        page.select_option("#id_role", label="单位负责人")
        page.select_option("#id_bureau", index=1)
        page.select_option("#id_unit", label="光明派出所")
        with page.expect_navigation():
            page.click("input[name=_save]")
        assert page.locator(".messagelist .success").count() == 1
        page.goto("/admin/identity/user/?q=" + username)
        row = page.locator("#result_list tbody tr", has_text=username)
        expect(row).to_have_count(1)
        assert row.locator("td.field-role").inner_text() == "单位负责人"
        assert row.locator("td.field-unit").inner_text() == "光明派出所"
        one_time = approve_in_browser(browser, app_server, username)
        # its owner signs in with it once and chooses his own (the one-time one was seen)
        first = browser.new_context(base_url=app_server.url)
        try:
            owner = first.new_page()
            owner.set_default_timeout(15000)
            assert _try_sign_in(owner, username, one_time)
            password = choose_own_password(owner, one_time)
        finally:
            first.close()

        # its owner mistypes the password five times: locked out
        other = browser.new_context(base_url=app_server.url)
        try:
            mistyped = other.new_page()
            assert not any(_try_sign_in(mistyped, username, "Wrong-pw-2026!") for _ in range(5))
        finally:
            other.close()
        assert not _signs_in(browser, app_server, username, password)

        # the sysadmin finds it among the locked accounts and unlocks it
        page.goto("/")
        assert _number(_cards(page)["locked"][0]) >= 1
        _open_card(page, "locked")
        assert "locked=yes" in page.url
        _admin_action(page, username, "unlock")
        assert page.locator(".messagelist .success").count() == 1
        expect(page.locator("#result_list tbody tr", has_text=username)).to_have_count(0)
        assert _signs_in(browser, app_server, username, password)  # and the account is the
        # station chief of 光明派出所: its officers are that station's
        check = browser.new_context(base_url=app_server.url)
        try:
            p = check.new_page()
            p.set_default_timeout(15000)
            assert _try_sign_in(p, username, password)
            p.goto("/org/officers/")
            units = set(p.locator("#results tbody tr td:nth-child(7)").all_inner_texts())
            assert units == {"光明派出所"}
        finally:
            check.close()

        # no case, no officer's record, no audit log: the menu has none, the address is refused
        page.goto("/")
        nav = page.locator("#main-nav")
        assert nav.locator("a[href='/admin/']").count() == 1
        for start in ("/org/officers/", "/supervision/cases/", "/audit/"):
            assert nav.locator(f"a[href^='{start}']").count() == 0, start
        officer, _name, case = _another_stations(browser, app_server, "光明派出所")
        for url in (case, officer, "/audit/"):
            response = page.goto(url)
            assert response.status == 403 and _refused(page), url

        # revokes the token: the integration's calls are refused from then on
        page.goto("/")
        _open_card(page, "tokens")
        assert "revoked_at__isnull=True" in page.url  # the tokens in use
        prefixes = [  # each token shown by its first characters
            t.strip().rstrip("…")
            for t in page.locator("#result_list tbody tr th").all_inner_texts()
        ]
        assert len(prefixes) == _number(cards["tokens"][0])
        mine = [p for p in prefixes if secret.startswith(p)]
        assert len(mine) == 1
        _admin_action(page, mine[0], "revoke")
        assert page.locator(".messagelist .success").inner_text() == "已吊销。"
        assert api.request.get("/api/v1/me", headers=bearer).status == 401
    finally:
        api.close()


# --- journey 10 -----------------------------------------------------------------------------
def _what_if(page: Any, cars: int) -> list[str]:
    """Start a planning run for ``cars`` cars on the last 14 days, follow its progress, and
    read the figures the result sets beside the current plan (each "now → what-if")."""
    page.goto("/planning/")
    page.fill("input[name=cars]", str(cars))
    page.fill("input[name=minutes]", "5")
    page.fill("input[name=days]", "14")
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/planning/runs/[0-9a-f-]{36}/$"))
    assert re.search(rf"\b{cars}\b", page.inner_text("h1"))
    # the progress bar while it runs (unless it is done already), then the results
    page.wait_for_selector("#progress progress, #progress[data-status=done]")
    page.wait_for_selector("#kpi-best", timeout=300_000)
    page.wait_for_selector("[data-source=plan-workload][data-drawn]")  # workload per car
    page.wait_for_selector("#plan-map[data-drawn]")  # the posts now and the what-if's
    assert re.search(rf"\b{cars}\b", page.inner_text("#kpi-best >> xpath=.."))
    # the current plan and the what-if side by side: load, minutes per call, all cars busy
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    return page.locator("ul.kpis li").all_inner_texts()


def _runs(page: Any, cars: int) -> int:
    """How many runs of ``cars`` cars the planning page lists."""
    scenarios = page.locator("main table tbody tr td:nth-child(3)").all_inner_texts()
    return sum(1 for s in scenarios if re.match(rf"{cars}\D", s))


def test_journey_10_a_planner_sets_44_and_48_cars_beside_the_current_plan(page) -> None:
    """Two what-ifs, 44 and 48 cars on optimised standby posts; each shows its 5-minute
    reach, street handling and workload beside the current plan's; then the two runs are ticked
    on the planning page and compared: one table, the current plan and a column for each."""
    _sign_in(page, "command")
    page.wait_for_url(HOME)
    _menu(page, "巡防规划")
    page.wait_for_url(re.compile(r"/planning/$"))
    before = {cars: _runs(page, cars) for cars in (44, 48)}
    run_ids = {}
    for cars in (44, 48):
        kpis = _what_if(page, cars)
        run_ids[cars] = page.url.rstrip("/").rsplit("/", 1)[-1]
        side_by_side = [k for k in kpis if re.search(r"\d+%\s*→\s*\d+%", k)]
        assert any("5" in k for k in side_by_side), kpis  # on scene within 5 minutes
        assert len(side_by_side) >= 3, kpis  # and street handling, nearest post and replay
    page.goto("/planning/")
    assert {cars: _runs(page, cars) for cars in (44, 48)} == {
        44: before[44] + 1,
        48: before[48] + 1,
    }
    # the two what-ifs side by side: tick them in the list of runs and compare
    compared = page.locator("#plan-compare tr[data-row=within_5] td")
    assert "/planning/compare/" not in page.url and compared.count() == 0
    for cars in (44, 48):
        page.check(f"input[name=runs][value='{run_ids[cars]}']")
    page.click("#compare-runs")
    page.wait_for_url(re.compile(r"/planning/compare/\?"))
    heads = page.locator("#plan-compare th[data-column=run]")
    expect(heads).to_have_count(2)
    assert [heads.nth(i).get_attribute("data-cars") for i in range(2)] == ["44", "48"]
    assert [heads.nth(i).get_attribute("data-run") for i in range(2)] == [
        run_ids[44],
        run_ids[48],
    ]
    expect(page.locator("#plan-compare th[data-column=current]")).to_have_count(1)
    for key in ("street", "workload_mean"):  # street handling and workload, every column
        expect(page.locator(f"#plan-compare tr[data-row={key}] td")).to_have_count(3)
    page.wait_for_selector("[data-source=compare-coverage][data-drawn]")  # the bar chart
    # the 5-minute coverage of the current plan, 44 and 48 cars, each as a percentage
    expect(compared).to_have_count(3)
    shown = [t.strip() for t in compared.all_inner_texts()]
    assert len(shown) == 3 and all(re.fullmatch(r"\d+(\.\d)?%", t) for t in shown), shown
