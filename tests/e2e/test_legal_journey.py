"""JOURNEYS.md 4 and 9 in the browser, each through the UI only, as the roles it names: the legal
officer's morning list, a case's timeline and its supervision tickets up to a proposed warning;
the auditor's verified chain and the search for who viewed that case.

The case is set up first as the national case platform would send it (the import command), with
its person's name as the case system recorded it; everything the journey's users do is done in
the browser. Words are compared with the catalog's (``gettext``), not typed in, so the checks
hold whether the newest strings are translated yet or not."""

import datetime as dt
import json
import re
import subprocess
import sys
from typing import Any

import pytest
from django.utils import translation

from precinct.core import clock
from precinct.identity import labels
from tests.e2e.test_browser import _menu, _sign_in
from tests.support import CHILD_TIMEOUT_S

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HOME = re.compile(r"^https?://[^/]+/$")
NUMBER = "XS-E2E-J4"
NAME = "王<b>五</b>"  # what the case system recorded, markup and all: read as text, never run
REASON = "传唤超时未放人，建议警示（旅程四）"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _server(app_server: Any, *args: str) -> str:
    """A command on the app's server (the case platform's import, its record of a name)."""
    done = subprocess.run(
        [sys.executable, "-m", "precinct.cli", *args],
        env=app_server.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=CHILD_TIMEOUT_S,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


@pytest.fixture(scope="module")
def legal_case(app_server: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A case of the chief's station (XY01): p1 summoned 30 hours ago and never let go (C01
    overdue), property seized and never handed over (C30 overdue), p2 detained 20 hours ago
    (delivery, family notice and interrogation due soon). The station's officer leads it."""
    lead = _server(
        app_server, "shell", "-c",
        "from precinct.identity.models import User; "
        "print(User.objects.get(username='officer').officer.police_number)",
    )  # fmt: skip
    now = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)

    def ago(hours: float) -> str:
        return (now - dt.timedelta(hours=hours)).isoformat()

    doc = {
        "case": {"id": NUMBER, "kind": "criminal", "title": "涉嫌盗窃", "lead_officer": lead},
        "events": [
            {"type": "summoned", "at": ago(30), "subject": "p1"},
            {"type": "property_seized", "at": ago(29.5), "subject": "i1"},
            {"type": "detained", "at": ago(20), "subject": "p2"},
        ],
    }
    path = tmp_path_factory.mktemp("j4") / f"{NUMBER}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _server(app_server, "supervision", "import", str(path), "--unit", "XY01")
    _server(
        app_server, "shell", "-c",
        "from precinct.cases import services as s; from precinct.cases.models import Case; "
        f"s.upsert_person(case=Case.objects.get(number={NUMBER!r}), key='p1', name={NAME!r})",
    )  # fmt: skip
    return NUMBER


def _as(page: Any, username: str) -> None:
    """Another user at the same browser: signed out, signed in, at home."""
    page.context.clear_cookies()
    _sign_in(page, username)
    page.wait_for_url(HOME)


def _open_case(page: Any) -> None:
    _menu(page, "案件")
    page.fill("#q", NUMBER)
    with page.expect_navigation():
        page.press("#q", "Enter")
    with page.expect_navigation():
        page.click(f"main table a:text-is('{NUMBER}')")
    page.wait_for_selector("#timeline[data-drawn='1'] canvas")


def _ticket(page: Any, rule: str) -> Any:
    return page.locator("#tickets tbody tr", has_text=rule)


def _move(page: Any, rule: str, to: str, note: str = "") -> None:
    form = _ticket(page, rule).locator("form", has=page.locator(f"input[value={to}]"))
    if note:
        form.locator("input[name=note]").fill(note)
    with page.expect_navigation():
        form.locator("button").click()
    assert page.inner_text(".messages li.success") == "督办单已更新。"


def _state(page: Any, rule: str) -> str:
    return _ticket(page, rule).locator("td:nth-child(2)").inner_text()


# What the timeline drew: its rows, its height, the labels ECharts shows on each axis.
CHART = """el => {
  const m = echarts.getInstanceByDom(el).getModel();
  const d = JSON.parse(document.getElementById(el.dataset.source).textContent);
  return {
    rows: d.rows.length, height: el.clientHeight,
    yLabels: m.getComponent('yAxis', 0).axis.getViewLabels().length,
    xLabels: m.getComponent('xAxis', 0).axis.getViewLabels().map(l => l.formattedLabel),
  };
}"""


def _hover_row(page: Any, label_part: str) -> str:
    """Hover the middle of the deadline bar whose row names ``label_part``: the tooltip's text."""
    page.locator("#timeline").scroll_into_view_if_needed()
    point = page.eval_on_selector(
        "#timeline",
        """(el, part) => {
          const c = echarts.getInstanceByDom(el);
          const d = JSON.parse(document.getElementById(el.dataset.source).textContent);
          const x = d.deadlines.find(r => d.rows[r.row].includes(part));
          const p = c.convertToPixel({gridIndex: 0}, [(x.start + x.due) / 2, x.row]);
          const box = el.getBoundingClientRect();
          return [box.left + p[0], box.top + p[1]];
        }""",
        label_part,
    )
    page.mouse.move(*point)
    tip = page.locator("#timeline > div").filter(has_text=label_part).last
    tip.wait_for(state="visible")
    assert tip.locator("b").count() == 1  # the row's own heading: the name's markup is text
    return tip.inner_text()


def test_journey_4_the_legal_officer_takes_a_case_from_the_morning_list_to_a_warning(
    page, legal_case
) -> None:
    _as(page, "legal")
    # the morning list: due soon and overdue across the bureau, each deadline with its year
    for state, rules in (("due_soon", {"C02", "C03", "C04"}), ("overdue", {"C01", "C30"})):
        with page.expect_navigation():
            page.click(f"a.stat[data-card=findings_{state}]")
        ours = page.locator("main table tbody tr", has=page.locator(f"a:text-is('{NUMBER}')"))
        assert {t.split()[0] for t in ours.locator("td:nth-child(2)").all_inner_texts()} == rules
        assert all(DAY.match(t) for t in ours.locator("td:nth-child(4)").all_inner_texts())
        page.goto("/")

    # the case from the overdue list: its timeline drawn, every row labelled, with a legend
    with page.expect_navigation():
        page.click("a.stat[data-card=findings_overdue]")
    with page.expect_navigation():
        page.locator(f"main table a:text-is('{NUMBER}')").first.click()
    page.wait_for_selector("#timeline[data-drawn='1'] canvas")
    chart = page.eval_on_selector("#timeline", CHART)
    assert chart["yLabels"] == chart["rows"] == 1 + 6  # the steps, then six rules and persons
    assert chart["height"] >= chart["rows"] * 28
    assert chart["xLabels"] and all(DAY.match(t) for t in chart["xLabels"])
    legend = page.locator(".chart-legend[data-for=timeline] li")
    assert legend.evaluate_all("l => l.map(e => e.dataset.mark)") == [
        "step", "deadline", "overdue", "due_soon", "pending",
    ]  # fmt: skip
    with translation.override("zh-hans"):
        words = [translation.gettext(w) for w in ("Events", "Legal deadline", "Overdue")]
    assert legend.all_inner_texts()[:3] == words
    tip = _hover_row(page, NAME)
    assert NAME in tip and re.search(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b", tip)

    # raise the ticket of the overdue summons; the station chief rectifies it
    assert _state(page, "C01") == "待整改"
    _move(page, "C01", "rectifying")
    assert _state(page, "C01") == "整改中"
    _as(page, "chief")
    _open_case(page)
    _move(page, "C01", "rectified", note="已补录传唤结束时间并说明原因")
    assert _state(page, "C01") == "已整改"

    # the legal officer verifies it, and sends the unhanded property to accountability
    _as(page, "legal")
    _open_case(page)
    _move(page, "C01", "verified")
    assert _state(page, "C01") == "已核验"
    _move(page, "C30", "accountability", note=REASON)
    assert _state(page, "C30") == "问责"

    # which proposes a warning: the political department finds it in its queue
    _as(page, "political")
    _menu(page, "警示待办")
    assert REASON in page.inner_text("main")


def _legal_views(page: Any) -> int:
    """The auditor searches the case's number: how many times the legal officer viewed it."""
    _menu(page, "审计日志")
    page.fill("#q", NUMBER)
    with page.expect_navigation():
        page.press("#q", "Enter")
    with translation.override("zh-hans"):
        viewed, case = labels.action_label("view"), labels.object_label("cases.case")
    rows = page.locator("main table tbody tr").all()
    cells = [[c.inner_text().strip() for c in r.locator("td").all()[2:5]] for r in rows]
    return cells.count(["legal", viewed, case])


def test_journey_9_the_auditor_verifies_the_chain_and_finds_who_viewed_the_case(
    page, legal_case
) -> None:
    _as(page, "auditor")
    before = _legal_views(page)
    _as(page, "legal")
    _open_case(page)
    _as(page, "auditor")
    _menu(page, "审计日志")
    page.click("form[hx-post] button")
    page.wait_for_selector("#verify-result p.ok")
    assert _legal_views(page) == before + 1
