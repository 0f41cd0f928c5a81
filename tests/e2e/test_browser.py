"""Journeys in a real browser (Debian's Chromium via Playwright) against `precinct serve`."""

import re

import pytest

from precinct.demo.services import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")


def _menu(page, label: str) -> None:
    """Open a page from the menu as a user does: its group first, when it is in one."""
    exact = re.compile(f"^{re.escape(label)}$")
    link = page.locator("#main-nav a", has_text=exact)
    if not link.is_visible():  # in a closed group (has= looks inside each group)
        page.locator("#main-nav details", has=page.locator("a", has_text=exact)).locator(
            "summary"
        ).click()
    link.click()


def test_search_open_switch_language_and_sign_out(page) -> None:
    _sign_in(page, "political")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#main-nav a", has_text=re.compile("^民警$")).count() == 1

    _menu(page, "民警")
    page.wait_for_url(re.compile(r"/org/officers/"))
    first_name = page.locator("#results tbody tr td:nth-child(2) a").first.inner_text()
    page.fill("#q", first_name)  # htmx searches as you type
    page.wait_for_function(
        "name => [...document.querySelectorAll('#results tbody tr td:nth-child(2) a')]"
        ".every(a => a.textContent.includes(name))",
        arg=first_name,
    )
    assert "q=" in page.url  # the search is in the address bar: shareable, back-button safe

    page.locator("#results tbody tr td:nth-child(2) a").first.click()
    page.wait_for_url(re.compile(r"/org/officers/[0-9a-f-]{36}/$"))
    assert first_name in page.inner_text("h1")
    assert page.locator("table tbody tr").count() >= 1  # posting history

    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Postings" in page.inner_text("main")
    with page.expect_navigation():
        page.select_option("#language", "zh-hant")
    assert page.locator("html").get_attribute("lang") == "zh-hant"

    page.click("header form button[type=submit].link")
    page.wait_for_url(re.compile(r"/login/"))
    page.goto("/org/officers/")
    assert "/login/" in page.url


LOCKABLE = "auditor-lock"  # an account of its own: while it is locked, the auditor's journeys go on


@pytest.fixture
def lockable(app_server) -> str:
    """A second auditor account, made on the server for this test (once per server)."""
    import subprocess
    import sys

    make = (
        "from precinct.identity.models import User; from precinct.core.actors import Actor, "
        "acting_as\n"
        f"if not User.objects.filter(username={LOCKABLE!r}).exists():\n"
        "    u = User.objects.get(username='auditor'); u.pk = None; u._state.adding = True\n"
        f"    u.username = {LOCKABLE!r}; u.set_password({DEMO_PASSWORD!r})\n"
        "    with acting_as(Actor(username='cli', role='system')): u.save()\n"
    )
    subprocess.run(
        [sys.executable, "-m", "precinct.cli", "shell", "-c", make],
        env=app_server.env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return LOCKABLE


def test_a_locked_out_login(page, lockable) -> None:
    for _ in range(4):
        with page.expect_navigation():
            _sign_in(page, lockable, "definitely-wrong-pw")
        # a wrong password: the form again, with the warning (which names the lock to come)
        assert page.inner_text("h1") == "登录"
    with page.expect_navigation():
        _sign_in(page, lockable, "definitely-wrong-pw")  # the fifth failure locks the account
    page.goto("/login/")
    page.fill("#id_username", lockable)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit].primary")  # the right password no longer works
    assert "/login/" in page.url
    assert page.locator("[role=alert]").count() == 1
    # until when (15 minutes for a first lock, in the bureau's time), and who can unlock sooner
    assert re.fullmatch(
        r"登录失败次数过多，账号已被锁定至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}；系统管理员可提前解锁。",
        page.inner_text("[role=alert]"),
    ), page.inner_text("[role=alert]")
    assert page.inner_text("h1") == "账号已锁定"


def test_a_chief_sees_only_the_station(page) -> None:
    _sign_in(page, "chief")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/org/units/")
    names = page.locator(".tree a").all_inner_texts()
    assert len(names) == 1 and names[0].endswith("派出所")


def test_the_phone_layout_keeps_the_list_usable(page) -> None:
    """The list opened on a desk, then on a phone's width: the minor columns give way, nothing
    runs off the side of the screen: the name (the link to the record) and signing out stay on it."""
    _sign_in(page, "officer")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/org/officers/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1  # an officer sees their own record only
    minor = rows.first.locator("td.hide-narrow")  # gender, rank, status
    assert minor.count() == 3 and all(c.is_visible() for c in minor.all())
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    name = rows.first.locator("td:nth-child(2) a")
    box = name.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    sign_out = page.locator("header form button").last.bounding_box()
    assert sign_out is not None and sign_out["x"] + sign_out["width"] <= 390
    assert [c.is_visible() for c in minor.all()] == [False, False, False]


def test_a_legal_officer_opens_a_case_and_its_timeline_is_drawn(page) -> None:
    _sign_in(page, "legal")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/supervision/")
    page.wait_for_selector("[data-chart=trend] canvas")
    page.goto("/supervision/cases/")
    page.click("text=XS-E2E-1")
    page.wait_for_url(re.compile(r"/supervision/cases/[0-9a-f-]{36}/$"))
    page.wait_for_selector("#timeline[data-drawn='1'] canvas")
    assert "C02" in page.inner_text("main") and "C05" in page.inner_text("main")
    # a ticket for the late delivery is open; send it to accountability with a reason
    row = page.locator("#tickets tbody tr", has_text="C02")
    state = row.locator("td:nth-child(2)")
    assert state.inner_text() != "问责"  # its state column; the "→ 问责" button is in the row
    to_accountability = row.locator("form", has=page.locator("input[value=accountability]"))
    to_accountability.locator("input[name=note]").fill("送押超时")
    with page.expect_navigation():
        to_accountability.locator("button").click()
    assert page.inner_text(".messages li.success") == "督办单已更新。"
    assert row.locator("form").count() == 0  # accountability is final: no move is left
    assert state.inner_text() == "问责"


def test_the_month_is_charted_and_every_score_explained(page) -> None:
    """The political department opens last month: the stars chart draws, the ranking is there,
    and an officer's points add up from their line items."""
    _sign_in(page, "political")
    page.wait_for_url(re.compile(r"/$"))
    _menu(page, "绩效考评")
    page.wait_for_url(re.compile(r"/merit/"))
    page.wait_for_selector("[data-chart=bars] canvas")
    assert "已结账" in page.inner_text("main")  # last month is closed in the demo city
    first = page.locator("main table tbody tr").first
    points = float(first.locator("td:nth-child(4)").inner_text())
    first.locator("td:nth-child(2) a").click()
    page.wait_for_url(re.compile(r"/merit/months/\d{4}-\d{2}/officers/[0-9a-f-]{36}/$"))
    lines = page.locator("main table tbody tr td:nth-child(4)").all_inner_texts()
    assert abs(sum(float(x) for x in lines) - points) < 0.01
    assert float(page.locator("main table tfoot td strong").inner_text()) == points


def test_the_political_department_funds_and_pays_a_closed_month(page) -> None:
    """Journey 5: the month before last is closed and unpaid in the demo city. The pay button
    waits for a budget that holds what is owed; funded, the bonuses are paid, once."""
    _sign_in(page, "political")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/merit/")
    page.click("main p.muted a >> nth=0")  # ‹ the month before
    page.wait_for_url(re.compile(r"/merit/months/\d{4}-\d{2}/$"))
    card = page.locator("#payout")
    pay = card.locator("button.primary")
    # the demo's budget for it holds less than it owes: the button waits, and says why
    assert pay.is_disabled() == (card.locator("[role=alert]").count() == 1)
    card.locator("#fund-yuan").fill("10,000,000")
    card.locator("form.filters button").click()
    page.wait_for_selector("#payout button.primary:not([disabled])")
    assert "拨入" in page.inner_text("main")
    owed, paid = _owed_and_paid(page.locator("#payout p").first.inner_text())
    assert paid != owed  # funded, not paid yet
    # some 1,500 payments, each its own audited double-entry transaction: tens of seconds on a
    # loaded machine (PostgreSQL in CI): a background job, whose progress the page follows
    page.click("#payout button.primary")
    page.wait_for_url(re.compile(r"#payout$"))
    assert page.locator("#payout [data-job-state]").count() == 1
    page.wait_for_selector("#payout >> text=本月奖励金已全部发放", timeout=240_000)
    assert "已发放奖励金" in page.inner_text("main")
    assert page.locator("#payout button.primary").count() == 0  # nothing left to pay twice
    # what is paid now is what the month owed: the same number of payments, the same sum
    assert _owed_and_paid(page.locator("#payout p").first.inner_text()) == (owed, owed)


def _owed_and_paid(text: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """(payments, amount) owed and paid, from the payout card's first paragraph."""
    owed = re.search(r"应发 ([\d,]+) 笔，共 ([^。]+)。", text)
    paid = re.search(r"已发：([\d,]+) 笔，([^。]+)。", text)
    assert owed and paid, text
    return owed.groups(), paid.groups()


def test_the_promotion_ranking_shows_the_over_50s_with_every_position_explained(page) -> None:
    """The political department filters the twelve-month ranking to the over-50 group
    (重走青春路); each position opens into lines that add up to its points."""
    _sign_in(page, "political")
    page.wait_for_url(re.compile(r"/$"))
    _menu(page, "晋升排名")
    page.wait_for_url(re.compile(r"/merit/promotion/"))
    page.select_option("#band", "50+")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"band=50%2B"))
    page.wait_for_selector("[data-chart=bars] canvas")
    rows = page.locator("main table.promotion > tbody > tr")
    assert rows.count() >= 1
    ages = [
        int(a)
        for a in page.locator(
            "main table.promotion > tbody > tr > td:nth-child(5)"
        ).all_inner_texts()
    ]
    assert ages and min(ages) >= 50
    first = rows.first
    assert first.locator("td").first.inner_text() == "1"
    points = int(first.locator("> td:nth-child(6)").inner_text())
    lines = first.locator("details table td:nth-child(3)")
    assert lines.count() >= 1 and not lines.first.is_visible()  # folded until asked for
    first.locator("summary").click()
    shown = [int(td.inner_text()) for td in lines.all() if td.is_visible()]
    assert len(shown) == lines.count() and sum(shown) == points


def test_two_dispatchers_see_each_others_work_live_and_cannot_send_one_car_twice(
    page, browser, app_server
) -> None:
    """Both boards are open; an incident taken by intake appears on both without a reload; one
    dispatcher sends the first recommended car and the other board shows it busy; the second
    dispatcher, sending the same car, is told who has it."""
    other_ctx = browser.new_context(base_url=app_server.url)
    try:
        _two_dispatchers(page, other_ctx, app_server)
    finally:
        other_ctx.close()


def _two_dispatchers(page, other_ctx, app_server) -> None:
    import json
    import uuid

    other = other_ctx.new_page()
    other.set_default_timeout(15000)
    for p in (page, other):
        _sign_in(p, "command")
        p.wait_for_url(re.compile(r"/$"))
        p.goto("/command/")
        p.wait_for_selector("#live-state[data-live=live]")
    page.wait_for_selector("#map[data-roads]")  # the road network is drawn (no tile server)
    assert int(page.get_attribute("#map", "data-roads")) >= 4  # a layer per road class
    # every car with a position has its own dot and label: cars at one post (the demo puts two
    # or more at each) are spread apart on the screen, not drawn on top of each other
    page.wait_for_selector(".unit-pin")
    anchors = page.eval_on_selector_all(
        ".unit-pin",  # a car's dot (12 px, its top left corner) with its label
        "els => els.map(e => { const b = e.getBoundingClientRect(); return [b.x, b.y]; })",
    )
    placed = page.locator("#units tr[data-id]").count()
    assert len(anchors) == placed > 0
    closest = min(
        ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5
        for i, a in enumerate(anchors)
        for b in anchors[i + 1 :]
    )
    assert closest >= 8, closest  # px: a dot is 12 px wide; on one spot this was 0
    labels = page.locator(".unit-label").all_inner_texts()
    assert all(" · " in t and t.split(" · ")[0].startswith("巡") for t in labels)
    before = page.locator("#incidents li").count()
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    body = {
        "category": "criminal",
        "priority": 1,
        "lat": 47.35,
        "lon": 130.29,
        "address": "向阳区光明街3号",
        "summary": "入室盗窃，嫌疑人在逃",
    }
    made = page.request.post(
        f"{app_server.url}/api/v1/incidents",
        data=json.dumps(body),
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
            "X-CSRFToken": csrf,
        },
    )
    assert made.status == 201, made.text()
    number = made.json()["number"]
    for p in (page, other):  # pushed to both screens: nobody reloads
        p.wait_for_selector(f"#incidents li:has-text('{number}')", timeout=5000)
    assert page.locator("#incidents li").count() == before + 1
    for p in (page, other):
        p.click(f"#incidents li:has-text('{number}')")
        p.wait_for_selector("#recommendations li button")
    first = page.locator("#recommendations li").first
    unit_id = first.get_attribute("data-unit")
    assert other.locator("#recommendations li").first.get_attribute("data-unit") == unit_id
    first.locator("button").click()
    page.wait_for_selector("#dispatch-message.ok")
    other.wait_for_selector(f"#units tr[data-id='{unit_id}'][data-status=dispatched]", timeout=5000)
    # the second dispatcher's list is as it was when opened: pressing the same car is refused
    other.locator(f"#recommendations li[data-unit='{unit_id}'] button").click()
    other.wait_for_selector("#dispatch-message.error")
    message = other.inner_text("#dispatch-message")
    assert "command" in message and number in message


def test_a_planning_run_shows_its_progress_then_its_chart_and_map(page) -> None:
    _sign_in(page, "command")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/planning/")
    page.fill("input[name=cars]", "10")
    page.fill("input[name=minutes]", "3")
    page.fill("input[name=days]", "14")
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/planning/runs/"))
    # the progress bar follows the run in the background; when it is done the page shows results
    page.wait_for_selector("#kpi-best", timeout=60000)
    page.wait_for_selector("[data-chart=series][data-drawn]")
    page.wait_for_selector("#plan-map[data-drawn]")
    assert page.inner_text("#kpi-best").endswith("%")
    # street handling by minutes to scene and the queue check (hypercube beside simulation)
    page.wait_for_selector("[data-source=plan-street][data-drawn]")
    page.wait_for_selector("[data-source=plan-workload][data-drawn]")
    assert page.locator("table.queue tbody tr").count() == 2


def test_a_station_chief_ticks_off_a_campaign_item_and_the_progress_moves(page) -> None:
    _sign_in(page, "chief")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/campaigns/?phase=active")
    links = [a.get_attribute("href") for a in page.locator("table.campaigns tbody a").all()]
    assert links, "the chief's station owns items of campaigns under way"
    for href in links:
        page.goto(href)
        if page.locator("form.tick").count():
            break
    else:
        pytest.fail("no open item for the chief's station")
    page.wait_for_selector("[data-source=unit-chart][data-drawn]")  # items by owner unit
    before = page.inner_text("#campaign-progress")
    total, done = _items_done(page)
    row = page.locator("form.tick").first.locator("xpath=ancestor::tr")
    number = row.get_attribute("id")
    # without evidence the item stays open and the reason is named
    row.locator("form.tick button").click()
    page.wait_for_selector("#checklist .messages li.error")
    assert page.locator(f"#{number} form.tick").count() == 1
    page.fill(f"#{number} form.tick input[name=evidence]", "清查记录表已上报")
    page.click(f"#{number} form.tick button")
    page.wait_for_selector(f"#{number}:not(:has(form.tick))")  # the checklist is swapped in
    assert "清查记录表已上报" in page.inner_text(f"#{number}")
    assert int(page.inner_text("#campaign-progress").rstrip("%")) >= int(before.rstrip("%"))
    assert _items_done(page) == (total, done + 1)


def _items_done(page) -> tuple[int, int]:
    """The checklist's count: (items, items done), from "N 项中已完成 D 项"."""
    text = page.locator("#campaign-progress").locator("xpath=..").inner_text()
    found = re.search(r"(\d+) 项中已完成 (\d+) 项", text)
    assert found, text
    return int(found[1]), int(found[2])


_DRAWN = """source => {
  const el = document.querySelector(`[data-chart][data-source="${source}"]`);
  const chart = echarts.getInstanceByDom(el);
  const canvas = el.querySelector("canvas");
  const box = canvas.getBoundingClientRect();
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
  const data = JSON.parse(document.getElementById(source).textContent);
  return {
    width: box.width, height: box.height, inked: inked, image: canvas.toDataURL(),
    series: chart.getOption().series.map(s => ({name: s.name, values: s.data})),
    data: data.series.map(s => ({name: s.name, values: s.values})),
  };
}"""


def _drawn(page, source: str) -> dict:
    """What ECharts drew for a chart fed by the JSON block `source`: its series, the page's data
    for them, the canvas's size and how many of its pixels are painted."""
    return page.evaluate(_DRAWN, source)


def test_the_statistics_page_draws_its_charts_and_switches_the_figure(page) -> None:
    _sign_in(page, "leader")
    page.wait_for_url(re.compile(r"/$"))
    _menu(page, "统计")
    page.wait_for_url(re.compile(r"/stats/"))
    page.wait_for_selector("[data-source=stats-monthly][data-drawn]")
    page.wait_for_selector("[data-source=stats-annual][data-drawn]")
    assert page.locator("table.stats tbody tr").count() >= 13
    assert page.locator("#stats-kpis .stat").count() >= 5
    monthly, annual = _drawn(page, "stats-monthly"), _drawn(page, "stats-annual")
    # what ECharts drew is the page's data for the chosen figure (criminal incidents by default)
    assert monthly["series"] == monthly["data"] and len(monthly["series"]) == 2
    assert annual["series"] == annual["data"]
    assert [s["name"] for s in annual["series"]] == ["刑事警情"]
    for chart in (monthly, annual):
        size = (chart["width"], chart["height"], chart["inked"])
        assert size[0] > 0 and size[1] > 0 and size[2] > 500, size  # drawn: painted pixels
    page.select_option("#s-metric", "road_deaths")
    with page.expect_navigation():
        page.click("form.filters button")
    page.wait_for_selector("[data-source=stats-annual][data-drawn]")
    assert "metric=road_deaths" in page.url
    after = _drawn(page, "stats-annual")
    assert after["inked"] > 500 and after["image"] != annual["image"]  # the picture changed
    assert after["series"] == after["data"] != annual["data"]
    assert [s["name"] for s in after["series"]] == ["道路交通事故死亡人数"]


def test_the_legal_department_enters_a_missing_years_holidays(page) -> None:
    _sign_in(page, "legal")
    page.wait_for_url(re.compile(r"/$"))
    _menu(page, "节假日安排")
    page.wait_for_url(re.compile(r"/supervision/holidays/"))
    missing = page.locator("#holiday-years tr[data-source=missing]").first
    year = missing.get_attribute("data-year")
    assert "缺失" in missing.inner_text()
    row = page.locator(f"#holiday-years tr[data-year='{year}']")
    assert row.get_attribute("data-source") == "missing"  # before: weekends only
    page.fill("#id_year", year)
    page.fill("#id_rows", f"{year}-01-01,休,元旦\n{year}-10-01..{year}-10-07,休,国庆节")
    page.fill("#id_source", "国办发明电")
    with page.expect_navigation():
        page.click("#holiday-form button[type=submit].primary")
    assert "节假日安排已保存" in page.inner_text("main")
    assert row.get_attribute("data-source") == "entered"
    assert "国办发明电" in row.inner_text()
