"""No leftover English and no internal code on any page of the menu (issue 17): every demo role
signs in, in 简体 and in 繁體, opens every page its menu links to (the folded groups too, and the
account page linked from the name at the top), and reads what a user reads there: the visible
text, the hints of the fields (placeholder, title, aria-label, alt), the choices of every list
(<option>) and the words drawn in the charts (ECharts draws on a canvas: its text is read from the
chart's own display list). A page fails on

- a Latin word of two letters or more, except the few words named in ``ALLOWED`` (each with its
  reason), the record numbers a user reads and types (``NUMBERS``: case and incident numbers,
  labelled unit and campaign codes) and a sign-in name where a page names the account (``LOGINS``);
- an internal code: a uuid, a hex run of 8 or more characters (a hash, a uuid's part), a
  snake_case token, a code of one letter and digits (u30, p90). A page that shows a fingerprint
  on purpose (a month's seal) marks its element ``data-fingerprint``; the audit log quotes the
  address a user asked for and the name of the file he took as they were (evidence, as an IP
  address is), marked ``data-verbatim``;
- in 繁體, a character that only Simplified Chinese writes (``SIMPLIFIED_ONLY``) in the page's own
  words: its title, headings below the first, table heads, labels of fields, buttons, menu, tabs,
  field hints, and the charts' axis and series names. Data typed by the bureau (people's and units'
  names, case titles, notes) stays as it was typed, often in 简体, so cells, lists and the first
  heading (it often names the record shown) are not checked for the script; words the product
  defines but stores in 简体 (police ranks) are shown through display-time labels (org.models
  RANK_LABELS), as the choice labels are;
- and ``<html lang>`` that is not the language asked for.

The failure lists each page's address with its offending words, to make fixing them quick."""

import re
from typing import Any

import pytest

from precinct.demo.services import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROLES = (
    "leader", "political", "legal", "command", "chief", "officer", "sysadmin", "auditor",
    "secadmin",
)  # fmt: skip
LANGUAGES = ("zh-hans", "zh-hant")

# Record numbers a user reads and types as they are: case numbers (XS-/XZ- and the year, or an
# import's own key such as XS-E2E-1), incident numbers (JQ and digits); and the codes of units and
# campaigns, shown only as a labelled hint (单位代码：XY01): import files name units by them.
NUMBERS = re.compile(
    r"(?<![A-Za-z0-9])(?:X[SZ]-[A-Z0-9]+(?:-[A-Z0-9]+)*|JQ\d+)(?![A-Za-z0-9])"
    r"|(?:代码|代碼)[:：]\s*[A-Z0-9]+(?:-[A-Z0-9]+)*"
)
# Sign-in names are Latin by design (the login form takes them so): a page may show one as a
# whole cell or field (用户名 leader), after the word user (用户 crew07) or as an item of a list
# separated by · (张三 · officer · 民警). The demo's logins.
LOGINS = (
    r"(?:auditor-lock"  # the lockout test's own account (first: it begins as a demo login does)
    r"|leader|political|legal|command|chief|officer|sysadmin|auditor|secadmin|crew\d{2})"
)
LATIN = re.compile(r"[A-Za-z]{2,}")
ALLOWED = {
    # the English language's own name in the language switch, as every bilingual site shows it
    "English",
    # file formats: Chinese office software and government systems print the format's name on
    # the button and the field (导出 Excel, 下载 PDF, CSV 文件); no Chinese word for them is in use
    "Excel",
    "PDF",
    "CSV",
    # the key printed on the keyboard, in the command board's shortcut hints (Alt+N 新建警情)
    "Alt",
    # the audit log's 来源 IP: Chinese writes an IP address so (IP 地址); the formal
    # 网际协议地址 is not written on screens
    "IP",
    # the coordinate systems' own names under the dispatch map, as Chinese GIS and the national
    # standards write them (WGS-84 坐标系, GCJ-02, BD-09) and the GPS that gives them
    "WGS",
    "GCJ",
    "BD",
    "GPS",
}
UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z]+(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")
LETTER_CODE = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z]\d+(?![A-Za-z0-9-])")
HEX = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}(?![0-9A-Za-z])"
)
# Characters that 繁體 writes otherwise (这 → 這 …), common in interface words.
SIMPLIFIED_ONLY = frozenset(
    "这们个时间门处发办员单级务为统计类关预览与专业东丝两严丧丰临丽举么义乐习乡书买乱争亏亚产亲亿仅从"
    "仓仪众优会传伤伦伪体侦侧债倾偿储儿党兰兴养内册写军农决况冻减凭击刘则刚创删别剂剧劝动励劳势区医华"
    "协卖卫却厂厅历压县参双变号吗启响团园围图圆圣场坏块坚坛声备复够头夹夺奋奖妇孙学宁宝实审宪宽宾对寻"
    "导寿将层属岁岗岛币师帐带帮广庄庆库应废开异弃张归当录彻径忆忧怀态总恶惊惩惯愿戏战户执扩扫扬扰护报"
    "担拟择挂挡挥损换据摄摆敌数断无旧显晋晓暂术机杀杂权条来极构枪柜标栏树样档桥检楼欢欧残毁毕气汇汉沟"
    "没泽洁测济浏温湾满灭灯灵灾点热爱状犹独献环现电画畅疗监盖盘确码础离种积称稳穷窃竞笔筑签简粮紧纠红"
    "约纪纯纲纳纵纸线练组细织终经结绕绘给络绝继绩续维综绿缓编缩网罗罚职联肃胜脑脱节荐荣药获营虑虚补装"
    "见观规视觉触订认讨让训议讯记讲许论设访证评识诉词译试询该详语误说请读课谁调谈谋谢负贡财责败账货质"
    "购贯贴贵贷费资赏赔赛赞赶趋践踪车轨转轮软轻载较辅辆辑输辖边达迁过运还进远违连迟适选递遗邮钟钢钥钱"
    "铁银链销锁错键镇长闭问阅队阳阴阵阶际陆陈险随隐难静项顺须顾领频题额风飞饭馆驱驶驻驾验骑鸟齐龙"
)
# What a user reads on the page, with the page's own words (not data) told apart for the script
# check: headings below the first (less the data they name), table heads, labels of fields, buttons, the menu,
# tabs, legends, captions, field hints, the title, and the charts' axis names and series names.
# Not the hover titles (they quote notes typed by users), nor cells, lists, options and checkbox
# labels (names of people and units). First, what a page may show as it is: a sign-in name (see
# LOGINS) and a fingerprint the page labels as one ([data-fingerprint]: a seal, a digest).
SCAN = r"""(logins) => {
  const login = new RegExp('^\\s*' + logins + '\\s*$');
  const named = new RegExp('(用户|用戶|使用者)\\s*' + logins + '(?![A-Za-z0-9])', 'g');
  const listed = new RegExp('(^|·)\\s*' + logins + '\\s*(?=·|$)', 'g');
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (login.test(n.data)) n.data = '';
    else n.data = n.data.replace(named, '$1').replace(listed, '$1');
  }
  document.querySelectorAll('[data-fingerprint], [data-verbatim]').forEach(e => { e.textContent = ''; });
  const shown = e => e.getClientRects().length > 0;
  document.querySelectorAll('main details').forEach(d => { d.open = true; });
  const all = [document.body.innerText, document.title];
  const own = [document.title];
  document.querySelectorAll('#main-nav summary, #main-nav a').forEach(e => own.push(e.textContent));
  for (const e of document.querySelectorAll('[placeholder], [title], [aria-label], [alt], input[type=submit], input[type=button]')) {
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) {
      const v = e.getAttribute(a);
      if (v) { all.push(v); if (a !== 'title') own.push(v); }
    }
    if (e.tagName === 'INPUT' && (e.type === 'submit' || e.type === 'button')) { all.push(e.value); own.push(e.value); }
  }
  document.querySelectorAll('option, optgroup').forEach(o => all.push(o.label || o.textContent));
  // not <h1>: it often names the record shown (an officer, a case); <title> has the page's name
  const mine = 'h2, h3, h4, h5, h6, thead th, label, button, summary, legend, caption, dt, .tabs a, nav a';
  document.querySelectorAll(mine).forEach(e => {
    if (!shown(e)) return;
    if (e.tagName === 'LABEL' && e.querySelector('input[type=checkbox], input[type=radio]')) return;
    if (e.tagName === 'LABEL' && e.control && ['checkbox', 'radio'].includes(e.control.type)) return;
    // a heading's own words, less the data it names (a link, a <span class=data>, a <bdi>)
    const copy = e.cloneNode(true);
    copy.querySelectorAll('a, bdi, .data, time, select, .muted').forEach(x => x.remove());
    own.push(copy.textContent);
  });
  const charts = [], chartOwn = [];
  if (window.echarts) {
    document.querySelectorAll('[_echarts_instance_]').forEach(el => {
      const chart = echarts.getInstanceByDom(el);
      if (!chart) return;
      for (const d of chart.getZr().storage.getDisplayList(true)) {
        const t = d.style && d.style.text;
        if (t) charts.push(String(t));
      }
      const o = chart.getOption();
      for (const a of [].concat(o.xAxis || [], o.yAxis || [])) if (a.name) chartOwn.push(a.name);
      for (const s of o.series || []) if (s.name) chartOwn.push(s.name);
    });
  }
  return {all: all.concat(charts, chartOwn).join('\n'), own: own.concat(chartOwn).join('\n')};
}"""


def leftovers(text: str) -> set[str]:
    """The Latin words and internal codes in ``text`` (record numbers and ``ALLOWED`` excepted);
    a code is named once, whole (a uuid, not the letters in it)."""
    text = NUMBERS.sub(" ", text)
    found: set[str] = set()
    for code in (UUID, HEX, SNAKE, LETTER_CODE):
        found |= set(code.findall(text))
        text = code.sub(" ", text)
    return found | {w for w in LATIN.findall(text) if w not in ALLOWED}


def simplified(text: str) -> set[str]:
    return {c for c in text if c in SIMPLIFIED_ONLY}


def _settle(page: Any) -> None:
    """Wait for what a page draws after it loads: the charts are drawn on DOMContentLoaded (by
    then the deferred scripts have run), a part htmx loads after it comes in a request."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def _sign_in(page: Any, username: str) -> None:
    page.goto("/")  # signed out: the login page
    page.wait_for_selector("#id_username")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector("#main-nav")


def _menu(page: Any) -> list[str]:
    """Every page the menu links to (those in folded groups too) and the account page linked
    from the name at the top."""
    hrefs = page.eval_on_selector_all(
        "#main-nav a[href], .topbar a.who[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return list(dict.fromkeys(h for h in hrefs if h.startswith("/")))


def _read(page: Any, language: str, problems: dict[str, list[str]]) -> None:
    _settle(page)
    url = page.url.split("//", 1)[-1].split("/", 1)[-1]
    lang = page.get_attribute("html", "lang")
    words = page.evaluate(SCAN, LOGINS)
    lines = words["all"].splitlines()
    wrong = [  # each with the line it was read in, to make it quick to find
        f"{w} «{next((x.strip()[:80] for x in lines if w in x), '')}»"
        for w in sorted(leftovers(words["all"]))
    ]
    if language == "zh-hant":
        chars = sorted(simplified(words["own"]))
        if chars:
            wrong.append("简体: " + "".join(chars))
    if lang != language:
        wrong.append(f"<html lang={lang}>")
    if wrong:
        problems[f"/{url}"] = wrong


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_no_english_word_or_code_on_any_page_of_the_menu(
    browser: Any, app_server: Any, role: str, language: str
) -> None:
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": "precinct_language", "value": language, "url": app_server.url}])
    problems: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto("/")
        _read(page, language, problems)  # the login page
        _sign_in(page, role)
        pages = _menu(page)
        assert len(pages) >= 2, pages
        for href in pages:
            response = page.goto(href)
            assert response is not None and response.status == 200, (href, response)
            _read(page, language, problems)
    finally:
        context.close()
    report = "\n".join(
        f"  {url}: {' '.join(words[:30])}{f' … ({len(words) - 30} more)' if len(words) > 30 else ''}"
        for url, words in problems.items()
    )
    assert not problems, f"{role} in {language}, leftover words:\n{report}"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("状态 due_soon · u30 · None · 导出 Excel", {"due_soon", "u30", "None"}),
        (
            "award:01a246b2-d3ad-7443-a9ed-e7c5da0011a0",
            {"award", "01a246b2-d3ad-7443-a9ed-e7c5da0011a0"},
        ),
        ("校验 88a194b49a7c3547 · 90分位数 p90", {"88a194b49a7c3547", "p90"}),
        ("案件XS-2026-00001 警情 JQ20261205001 单位代码：XY01 代碼: DK-2026", set()),
    ],
)
def test_the_reader_finds_english_words_and_codes_and_passes_record_numbers(
    text: str, found: set[str]
) -> None:
    assert leftovers(text) == found
    assert simplified("積分規則 这个") == {"这", "个"} and not simplified("積分規則（第1版）")
