"""Issue 18, V1 and the Content-Security-Policy, in Chromium.

- A case's events are recorded through the API with hostile subjects (markup with handlers) and
  one of its persons carries a hostile name; the legal officer opens the case and hovers every
  element of the timeline (each step and each deadline bar): each tooltip shows the words as
  text, no element of the payload reaches the page, no dialog opens and no handler runs.
- Every role signs in and opens every page of its menu, resting the pointer on each chart so
  that its tooltip is drawn: not one Content-Security-Policy violation (no inline handler,
  script or style attribute refused; htmx evaluates nothing and injects no style), and no
  script error. The same for the board and a car's terminal while a car is sent (maps, streams,
  the service worker), and the handlers that were inline still work.

Playwright's ``wait_for_function`` with a bare expression evaluates a string in the page, which
the policy refuses: give it a function (``"() => …"``)."""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from precinct.core import clock
from tests.e2e.conftest import demo_server
from tests.e2e.test_legal_journey import _server
from tests.e2e.test_no_leftover_words import ROLES, _settle
from tests.e2e.test_no_leftover_words import _menu as _menu_pages
from tests.e2e.test_no_leftover_words import _sign_in as _sign_in_at_home

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NUMBER = "XS-E2E-CSP"
# each under the API's 64 characters; each would set a flag or open a dialog if it ran
HOSTILE = [
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=alert(2)>",
    "<b onmouseover=window.__xss=3>悬停</b>",
    '"><script>window.__xss=4</script>',
]
HOSTILE_NAME = "<img src=y onerror=window.__xss=5>王"

# Collected before any script of the page runs: what the policy refused, and what the payloads
# would set. (An init script runs outside the page's policy.)
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' +
    (e.sourceFile || '') + ':' + (e.lineNumber || '') + ' ' + (e.sample || ''));
});
"""


class Watch:
    """What went wrong on a page: policy violations, console errors, script errors, dialogs."""

    def __init__(self, page: Any) -> None:
        self.page, self.console, self.errors, self.dialogs = page, [], [], []
        page.context.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):
            self.console.append(f"{message.text} ({where})")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def problems(self) -> list[str]:
        violations = self.page.evaluate("window.__violations || []")
        return [*violations, *self.console, *self.errors, *(f"dialog {d}" for d in self.dialogs)]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server of its own: the payloads stay in its database (and its audit log), where no other
    test reads them (the auditor's log, the leftover-words test)."""
    with demo_server(tmp_path_factory.mktemp("hostile")) as server:
        yield server


@pytest.fixture(scope="module")
def hostile_case(hostile_server: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A case of station XY01, imported as the case platform sends it, one of its persons named
    with markup as the case system recorded it."""
    now = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)
    doc = {
        "case": {"id": NUMBER, "kind": "criminal", "title": "涉嫌诈骗"},
        "events": [
            {"type": "summoned", "at": (now - dt.timedelta(hours=40)).isoformat(), "subject": "p1"},
            {"type": "detained", "at": (now - dt.timedelta(hours=30)).isoformat(), "subject": "p2"},
        ],
    }
    path = tmp_path_factory.mktemp("csp") / f"{NUMBER}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _server(hostile_server, "supervision", "import", str(path), "--unit", "XY01")
    return _server(
        hostile_server, "shell", "-c",
        "from precinct.cases import services as s; from precinct.cases.models import Case; "
        f"c = Case.objects.get(number={NUMBER!r}); "
        f"s.upsert_person(case=c, key='p1', name={HOSTILE_NAME!r}); print(c.pk)",
    )  # fmt: skip


def _record_hostile_events(page: Any, app_server: Any, case_id: str) -> None:
    """As the legal officer records steps (the API a case system or an officer's tool uses)."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    now = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)
    kinds = ["interrogated", "summoned", "interrogated", "summoned"]
    for n, (kind, subject) in enumerate(zip(kinds, HOSTILE, strict=True)):
        at = (now - dt.timedelta(hours=24 - 5 * n)).isoformat()
        made = page.request.post(
            f"{app_server.url}/api/v1/cases/{case_id}/events",
            data=json.dumps({"type": kind, "at": at, "subject": subject}),
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
        )
        assert made.status in (200, 201), made.text()
        assert made.json()["subject"] == subject  # kept as typed: shown as text, not cleaned


# Every element of the timeline a pointer can rest on: each step (row 0) and each deadline bar,
# with the words its tooltip must show and where it is on the screen.
ELEMENTS = """el => {
  const c = echarts.getInstanceByDom(el);
  const d = JSON.parse(document.getElementById(el.dataset.source).textContent);
  const box = el.getBoundingClientRect();
  const at = (x, row) => { const p = c.convertToPixel({gridIndex: 0}, [x, row]);
                           return [box.left + p[0], box.top + p[1]]; };
  return d.events.map(e => ({words: e.subject || e.type, point: at(e.at, 0)})).concat(
    d.deadlines.map(x => ({words: d.rows[x.row], point: at((x.start + x.due) / 2, x.row)})));
}"""


def test_hovering_every_element_of_a_hostile_timeline_shows_text_and_runs_nothing(
    browser: Any, hostile_server: Any, hostile_case: str
) -> None:
    context = browser.new_context(
        base_url=hostile_server.url, viewport={"width": 1440, "height": 900}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        watch = Watch(page)
        _sign_in_at_home(page, "legal")
        _record_hostile_events(page, hostile_server, hostile_case)
        page.goto(f"/supervision/cases/{hostile_case}/")
        page.wait_for_selector("#timeline[data-drawn='1'] canvas")
        page.locator("#timeline").scroll_into_view_if_needed()
        elements = page.eval_on_selector("#timeline", ELEMENTS)
        shown = {e["words"] for e in elements}
        assert set(HOSTILE) <= shown  # each hostile step is on the timeline
        assert any(HOSTILE_NAME in w for w in shown)  # and the person's rows
        tips = []
        for element in elements:
            page.mouse.move(*element["point"])
            tip = page.locator("#timeline > div").filter(has_text=element["words"]).last
            tip.wait_for(state="visible")
            tips.append(tip.inner_text())
            # the words are text: no element of a payload, nothing but the tooltip's own layout
            assert tip.locator("img, svg, script, [onerror], [onload], [onmouseover]").count() == 0
            page.mouse.move(5, 5)  # off the chart: the next element's tooltip is its own
        assert len(tips) == len(elements) >= len(HOSTILE) + 2
        for words in [*HOSTILE, HOSTILE_NAME]:
            assert any(words in t for t in tips), words  # shown literally, markup and all
        assert page.locator("img[src=x], img[src=y], svg[onload]").count() == 0
        assert page.evaluate("window.__xss") is None
        assert watch.problems() == []
    finally:
        context.close()


# The first category of each chart over categories, where a pointer rests on it: its label and
# the point on the screen (the middle of the plot's height).
FIRST_CATEGORY = """el => {
  const c = echarts.getInstanceByDom(el);
  if (!c) return null;
  const o = c.getOption(), axis = (o.xAxis || [])[0];
  if (!axis || axis.type !== 'category' || !axis.data || !axis.data.length) return null;
  const grid = c.getModel().getComponent('grid', 0).coordinateSystem.getRect();
  const box = el.getBoundingClientRect();
  const x = c.convertToPixel({xAxisIndex: 0}, 0);
  const label = axis.data[0];
  return {label: String(label && label.value !== undefined ? label.value : label),
          point: [box.left + x, box.top + grid.y + grid.height / 2]};
}"""


def _hover_charts(page: Any) -> int:
    """Rest the pointer on the first category of every chart over categories: its tooltip opens,
    built as elements (its heading the category, as text). How many were hovered."""
    hovered = 0
    charts = page.locator("[data-chart=trend], [data-chart=bars], [data-chart=series]")
    for n in range(charts.count()):
        chart = charts.nth(n)
        if not chart.is_visible():
            continue
        chart.scroll_into_view_if_needed()
        first = chart.evaluate(FIRST_CATEGORY)
        if first is None:
            continue
        page.mouse.move(*first["point"])
        tip = chart.locator(".chart-tip").last
        tip.wait_for(state="visible")
        assert tip.locator("b").first.inner_text() == first["label"]
        page.mouse.move(1, 1)
        hovered += 1
    return hovered


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_menu_keeps_to_the_content_security_policy(
    browser: Any, app_server: Any, role: str
) -> None:
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1440, "height": 900})
    problems: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        watch = Watch(page)
        page.goto("/")
        _settle(page)
        problems["/login/"] = watch.problems()
        _sign_in_at_home(page, role)
        pages = _menu_pages(page)
        assert len(pages) >= 2, pages
        charts = 0
        for href in ["/", *pages]:
            watch.console.clear()
            watch.errors.clear()
            response = page.goto(href)
            assert response is not None and response.status == 200, (href, response)
            assert "'unsafe-inline'" not in response.headers["content-security-policy"]
            _settle(page)
            charts += _hover_charts(page)  # a tooltip's own markup is checked when it is shown
            problems[href] = watch.problems()
    finally:
        context.close()
    wrong = {href: p for href, p in problems.items() if p}
    assert not wrong, f"{role} ({charts} charts hovered):\n" + "\n".join(
        f"  {h}: {p}" for h, p in wrong.items()
    )


def test_the_crew_terminal_and_the_board_keep_to_the_policy_with_a_car_sent(
    browser: Any, app_server: Any
) -> None:
    """The two pages that draw maps (Leaflet) and take live updates: the centre's board and a
    car's terminal, while the car is sent to a call (its map, its tooltips, the stream)."""
    from tests.e2e.test_crew import Phones, _close, _send

    phones = Phones(browser, app_server.url)
    try:
        crew = phones.phone("crew46")
        crew_watch = Watch(crew)
        reloaded = crew.reload()
        assert reloaded is not None
        assert "script-src 'self'" in reloaded.headers["content-security-policy"]
        crew.wait_for_selector("#live[data-live=live]")
        command = phones.open("command", "/command/")
        board_watch = Watch(command)
        command.reload()
        _settle(command)
        incident = _send(command, "巡46")
        try:
            crew.wait_for_selector(f"#assignment[data-incident='{incident['id']}']")
            assert crew.get_attribute("#crew-map", "data-points") == "2"
            command.wait_for_selector(f"#incidents li:has-text('{incident['number']}')")
            assert crew_watch.problems() == [] and board_watch.problems() == []
        finally:
            _close(command, incident)
    finally:
        for context in phones.contexts:
            context.close()
    assert phones.external == []


def test_the_handlers_that_were_inline_still_work(browser: Any, app_server: Any) -> None:
    """A list that sends its form when a choice is made (data-autosubmit) and a form that asks
    before it is sent (data-confirm): answered no, nothing is sent."""
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        watch = Watch(page)
        _sign_in_at_home(page, "leader")
        page.goto("/campaigns/")
        phase = page.locator("#phase option").nth(1).get_attribute("value")
        with page.expect_navigation():
            page.select_option("#phase", phase)
        assert f"phase={phase}" in page.url
        page.goto("/campaigns/")
        links = page.locator("main table a[href^='/campaigns/']").evaluate_all(
            "as => as.map(a => a.getAttribute('href'))"
        )
        for href in links:
            page.goto(href)
            if page.locator("form[data-confirm]").count():
                break
        else:
            pytest.fail(f"no open campaign to close among {links}")
        asked: list[str] = []
        page.remove_listener("dialog", watch._dialog)
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        before = page.url
        page.locator("form[data-confirm] button").click()
        assert asked == [page.locator("form[data-confirm]").get_attribute("data-confirm")]
        assert page.url == before and page.locator("form[data-confirm]").count() == 1
        assert watch.problems() == []
    finally:
        context.close()
