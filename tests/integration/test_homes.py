"""Each role's home page is its own work today (issue 17): the counts its role needs, each one
the size of the list it opens, within the caller's scope."""

import datetime as dt
import re
import time

import pytest

from precinct.supervision.models import Finding

CARDS = {
    "leader": {
        "incidents_today",
        "street_rate",
        "cars_on_duty",
        "findings_overdue",
        "month_closed",
    },
    "political": {"achievements_submitted", "awards_proposed", "warnings_queued", "over_50"},
    "legal": {"findings_overdue", "findings_due_soon", "tickets_to_verify"},
    "command": {"incidents_today", "incidents_waiting", "cars_on_duty"},
    "chief": {"findings_overdue", "tickets_to_rectify", "incidents_today", "cars_on_duty"},
    "officer": {"my_campaign_items", "my_tickets"},
    "sysadmin": {"accounts", "locked", "tokens"},
    "auditor": {"audit_today"},
    "secadmin": {"access_requests", "password_resets"},
}


def _cards(html: str) -> dict[str, str]:
    """card key → its number, as the page shows them."""
    out = {}
    pattern = r'href="([^"]+)" data-card="([a-z_0-9]+)">\s*<span class="n">([^<]*)</span>'
    for m in re.finditer(pattern, html):
        out[m.group(2)] = (m.group(1).replace("&amp;", "&"), m.group(3))
    return out


@pytest.mark.parametrize("username", sorted(CARDS))
def test_each_role_sees_its_own_work(city, username: str) -> None:
    page = city.client(username).get("/")
    assert page.status_code == 200
    shown = _cards(page.content.decode())
    assert CARDS[username] <= set(shown), (username, sorted(shown))
    for url, _value in shown.values():  # every count opens a page its role may open
        assert city.client(username).get(url).status_code == 200, url


def test_the_legal_departments_counts_are_the_lists_they_open(
    city, django_capture_on_commit_callbacks
) -> None:
    """A detention two days old with no delivery to the detention centre: C02 is overdue, and
    the legal department's home counts it, linking to the overdue list."""
    from precinct.core import clock
    from precinct.supervision import services as supervision

    before = Finding.objects.filter(bureau_id=city.bureau_id, state="overdue").count()
    at = (clock.now() - dt.timedelta(days=2)).isoformat()
    document = {
        "case": {"id": "XS-HOME-1", "kind": "criminal", "title": "盗窃案"},
        "events": [{"type": "detained", "at": at, "subject": "p1"}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        supervision.import_document(
            bureau_id=city.bureau_id, document=document, default_unit="XY01"
        )
    overdue = Finding.objects.filter(bureau_id=city.bureau_id, state="overdue").count()
    assert overdue > before  # delivery, interrogation, the family notice: each late
    url, value = _cards(city.client("legal").get("/").content.decode())["findings_overdue"]
    assert url.endswith("?state=overdue")
    assert int(value.replace(",", "")) == overdue
    listed = city.client("legal").get(url).content.decode()
    assert "XS-HOME-1" in listed


def test_a_chief_counts_only_his_station(city) -> None:
    chief = _cards(city.client("chief").get("/").content.decode())
    leader = _cards(city.client("leader").get("/").content.decode())

    def n(cards: dict, key: str) -> int:
        return int(cards[key][1].replace(",", "").split("/")[-1])  # of "on duty / all"

    assert 0 < n(chief, "cars_on_duty") < n(leader, "cars_on_duty")
    assert n(chief, "findings_overdue") <= n(leader, "findings_overdue")


def test_the_home_page_answers_quickly_enough_for_every_role(city) -> None:
    """Not a benchmark: a guard against a home page that recomputes the world (each role's home
    once, warm, well under the few seconds a person would wait)."""
    for username in CARDS:
        c = city.client(username)
        c.get("/")
        started = time.perf_counter()
        assert c.get("/").status_code == 200
        assert time.perf_counter() - started < 5, username


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant"])
def test_a_missing_page_says_so_in_the_users_language(city, language):
    c = city.client("leader")
    c.cookies["precinct_language"] = language
    r = c.get("/no-such-page/")
    html = r.content.decode()
    assert r.status_code == 404
    assert "Not Found" not in html and f'lang="{language}"' in html
    assert ("页面不存在" if language == "zh-hans" else "頁面不存在") in html
