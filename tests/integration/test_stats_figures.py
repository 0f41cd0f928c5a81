"""Figures that do not mislead (issue 17, part 7): units compared with last year's real figures,
a unit chief's ten years, a problem-count month axis without gaps, and figure cards with
thousands separators and units."""

import io
import json
import re

from django.utils import translation
from openpyxl import Workbook

from precinct.core import clock
from precinct.stats import rules, services
from precinct.supervision import services as supervision

COMPARED = ("incidents", "criminal_incidents", "road_accidents")


def _board(city, username: str) -> services.Dashboard:
    return services.dashboard(
        city.scope(username), reference=services.default_reference(city.today)
    )


def test_units_compare_with_last_years_real_figures(city) -> None:
    board = _board(city, "leader")
    bureau = {x.metric.code: x for x in board.lines}
    stations = [u for u in board.units if u.ytd.get("incidents")]
    assert len(stations) > 5
    for code in COMPARED:
        for u in stations:
            assert (u.ytd_last_year.get(code) or 0) > 0, (u.name, code)
            assert u.change(code) is not None
        # the units' returns add up to (nearly all of) the bureau's: none is made up
        units_total = sum(u.ytd_last_year[code] for u in stations)
        assert 0.8 * (bureau[code].ytd_last_year or 0) <= units_total
        assert units_total <= (bureau[code].ytd_last_year or 0)
    page = city.client("leader").get("/stats/").content.decode()
    compstat = page[page.index('class="compstat"') : page.index("</table>", page.index("compstat"))]
    columns = [m.code for m in rules.METRICS if m.computed]
    rows = dict(re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", compstat))
    assert len(rows) == len(board.units)
    for row in (rows[u.name] for u in stations):
        cells = re.findall(r'<td class="num">(.*?)</td>', row)
        for code in COMPARED:
            before = re.search(r'class="muted">/ ([^<]+)<', cells[columns.index(code)])
            assert before is not None and before[1] not in ("0", "—"), row


def _workbook(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_return_imported_by_unit_counts_in_the_units_compared(city) -> None:
    ref = services.default_reference(city.today)
    last_year = rules.add_months(ref, -12)
    station = city.user("chief").unit
    before = _board(city, "leader")
    line = next(u for u in before.units if u.unit_id == station.pk)
    was_month = line.month_last_year.get("criminal_incidents", 0)
    content = _workbook([["Month", "unit", "criminal_incidents"],
                         [f"{last_year:%Y-%m}", station.code, was_month + 1000]])  # fmt: skip
    services.import_xlsx(city.scope("command"), content, by="command")
    after = next(u for u in _board(city, "leader").units if u.unit_id == station.pk)
    assert after.month_last_year["criminal_incidents"] == was_month + 1000
    assert after.ytd_last_year["criminal_incidents"] == (
        line.ytd_last_year.get("criminal_incidents", 0) + 1000
    )


def test_a_unit_chief_sees_his_units_ten_years(city) -> None:
    board = _board(city, "chief")
    line = next(x for x in board.lines if x.metric.code == "criminal_incidents")
    assert len(line.years) == 10 and all((v or 0) > 0 for v in line.years.values())
    assert all(v is not None for v in line.last_year)
    chief = city.client("chief")
    page = chief.get("/stats/?metric=criminal_incidents").content.decode()
    annual = json.loads(re.search(r'id="stats-annual"[^>]*>(.*?)</script>', page, re.S)[1])
    assert len(annual["labels"]) == 10 and None not in annual["series"][0]["values"]
    # a figure the bureau keeps and a station does not: the charts say so, not a blank
    page = chief.get("/stats/?metric=road_deaths").content.decode()
    assert 'id="stats-annual-note"' in page and 'id="stats-monthly-note"' in page
    assert 'data-source="stats-annual"' not in page
    a, b = board.span
    with translation.override("zh-hans"):
        assert translation.gettext("No figures for %(a)s–%(b)s.") % {"a": a, "b": b} in page


def test_problem_points_have_every_month_on_the_axis(city) -> None:
    now = clock.now()
    trend = supervision.dashboard(city.scope("legal"), now=now)["trend"]
    months, counts = trend["months"], trend["counts"]
    assert len(months) == len(counts) and 2 <= len(months) <= 24
    assert 0 in counts and sum(counts) > 0
    this = rules.month_of(city.today)
    assert months[-1] == f"{this:%Y-%m}"
    first = rules.parse_month(months[0])
    assert first is not None
    assert months == [f"{m:%Y-%m}" for m in rules.months_between(first, this)]
    page = city.client("legal").get("/supervision/").content.decode()
    shown = json.loads(re.search(r'id="trend-data"[^>]*>(.*?)</script>', page, re.S)[1])
    assert shown == trend


def test_figure_cards_group_thousands_and_say_their_unit(city) -> None:
    board = _board(city, "leader")
    page = city.client("leader").get("/stats/").content.decode()
    cards = dict(
        re.findall(r'<div class="stat" data-metric="(\w+)"><span class="n">(.*?)</span>', page)
    )
    with translation.override("zh-hans"):
        units = {m.code: translation.gettext(m.amount) % {"n": "\x00"} for m in rules.METRICS}
    shown = [x for x in board.lines if x.ytd is not None]
    assert {x.metric.code for x in shown} == set(cards)
    assert any((x.ytd or 0) >= 1_000_000 for x in shown)  # a figure that needs separators
    for x in shown:
        card = cards[x.metric.code]
        number = re.sub(r"<small>.*?</small>", "", card).strip()
        assert number == rules.grouped(x.ytd, 1), (x.metric.code, card)
        assert not re.search(r"\d{4}", number)  # 15,850,861, never 15850861
        unit = units[x.metric.code].replace("\x00", "").strip()
        assert f"<small>{unit}</small>" in card.replace("<small> ", "<small>"), card
