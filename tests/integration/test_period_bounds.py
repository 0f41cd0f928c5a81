"""Issue 18 V10: a period or month read from the address that lies outside the calendar Python
knows (years 1 to 9999) or far from any data is clamped or refused, never a 500. Every page that
reads ``?from``/``?to``/``?month``/``?year`` (or a month in its path) is probed at the edges."""

import datetime as dt

import pytest

from precinct.command import views as command_views

EDGES = [
    # the command figures and their workbook: ?from / ?to
    ("command", "/command/figures/?to=9999-12-31"),
    ("command", "/command/figures/?from=9999-12-31"),
    ("command", "/command/figures/?from=0001-01-01&to=0001-01-02"),
    ("command", "/command/figures/?from=0001-01-01&to=9999-12-31"),
    ("command", "/command/figures.xlsx?to=9999-12-31"),
    ("command", "/command/figures.xlsx?from=0001-01-01&to=0001-01-01"),
    # statistics: ?month
    ("leader", "/stats/?month=9999-12"),
    ("leader", "/stats/?month=0001-01"),
    ("leader", "/stats/export/?month=9999-12"),
    ("leader", "/stats/export/?month=0001-01"),
    # supervision's holiday calendar: ?year
    ("legal", "/supervision/holidays/?year=9999"),
    ("legal", "/supervision/holidays/?year=99999999"),
    ("legal", "/supervision/holidays/?year=0"),
    # merit: ?month and a month in the path
    ("leader", "/merit/?month=9999-12"),
    ("leader", "/merit/months/9999-12/"),
    ("leader", "/merit/months/2100-12/"),
    ("leader", "/merit/months/2100-12/pack.xlsx"),
    ("leader", "/merit/months/2100-12/bonus.xlsx"),
    ("leader", "/merit/months/2100-12/sessions/"),
    ("leader", "/merit/scoring/?month=9999-12"),
    # campaigns: no period in the address, the list with a date-like phase
    ("legal", "/campaigns/?phase=9999-12-31"),
]


@pytest.mark.parametrize(("username", "url"), EDGES)
def test_it_answers_a_date_at_the_calendars_edge_without_a_500(city, username, url) -> None:
    c = city.client(username)
    c.raise_request_exception = False
    assert c.get(url).status_code in (200, 302, 404)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"to": "9999-12-31"}, ("today-29", "today")),
        ({"from": "9999-12-31"}, ("today", "today")),
        ({"from": "0001-01-01", "to": "0001-01-02"}, ("floor", "floor")),
        ({"from": "2020-03-01", "to": "2020-03-31"}, ("2020-03-01", "2020-03-31")),
        ({"from": "2020-03-31", "to": "2020-03-01"}, ("2020-03-01", "2020-03-31")),
        ({"to": "not-a-date"}, ("today-29", "today")),
    ],
)
def test_the_figures_period_is_clamped_to_the_days_that_can_have_records(
    rf, query, expected
) -> None:
    """A day after today is today, a day before the earliest is the earliest; the page shows the
    period it used (its date fields), so the clamp is visible."""
    from django.conf import settings

    from precinct.core import clock

    today = clock.today(settings.TIME_ZONE)
    floor = command_views.EARLIEST_DAY
    words = {"today": today, "today-29": today - dt.timedelta(days=29), "floor": floor}
    want = tuple(words.get(x) or dt.date.fromisoformat(x) for x in expected)
    assert command_views._period(rf.get("/command/figures/", query)) == want
