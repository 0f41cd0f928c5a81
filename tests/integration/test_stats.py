"""Public-safety statistics: the computed figures against the records, imported figures where
precinct's records do not reach, the dashboard's comparisons, the all-or-nothing import, the API
and the pages, scoped."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from openpyxl import Workbook

from precinct.command.models import Incident
from precinct.core import clock
from precinct.core.errors import PermissionDenied, ValidationFailed
from precinct.identity.models import AuditEntry
from precinct.stats import rules, services
from precinct.stats.models import CoveredMonth, MonthlyFigure

TZ = ZoneInfo(settings.TIME_ZONE)


def _month_start(m: dt.date) -> dt.datetime:
    return dt.datetime.combine(m, dt.time(0), tzinfo=TZ)


def _covered_month(city) -> dt.date:
    return services.covered_from(city.bureau_id)[rules.INCIDENTS]


def test_computed_figures_count_the_records(city) -> None:
    month = _covered_month(city)
    start, end = _month_start(month), _month_start(rules.add_months(month, 1))
    incidents = Incident.objects.filter(
        bureau_id=city.bureau_id, received_at__gte=start, received_at__lt=end
    )
    bureau = {
        f.metric: f.value
        for f in MonthlyFigure.objects.filter(
            bureau_id=city.bureau_id, month=month, source="computed", unit__isnull=True
        )
    }
    assert bureau["criminal_incidents"] == incidents.filter(category="criminal").count() > 0
    assert bureau["road_accidents"] == incidents.filter(category="traffic").count()
    assert bureau["incidents"] == incidents.exclude(category="non_police").count()
    by_unit = sum(
        MonthlyFigure.objects.filter(
            bureau_id=city.bureau_id, month=month, source="computed", unit__isnull=False,
            metric="criminal_incidents",
        ).values_list("value", flat=True)
    )  # fmt: skip
    no_station = incidents.filter(category="criminal", station__isnull=True).count()
    assert by_unit + no_station == bureau["criminal_incidents"]


def test_a_second_refresh_writes_each_figure_once(city) -> None:
    month = _covered_month(city)
    before = MonthlyFigure.objects.filter(bureau_id=city.bureau_id, month=month).count()
    services.refresh(city.bureau_id, now=clock.now(), months=[month, month])
    services.refresh(city.bureau_id, now=clock.now(), months=[month])
    assert MonthlyFigure.objects.filter(bureau_id=city.bureau_id, month=month).count() == before


def test_computed_figures_win_where_the_records_reach_and_imported_ones_before(city) -> None:
    month = _covered_month(city)
    earlier = rules.add_months(month, -1)
    leader = city.scope("leader")
    MonthlyFigure.objects.create(bureau_id=city.bureau_id, month=month, metric="road_accidents",
                                 value=999_999, source="imported")  # fmt: skip
    rows = {r["month"]: r["values"] for r in services.monthly(leader, first=earlier, last=month)}
    computed = MonthlyFigure.objects.get(
        bureau_id=city.bureau_id, month=month, metric="road_accidents", source="computed",
        unit__isnull=True,
    ).value  # fmt: skip
    assert rows[f"{month:%Y-%m}"]["road_accidents"] == computed != 999_999
    imported = MonthlyFigure.objects.get(
        bureau_id=city.bureau_id, month=earlier, metric="road_accidents", source="imported",
        unit__isnull=True,
    ).value  # fmt: skip
    assert rows[f"{earlier:%Y-%m}"]["road_accidents"] == imported
    # a figure precinct never computes is the imported one everywhere
    assert rows[f"{month:%Y-%m}"]["satisfaction"] is not None


def test_the_dashboard_compares_year_over_year_and_finds_ten_year_lows(city) -> None:
    leader = city.scope("leader")
    ref = services.default_reference(city.today)
    board = services.dashboard(leader, reference=ref)
    line = next(x for x in board.lines if x.metric.code == "criminal_incidents")
    rows = {
        r["month"]: r["values"]["criminal_incidents"]
        for r in services.monthly(leader, first=rules.add_months(ref, -12), last=ref)
    }
    now, before = rows[f"{ref:%Y-%m}"], rows[f"{rules.add_months(ref, -12):%Y-%m}"]
    assert line.month == now and line.month_last_year == before
    assert line.yoy == pytest.approx((now - before) / before)
    assert board.span == (ref.year - 10, ref.year - 1) and len(line.years) == 10
    e = line.extremes
    assert e is not None and e.high == max(v for v in line.years.values() if v is not None)
    satisfaction = next(x for x in board.lines if x.metric.code == "satisfaction")
    assert satisfaction.metric.mean and 80 < (satisfaction.ytd or 0) <= 100  # a mean, not a sum
    deaths = next(x for x in board.lines if x.metric.code == "road_deaths")
    assert deaths.extremes is not None and deaths.extremes.latest_is_low  # the source's claim
    assert board.units and all(u.name for u in board.units)


def test_a_unit_chief_sees_the_sum_of_his_units(city) -> None:
    ref = services.default_reference(city.today)
    bureau = services.dashboard(city.scope("leader"), reference=ref)
    mine = services.dashboard(city.scope("chief"), reference=ref)
    b = next(x for x in bureau.lines if x.metric.code == "incidents")
    m = next(x for x in mine.lines if x.metric.code == "incidents")
    assert m.ytd is not None and 0 < m.ytd < (b.ytd or 0)
    assert len(mine.units) == 1
    with pytest.raises(PermissionDenied):
        services.dashboard(city.scope("officer"), reference=ref)


def _workbook(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_import_names_every_bad_cell_and_writes_nothing(city) -> None:
    command = city.scope("command")
    before = MonthlyFigure.objects.count()
    content = _workbook([
        ["月份", "单位代码", "刑事警情 (criminal_incidents)", "Road deaths", "群众满意度", "votes"],
        ["2012-13", "", 5, 1, 90],
        ["2012-01", "NOPE", 5, 1, 90],
        ["2012-02", "", -1, "x", 101],
        ["2012-03", "", 4.5, 2, 90.5],
        ["2012-03", "", 4, 2, 90.5],
    ["2012-04", "", dt.datetime(2012, 4, 1), 1e20, 0.95],
    ])  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        services.import_xlsx(command, content, by="command")
    cells = {(e.field, e.row) for e in caught.value.errors}
    assert ("F1", 1) in cells  # unknown figure "votes"
    assert ("A2", 2) in cells and ("B3", 3) in cells
    assert {("C4", 4), ("D4", 4), ("E4", 4)} <= cells
    assert ("C5", 5) in cells  # 4.5 incidents
    assert ("D6", 6) in cells  # the same month's figure twice
    assert {("C7", 7), ("D7", 7)} <= cells and ("E7", 7) not in cells  # a date; too large
    assert MonthlyFigure.objects.count() == before
    with pytest.raises(ValidationFailed) as caught:
        services.import_xlsx(command, b"not a workbook", by="command")
    assert caught.value.errors[0].field == "file"


def test_the_import_writes_and_replaces_and_is_audited(city) -> None:
    command = city.scope("command")
    station = city.user("chief").unit
    content = _workbook([
        ["Month", "unit", "criminal_incidents", "Public satisfaction", "road_property_loss"],
        ["2012-01", "", 120, 91.25, "1,234.56"],
        [dt.date(2012, 2, 1), station.code, 7, None, None],
    ])  # fmt: skip
    result = services.import_xlsx(command, content, by="command")
    assert (result.figures, result.months) == (4, 2)
    jan = dt.date(2012, 1, 1)
    got = {
        f.metric: f.value for f in MonthlyFigure.objects.filter(bureau_id=city.bureau_id, month=jan)
    }
    assert got == {"criminal_incidents": 120, "satisfaction": 9125, "road_property_loss": 123456}
    assert MonthlyFigure.objects.get(month=dt.date(2012, 2, 1)).unit_id == station.pk
    again = _workbook([["Month", "criminal_incidents"], ["2012-01", 130]])
    services.import_xlsx(command, again, by="command")
    assert MonthlyFigure.objects.get(month=jan, metric="criminal_incidents").value == 130
    assert MonthlyFigure.objects.filter(month=jan).count() == 3
    assert AuditEntry.objects.filter(action="stats_imported").count() == 2
    with pytest.raises(PermissionDenied):
        services.import_xlsx(city.scope("chief"), again, by="chief")


def _bureau_figure(city, month: dt.date, metric: str) -> int:
    return MonthlyFigure.objects.get(bureau_id=city.bureau_id, month=month, metric=metric,
                                     source="computed", unit__isnull=True).value  # fmt: skip


def test_the_current_month_is_redone_once_it_is_stale(city) -> None:
    now = clock.now()
    this = rules.month_of(now.astimezone(TZ).date())
    services.refresh(city.bureau_id, now=now, months=services.recent(now))
    assert services.ensure_fresh(city.bureau_id, now=now) == 0
    before = _bureau_figure(city, this, "criminal_incidents")
    inc = Incident.objects.filter(
        bureau_id=city.bureau_id, category="criminal", received_at__lt=_month_start(this)
    ).first()
    Incident.objects.filter(pk=inc.pk).update(received_at=now - dt.timedelta(minutes=1))
    assert services.ensure_fresh(city.bureau_id, now=now + dt.timedelta(minutes=5)) == 0
    assert _bureau_figure(city, this, "criminal_incidents") == before  # still fresh
    assert services.ensure_fresh(city.bureau_id, now=now + dt.timedelta(minutes=11)) == 2
    assert _bureau_figure(city, this, "criminal_incidents") == before + 1
    stamp = CoveredMonth.objects.get(bureau_id=city.bureau_id, month=this, family="incidents")
    assert stamp.refreshed_at == now + dt.timedelta(minutes=11)


def test_a_stray_early_record_does_not_hide_the_imported_years(city) -> None:
    from precinct.cases import services as cases
    from precinct.cases.rules import EventContent

    covered = services.covered_from(city.bureau_id)
    old, _new = cases.upsert_case(
        bureau_id=city.bureau_id,
        data=cases.CaseData(
            number="XA-2015-0001", kind="administrative", unit_id=city.user("chief").unit_id
        ),
    )
    stray = EventContent("case_accepted", dt.datetime(2015, 3, 5, 10, tzinfo=TZ), None, {})
    cases.record_event(case=old, content=stray, recorded_by="legal")  # a case from long ago
    services.refresh(city.bureau_id, now=clock.now())
    assert services.covered_from(city.bureau_id) == covered
    assert not CoveredMonth.objects.filter(month__lt=covered["cases"]).exists()


def test_a_corrected_acceptance_counts_once_in_its_new_month(city) -> None:
    from precinct.cases import services as cases
    from precinct.cases.models import CaseEvent

    month = services.covered_from(city.bureau_id)[rules.CASES]
    nxt = rules.add_months(month, 1)
    event = (
        CaseEvent.objects.filter(
            bureau_id=city.bureau_id,
            type="case_accepted",
            case__kind="administrative",
            at__gte=_month_start(month),
            at__lt=_month_start(nxt),
        )
        .select_related("case")
        .first()
    )
    assert event is not None
    services.refresh(city.bureau_id, now=clock.now(), months=[month, nxt])
    a, b = (_bureau_figure(city, m, "public_order_cases") for m in (month, nxt))
    from precinct.cases.rules import EventContent

    content = EventContent("case_accepted", _month_start(nxt) + dt.timedelta(hours=9), None, {})
    cases.record_event(case=event.case, content=content, recorded_by="legal", corrects=event.pk)
    services.refresh(city.bureau_id, now=clock.now(), months=[month, nxt])
    assert (_bureau_figure(city, month, "public_order_cases"),
            _bureau_figure(city, nxt, "public_order_cases")) == (a - 1, b + 1)  # fmt: skip


def test_the_api_gives_months_of_figures_scoped(city) -> None:
    ref = services.default_reference(city.today)
    first = rules.add_months(ref, -23)
    url = f"/api/v1/stats/monthly?from={first:%Y-%m}&to={ref:%Y-%m}"
    body = city.client("leader").get(url).json()
    assert len(body["months"]) == 24 and body["months"][0]["month"] == f"{first:%Y-%m}"
    assert {m["code"] for m in body["metrics"]} == {m.code for m in rules.METRICS}
    last = body["months"][-1]["values"]
    chief = city.client("chief").get(url).json()["months"][-1]["values"]
    assert 0 < chief["incidents"] < last["incidents"]
    assert chief["satisfaction"] is None  # the bureau's survey is not a station's figure
    c = city.client("leader")
    assert c.get("/api/v1/stats/monthly?from=2026-13&to=2026-01").status_code == 422
    assert c.get("/api/v1/stats/monthly?from=2026-05&to=2026-01").status_code == 422
    assert c.get("/api/v1/stats/monthly?from=1990-01&to=2026-01").status_code == 422
    assert city.client("officer").get(url).status_code == 403


def test_pages_and_files(city) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    leader = city.client("leader")
    page = leader.get("/stats/?metric=road_deaths")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-source="stats-monthly"' in text and 'data-source="stats-annual"' in text
    assert 'class="compstat"' in text
    x = leader.get("/stats/export/?format=xlsx")
    wb = load_workbook(io.BytesIO(x.content))
    assert len(wb.sheetnames) == 4 and wb[wb.sheetnames[0]].max_row == 2 + len(rules.METRICS)
    p = leader.get("/stats/export/?format=pdf")
    assert p.content.startswith(b"%PDF")
    assert "刑事警情" in "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(p.content)).pages)
    assert leader.get("/stats/import/").status_code == 200
    assert city.client("chief").get("/stats/import/").status_code == 403
    assert city.client("chief").get("/stats/").status_code == 200
    template = city.client("command").get("/stats/import/template.xlsx")
    header = [c.value for c in next(load_workbook(io.BytesIO(template.content)).active.rows)]
    assert "刑事警情 (criminal_incidents)" in header
