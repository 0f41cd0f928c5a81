"""Journey 5 in a real browser, through the pages: the political department's month end. A station
chief enters two achievements of a month; the political department approves one and rejects the
other (not without a reason), closes the month (confirming its password again), sees the star
officer and his score's line items, chooses the month's warning case and theme, has an award
proposal checked against the rules, funds and pays the month's bonuses, and takes the session
pack (PDF) and the bonus list for finance (Excel).

The month is one the demo city never touches: the demo scores the last 24 months (this one open,
the others closed, last month paid, the month before last paid by test_browser and packed by
test_jobs_journey, last month's 三一 read on the home pages), so three years ago is open, over and
nobody else's: closing and paying it changes nothing another browser test reads."""

import datetime as dt
import io
import re
import subprocess
import sys
import uuid
from typing import Any

import pytest
from openpyxl import load_workbook

from precinct.core import clock
from precinct.demo.services import DEMO_PASSWORD
from precinct.merit.rules import Month
from tests.e2e.test_browser import _menu, _owed_and_paid, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TZ = "Asia/Shanghai"
HOME = re.compile(r"^https?://[^/]+/$")
# a background job on a loaded 2-core machine: the server has one worker, and the job may wait
# behind another test's planning runs (several minutes with the replay)
JOB_S = 600_000


def _as(page: Any, username: str) -> None:
    """Another user at the same browser: signed out, signed in, at home."""
    page.context.clear_cookies()
    _sign_in(page, username)
    page.wait_for_url(HOME)


def _message(page: Any) -> str:
    return page.inner_text(".messages li.success")


def _last_page(page: Any) -> None:
    """The achievements list's last page: the oldest achievements awaiting a decision. The list
    has no filter by month or unit and its pager no link to the end: its last page's address."""
    if page.locator("nav.pager").count() == 0:
        return
    pages = re.search(r"共 (\d+) 页", page.inner_text("nav.pager"))
    assert pages, page.inner_text("nav.pager")
    page.goto(f"/merit/achievements/?page={pages[1]}")


def _ranked(page: Any, month: Month, number: str) -> Any:
    """The officer's row in the month's ranking (the month page, as the political department
    opens it)."""
    page.goto(f"/merit/months/{month}/")
    return page.locator("main table tbody tr", has_text=number)


def _ten_minutes_pass(page: Any, app_server: Any) -> None:
    """The browser's last confirmation of who is at it becomes older than the ten minutes a
    privileged action may rely on: a test cannot wait them out, so the session says so."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    code = (
        "import datetime as dt\nfrom importlib import import_module\n"
        "from django.conf import settings\nfrom precinct.core import clock\n"
        "from precinct.identity.middleware import SESSION_AUTH_AT\n"
        f"s = import_module(settings.SESSION_ENGINE).SessionStore(session_key={key!r})\n"
        "s[SESSION_AUTH_AT] = (clock.now() - dt.timedelta(minutes=11)).isoformat()\n"
        "s.save()\n"
    )
    subprocess.run(
        [sys.executable, "-m", "precinct.cli", "shell", "-c", code],
        env=app_server.env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def _unit_row(page: Any, month: Month, unit: str) -> Any:
    """The unit's line of the month's 三一 checklist, opened from the month page."""
    page.goto(f"/merit/months/{month}/")
    with page.expect_navigation():
        page.click("main p.muted a:text-is('各单位“三个一”落实情况')")
    assert page.url.endswith(f"/merit/months/{month}/sessions/")
    return page.locator("main table tbody tr", has=page.locator(f"td:text-is('{unit}')"))


def _finance_export(page: Any, month: Month) -> tuple[list[Any], list[tuple], float]:
    """The bonus list for finance, downloaded from the month page: its header, its payment rows
    and its grand total (yuan)."""
    page.goto(f"/merit/months/{month}/")
    with page.expect_download() as download:
        page.click("main p.muted a:text-is('奖励金发放清单（Excel，供财务）')")
    assert download.value.suggested_filename == f"bonus-{month}.xlsx"
    with open(download.value.path(), "rb") as f:
        content = f.read()
    assert content[:2] == b"PK"  # an Office Open XML file (a zip)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    payments = [r for r in rows[1:] if r[0] and r[3] not in ("小计", "合计")]
    total = next(r[5] for r in rows if r[3] == "合计")
    return list(rows[0]), payments, float(total)


def _yuan(text: str) -> float:
    return float(text.replace("¥", "").replace(",", ""))


def test_journey_5_the_political_department_closes_reviews_and_pays_a_month(
    page, app_server
) -> None:
    today = clock.today(TZ)
    month = Month.of(today).minus(36)  # open and over, untouched by the demo (see above)
    day = (month.first + dt.timedelta(days=9)).isoformat()
    tag = f"{uuid.uuid4().int % 100000:05d}"
    solved, rescue = f"XS-{month.year}-{tag}", f"XS-{month.year}-{int(tag) + 1:05d}"
    reason = "佐证不足：未附救助记录"

    # --- a unit enters two achievements of the month: the station chief, for one of his officers
    _as(page, "chief")
    _menu(page, "民警")
    page.wait_for_url(re.compile(r"/org/officers/"))
    page.select_option("#status", label="在职")
    page.wait_for_url(re.compile(r"status=active"))
    first = page.locator("#results tbody tr").first
    number = first.locator("td:nth-child(1)").inner_text()
    name = first.locator("td:nth-child(2)").inner_text()
    unit = first.locator("td:nth-child(7)").inner_text()
    _menu(page, "业绩")
    page.wait_for_url(re.compile(r"/merit/achievements/$"))
    entry = page.locator("main form.filters[method=post]")
    for kind, quantity, role, evidence in (
        ("破案", "3", "主办", solved),
        ("救助群众", "1", "—", rescue),
    ):
        _last_page(page)  # the oldest achievements waiting: where it will be
        assert page.locator("main tbody tr", has_text=evidence).count() == 0
        entry.locator("#police_number").fill(number)
        entry.locator("#kind").select_option(label=kind)
        entry.locator("#occurred_on").fill(day)
        entry.locator("#quantity").fill(quantity)
        entry.locator("#role").select_option(label=role)
        entry.locator("#evidence").fill(evidence)
        with page.expect_navigation():
            entry.locator("button[type=submit]").click()
        assert _message(page) == "业绩已录入，待政治部审批。"
        _last_page(page)
        assert "已提交" in page.locator("main tbody tr", has_text=evidence).inner_text()

    # --- 1. the political department decides them: one approved, it counts in the month --------
    _as(page, "political")
    assert _ranked(page, month, number).count() == 0  # nothing approved: nobody ranked yet
    _menu(page, "业绩")
    page.wait_for_url(re.compile(r"/merit/achievements/$"))
    _last_page(page)
    row = page.locator("main tbody tr", has_text=solved)
    assert "已提交" in row.inner_text() and "主办" in row.inner_text()
    row.locator("input[name=ids]").check()
    with page.expect_navigation():
        page.click("button[name=decision][value=approve]")
    assert _message(page) == "已处理 1 条业绩。"
    ranked = _ranked(page, month, number)
    assert page.locator("#month-provisional").inner_text() == "临时结果：尚未结账"
    assert ranked.locator("td:nth-child(4)").inner_text() == "30.0"  # 3 solved cases, as lead

    # ... the other rejected: not without a reason, which then shows with it
    _menu(page, "业绩")
    page.wait_for_url(re.compile(r"/merit/achievements/$"))
    _last_page(page)
    page.locator("main tbody tr", has_text=rescue).locator("input[name=ids]").check()
    assert page.locator("#reason-errors").count() == 0
    with page.expect_navigation():
        page.click("button[name=decision][value=reject]")
    assert page.inner_text("#reason-errors") == "请填写驳回理由"
    _last_page(page)
    row = page.locator("main tbody tr", has_text=rescue)
    assert "已提交" in row.inner_text()  # refused: still waiting
    row.locator("input[name=ids]").check()
    page.fill("#reason", reason)
    with page.expect_navigation():
        page.click("button[name=decision][value=reject]")
    assert _message(page) == "已处理 1 条业绩。"
    page.select_option("#state", label="已驳回")
    with page.expect_navigation():
        page.click("main form.filters[method=get] button")
    row = page.locator("main tbody tr", has_text=rescue)
    assert "已驳回" in row.inner_text()
    assert row.locator("td").last.inner_text() == reason

    # --- 2. the month closed from its page: privileged, the password asked again ---------------
    star = _unit_row(page, month, unit)
    assert "✘" in star.locator("td:nth-child(3)").inner_text()  # no star officer while open
    page.goto(f"/merit/months/{month}/")
    assert page.locator("#month-closed").count() == 0
    close = page.locator("#close")
    close.locator("input[name=confirm]").check()
    _ten_minutes_pass(page, app_server)
    with page.expect_navigation():
        close.locator("button.primary").click()
    assert "/login/confirm/" in page.url  # not closed: who is it?
    assert page.inner_text("h1") == "确认本人操作"
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form:has(#id_password) button.primary")
    assert page.url.endswith(f"/merit/months/{month}/")  # back, to submit it again
    assert page.locator("#month-provisional").count() == 1
    close.locator("input[name=confirm]").check()
    with page.expect_navigation():
        close.locator("button.primary").click()
    assert page.url.endswith("#close")
    # closing scores every officer of the bureau: a job, whose panel the page follows, then
    # reloads to show the closed month
    page.wait_for_selector("#month-closed", timeout=JOB_S)
    assert page.inner_text("#month-closed").startswith("已结账")
    assert page.locator("#month-provisional").count() == 0

    # --- 3. the star officer, and his score's line items ----------------------------------------
    page.wait_for_selector("[data-chart=bars] canvas")
    top = page.locator("main table tbody tr").first
    assert number in top.inner_text()  # the month's best (everyone else has no points)
    assert top.locator("td:nth-child(5)").inner_text() == "★★"  # 30 points: 20 for two stars
    points = float(top.locator("td:nth-child(4)").inner_text())
    with page.expect_navigation():
        top.locator("td:nth-child(2) a").click()
    assert re.search(rf"/merit/months/{month}/officers/[0-9a-f-]{{36}}/$", page.url)
    assert page.inner_text("h1").startswith(name)
    lines = page.locator("main table tbody tr")
    assert lines.count() == 1  # the approved case; the rejected rescue is not counted
    cells = lines.first.locator("td").all_inner_texts()
    assert cells[0].startswith("破案") and cells[1:] == ["3", "10.0", "30.0", solved]
    assert float(page.inner_text("main table tfoot td strong")) == points == 30.0
    assert "2 星" in page.inner_text("main p >> nth=0")
    star = _unit_row(page, month, unit)
    assert star.locator("td:nth-child(3)").inner_text() == "✔ 1 名星级民警"

    # --- 4. the month's warning case and theme (三一: one warning) ------------------------------
    case, theme = "某民警违规查询公民个人信息案", "严守纪律，警钟长鸣"
    assert "✘" in star.locator("td:nth-child(2)").inner_text()
    form = page.locator("main form.filters")
    form.locator("#unit").select_option(label=unit)
    form.locator("#warning_case").fill(case)
    form.locator("input[name=warning_published]").check()
    form.locator("#theme").fill(theme)
    form.locator("#held_on").fill((month.next().first + dt.timedelta(days=2)).isoformat())
    form.locator("#attendance").fill("26")
    form.locator("#minutes").fill("传达本月警示案例，表彰星级民警。")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert _message(page) == "已保存。"
    assert star.locator("td:nth-child(2)").inner_text() == f"✔ {case}"
    assert star.locator("td:nth-child(5)").inner_text() == theme

    # --- 5. an award proposal checked against the rules -----------------------------------------
    deed = f"破获系列入室盗窃案（{month}，{tag}）"
    _menu(page, "奖励")
    page.wait_for_url(re.compile(r"/merit/awards/$"))
    award = page.locator("#award-form")
    award.locator("#officer").fill(number)
    award.locator("#level").select_option(label="三等功")
    award.locator("#deed").fill(deed)
    assert award.locator("[role=alert]").count() == 0
    with page.expect_navigation():
        award.locator("button[type=submit]").click()  # no public notice
    refusal = page.locator("#award-form [role=alert]").all_inner_texts()
    assert refusal == ["三等功及以上须经不少于 7 个工作日的公示"], refusal  # the rule, in words
    assert page.locator("main tbody tr", has_text=deed).count() == 0  # not proposed
    award.locator("#notice_start").fill((today - dt.timedelta(days=30)).isoformat())
    award.locator("#notice_end").fill((today - dt.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        award.locator("button[type=submit]").click()
    assert _message(page) == "已提请。"
    proposed = page.locator("main tbody tr", has_text=deed)
    assert proposed.count() == 1 and "已提请" in proposed.inner_text()
    assert number in proposed.inner_text() and "三等功" in proposed.inner_text()

    # --- 6. the bonuses paid through the ledger: funded, then paid by a job, once --------------
    _header, payments, total = _finance_export(page, month)
    assert payments == [] and total == 0  # nothing paid yet: nothing for finance
    card = page.locator("#payout")
    owed, paid = _owed_and_paid(card.locator("p").first.inner_text())
    assert owed == ("2", "¥1,300.00")  # two stars (2 × ¥200) and three cases led (3 × ¥300)
    assert paid == ("0", "¥0.00")
    assert card.locator("button.primary").is_disabled()  # the month's budget is empty
    card.locator("#fund-yuan").fill("2,000")
    with page.expect_navigation():
        card.locator("form.filters button").click()
    assert _message(page) == f"已向 {month} 奖励金预算拨入 ¥2,000.00。"
    assert card.locator("button.primary").is_enabled()
    incentive = _unit_row(page, month, unit).locator("td:nth-child(4)")
    assert incentive.inner_text() == "✘ 0/1"  # the star officer's bonus: not paid
    page.goto(f"/merit/months/{month}/")
    page.click("#payout button.primary")
    page.wait_for_url(re.compile(r"#payout$"))
    assert card.locator("[data-job-state]").count() == 1
    page.wait_for_selector("#payout >> text=本月奖励金已全部发放", timeout=JOB_S)
    assert card.locator("button.primary").count() == 0  # nothing left to pay twice
    assert _owed_and_paid(card.locator("p").first.inner_text()) == (owed, owed)
    assert _unit_row(page, month, unit).locator("td:nth-child(4)").inner_text() == "✔ 1/1"

    # --- 7. the session pack (PDF) and the bonus list for finance (Excel) -----------------------
    header, payments, total = _finance_export(page, month)
    assert header == ["警号", "姓名", "单位", "事项", "说明", "金额（元）", "记账时间"]
    assert {r[0] for r in payments} == {number} and len(payments) == int(owed[0])
    assert sorted(r[3] for r in payments) == ["星级奖金", "破案奖金"]  # in words, not ledger keys
    assert sum(r[5] for r in payments) == total == _yuan(owed[1])  # what the month page says
    # The pack's button builds it as a background job (test_jobs_journey, which counts every
    # pack job of the server); the pack's own address draws it at once, in this browser's session
    pdf = page.request.get(f"/merit/months/{month}/pack.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert f'filename="sanyi-{month}.pdf"' in pdf.headers["content-disposition"]
    assert pdf.body()[:5] == b"%PDF-"
