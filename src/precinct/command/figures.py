"""The command figures as an Excel workbook (one sheet per table, native charts). Reads no
database: it draws a :class:`services.Figures`."""

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference

from precinct.common import xlsx

from .services import Figures


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _sec(value: Any) -> Any:
    return None if value is None else round(float(value), 1)


def to_xlsx(f: Figures) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Summary")
    street, police, rate = f.street
    ws.append(xlsx.row([_("Period"), f"{f.first:%Y-%m-%d} – {f.last:%Y-%m-%d}"]))
    ws.append(xlsx.row([_("Incidents"), f.incidents]))
    ws.append(xlsx.row([_("Handled on the street"), street]))
    ws.append(xlsx.row([_("Police incidents closed"), police]))
    ws.append(xlsx.row([_("Street-handling rate (%)"), _pct(rate)]))
    ws.append(xlsx.row([_("On scene within 5 minutes (%)"), _pct(f.within_5[2])]))
    ws.append(xlsx.row([_("On scene within 10 minutes (%)"), _pct(f.within_10[2])]))
    ws.append(xlsx.row([_("Patrol cars"), f.cars]))
    ws.column_dimensions["A"].width = 34

    months = wb.create_sheet(_("By month"))
    months.append(xlsx.row([_("Month"), _("Handled on the street"), _("Police incidents closed"),
                            _("Street-handling rate (%)")]))  # fmt: skip
    for m, s, n, r in f.street_by_month:
        months.append(xlsx.row([m, s, n, _pct(r)]))
    if f.street_by_month:
        chart = LineChart()
        chart.title = _("Street-handling rate (%)")
        chart.add_data(
            Reference(months, min_col=4, min_row=1, max_row=len(f.street_by_month) + 1),
            titles_from_data=True,
        )
        chart.set_categories(
            Reference(months, min_col=1, min_row=2, max_row=len(f.street_by_month) + 1)
        )
        months.add_chart(chart, "F2")

    head = [_("n"), _("Received→dispatched p50 (s)"), _("p90 (s)"), _("p95 (s)"),
            _("Dispatched→on scene p50 (s)"), _("p90 (s)"), _("p95 (s)")]  # fmt: skip
    for title, label, groups in (
        (_("By priority"), _("Priority"), f.by_priority),
        (_("By station"), _("Station"), f.by_station),
        (_("By hour"), _("Hour"), f.by_hour),
    ):
        sheet = wb.create_sheet(title)
        sheet.append(xlsx.row([label, *head]))
        for key, g in groups.items():
            sheet.append(xlsx.row([key, g["n"], _sec(g["dispatch_p50"]), _sec(g["dispatch_p90"]),
                                   _sec(g["dispatch_p95"]), _sec(g["scene_p50"]),
                                   _sec(g["scene_p90"]), _sec(g["scene_p95"])]))  # fmt: skip
        sheet.column_dimensions["A"].width = 18

    zero = wb.create_sheet(_("Zero-call days"))
    zero.append(xlsx.row([_("Station"), _("Zero-call days")]))
    for station, days in f.zero_days.items():
        zero.append(xlsx.row([station, days]))
    if f.zero_days:
        chart2 = BarChart()
        chart2.title = _("Zero-call days")
        chart2.add_data(
            Reference(zero, min_col=2, min_row=1, max_row=len(f.zero_days) + 1),
            titles_from_data=True,
        )
        chart2.set_categories(Reference(zero, min_col=1, min_row=2, max_row=len(f.zero_days) + 1))
        zero.add_chart(chart2, "D2")

    cov = wb.create_sheet(_("Coverage"))
    cov.append(
        xlsx.row(
            [_("Hour"), _("Cars on the road (mean)"), _("Cars on the road (lowest)"), _("Plan")]
        )
    )
    for c in f.coverage:
        cov.append(xlsx.row([c["hour"], round(c["mean"], 2), round(c["min"], 2), c["plan"]]))
    for sheet in wb.worksheets:
        xlsx.no_formulas(sheet)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
