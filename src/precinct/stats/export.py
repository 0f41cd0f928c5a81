"""The statistics as files: an Excel workbook (the figures compared, ten years by month, units
compared, with native charts), a PDF for the leadership meeting (charts as inline SVG), and the
import template. Reads no database: it draws a :class:`services.Dashboard`."""

import io
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from precinct.common import xlsx
from precinct.common.svgcharts import bars

from . import rules
from .services import Dashboard

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
FORMATS = {"xlsx": XLSX, "pdf": PDF}
PDF_CHARTS = ("criminal_incidents", "public_order_cases", "road_deaths", "satisfaction")


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def to_xlsx(board: Dashboard) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Figures")
    ws.append(xlsx.row([_("Public-safety statistics, %(month)s") % {
        "month": f"{board.reference:%Y-%m}"}]))  # fmt: skip
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(xlsx.row([
        _("Figure"), _("Unit of count"), _("This month"), _("Same month last year"),
        _("Year over year (%)"), _("Month before"), _("Month over month (%)"),
        _("Year to date"), _("Last year to date"), _("Year to date, change (%)"),
        _("10-year high"), _("Year"), _("10-year low"), _("Year"),
    ]))  # fmt: skip
    for line in board.lines:
        e = line.extremes
        ws.append(xlsx.row([
            _(line.metric.label), _(line.metric.unit), line.month, line.month_last_year,
            _pct(line.yoy), line.previous_month, _pct(line.mom), line.ytd, line.ytd_last_year,
            _pct(line.ytd_change), e.high if e else None, e.high_year if e else None,
            e.low if e else None, e.low_year if e else None,
        ]))  # fmt: skip
    ws.column_dimensions["A"].width = 26
    xlsx.no_formulas(ws)

    years = wb.create_sheet(_("Years"))
    span = list(range(board.span[0], board.span[1] + 1))
    years.append(xlsx.row([_("Year"), *[_(line.metric.label) for line in board.lines]]))
    for y in span:
        years.append([y, *[line.years.get(y) for line in board.lines]])
    if span:
        chart = BarChart()
        chart.title = _(rules.BY_CODE["criminal_incidents"].label)
        chart.add_data(Reference(years, min_col=3, min_row=1, max_row=len(span) + 1),
                       titles_from_data=True)  # fmt: skip
        chart.set_categories(Reference(years, min_col=1, min_row=2, max_row=len(span) + 1))
        years.add_chart(chart, "P2")

    months = wb.create_sheet(_("This year by month"))
    months.append(xlsx.row([_("Month"), *[_(line.metric.label) for line in board.lines]]))
    for i in range(12):
        months.append([i + 1, *[line.this_year[i] for line in board.lines]])
    chart2 = LineChart()
    chart2.title = _(rules.BY_CODE["criminal_incidents"].label)
    chart2.add_data(Reference(months, min_col=3, min_row=1, max_row=13), titles_from_data=True)
    chart2.set_categories(Reference(months, min_col=1, min_row=2, max_row=13))
    months.add_chart(chart2, "P2")

    units = wb.create_sheet(_("Units compared"))
    computed = [m for m in rules.METRICS if m.computed]
    head = [_("Unit")]
    for m in computed:
        head += [f"{_(m.label)} · {_('year to date')}", _("last year"), _("change (%)")]
    units.append(xlsx.row(head))
    for u in board.units:
        row: list[Any] = [u.name]
        for m in computed:
            row += [u.ytd.get(m.code), u.ytd_last_year.get(m.code), _pct(u.change(m.code))]
        units.append(xlsx.row(row))
    units.column_dimensions["A"].width = 18
    xlsx.no_formulas(units)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(board: Dashboard) -> bytes:
    from weasyprint import HTML

    lines = {line.metric.code: line for line in board.lines}
    charts = []
    for code in PDF_CHARTS:
        line = lines[code]
        items = [(str(y), round(v or 0)) for y, v in sorted(line.years.items())]
        if any(v for _y, v in items):
            charts.append({"label": _(line.metric.label), "bars": bars(items, width=300,
                                                                       height=120)})  # fmt: skip
    rows = [
        {"label": _(line.metric.label), "unit": _(line.metric.unit), "line": line,
         "yoy": _pct(line.yoy), "ytd_change": _pct(line.ytd_change)}
        for line in board.lines
    ]  # fmt: skip
    html = render_to_string(
        "stats/report.html",
        {"board": board, "rows": rows, "charts": charts,
         "computed": [m for m in rules.METRICS if m.computed]},
    )  # fmt: skip
    return bytes(HTML(string=html).write_pdf())


def template() -> bytes:
    """The import template: month, unit code, one column per figure headed "Label (code)"."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Figures")
    ws.append(xlsx.row([_("Month (YYYY-MM)"), "单位代码",
                        *[f"{_(m.label)} ({m.code})" for m in rules.METRICS]]))  # fmt: skip
    ws.append(["2019-01", "", *[None for _m in rules.METRICS]])
    for i in range(len(rules.METRICS) + 2):
        ws.column_dimensions[rules.column_name(i)].width = 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
