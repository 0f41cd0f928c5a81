"""Every list page has one pager (web/_pager.html) whose links keep the active filters. Before,
seven hand-rolled pagers each kept some: the findings' next page lost its unit, the merit month's
its month."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from django.db.models import Count

from precinct.merit import services as merit
from precinct.merit.rules import Month
from precinct.supervision.models import Finding


def _pager_links(html: str) -> list[dict[str, list[str]]]:
    """The query of every link to another page of the list, in order."""
    hrefs = [unescape(h) for h in re.findall(r'href="(\?[^"]*)"', html)]
    queries = [parse_qs(urlsplit(h).query, keep_blank_values=True) for h in hrefs]
    return [q for q in queries if "page" in q]


def test_the_next_page_of_findings_keeps_the_unit_and_the_state(city) -> None:
    busiest = (
        Finding.objects.filter(bureau_id=city.bureau_id)
        .values("unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert busiest and busiest["n"] > 50, "the demo city has a unit with two pages of findings"
    legal = city.client("legal")
    unit = busiest["unit__name"]
    first = legal.get("/supervision/findings/", {"unit": unit, "rule": ""})
    assert first.status_code == 200
    (following,) = _pager_links(first.content.decode())
    assert following == {"unit": [unit], "rule": [""], "page": ["2"]}, following
    second = legal.get("/supervision/findings/", following)
    assert {f.unit.name for f in second.context["page"].object_list} == {unit}
    back = _pager_links(second.content.decode())[0]
    assert back == {"unit": [unit], "rule": [""], "page": ["1"]}, back


def test_the_next_page_of_a_month_keeps_the_month_asked_for(city) -> None:
    older = Month.of(city.today).previous().previous()
    political = city.client("political")
    assert len(merit.month_results(city.scope("political"), older)["officers"]) > 50
    first = political.get("/merit/", {"month": str(older), "post_type": ""})
    (following,) = _pager_links(first.content.decode())
    assert following == {"month": [str(older)], "post_type": [""], "page": ["2"]}, following
    assert political.get("/merit/", following).context["month"] == older


def test_the_officer_list_pages_in_place_with_its_search(city) -> None:
    chief = city.client("leader")
    first = chief.get("/org/officers/", {"status": "active"})
    html = first.content.decode()
    (following,) = _pager_links(html)
    assert following == {"status": ["active"], "page": ["2"]}, following
    assert 'hx-target="#results"' in html and 'hx-push-url="true"' in html
