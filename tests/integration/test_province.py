"""The province view (ADR 0043) read in one city: its own column, the figures the cities' own
services give, for the leadership only; at a province's installation its own bureau is left
out. The replication itself is tested with real databases in tests/cluster."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.test import override_settings

from precinct.command import services as command
from precinct.core import clock
from precinct.province import rules, services


def test_the_city_reads_as_the_province_will_see_it(city) -> None:
    today = clock.today(settings.TIME_ZONE)
    tz = ZoneInfo(settings.TIME_ZONE)
    (found,) = services.cities(today=today, tz=tz)
    assert found.bureau_id == city.bureau_id
    # the same figures as the city's own street figures page, for the year to date
    own = command.figures(city.scope("leader"), first=dt.date(today.year, 1, 1), last=today, tz=tz)
    assert found.incidents == own.incidents > 0
    assert found.street_rate == own.street[2]
    assert found.findings > 0 and 0 <= found.problems <= found.findings
    assert found.statistics, "the statistics' year to date"


def test_only_the_leadership_opens_the_page_and_the_api(city) -> None:
    page = city.client("leader").get("/province/")
    assert page.status_code == 200
    body = page.content.decode()
    assert re.search(r'<table class="data" id="province-cities">', body)
    from precinct.org import services as org

    assert f"<tr><td>{org.bureau_names()[city.bureau_id]}</td>" in body  # its row
    for username in ("officer", "command", "auditor"):
        assert city.client(username).get("/province/").status_code in (302, 403)
    from precinct.identity import services as identity

    token = identity.create_token(username="leader", name="province")[1]
    api = city.client("leader").get(
        "/api/v1/province/cities", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200
    (line,) = api.json()
    assert line["bureau_id"] == str(city.bureau_id) and line["incidents"] > 0


@override_settings(PROVINCE=True)
def test_a_province_leaves_its_own_bureau_out(city) -> None:
    page = city.client("leader").get("/province/")
    assert page.status_code == 200
    assert 'id="province-empty"' in page.content.decode()


def test_what_leaves_a_city_is_named_and_keeps_the_callers_back() -> None:
    assert set(rules.PUBLISHED["command_incident"]) == {"caller_phone", "caller_name"}
    kept = rules.published_columns("command_incident", ["id", "caller_phone", "summary"])
    assert kept == ["id", "summary"]
    assert rules.subscription("shuangyashan") == "precinct_city_shuangyashan"
    for bad in ("Shuangyashan", "1city", "a-b", "x; DROP TABLE", ""):
        try:
            rules.subscription(bad)
        except rules.BadCityName as exc:
            assert "city" in str(exc)
        else:
            raise AssertionError(bad)
