"""A campaign's report as files: an Excel workbook (summary and targets, the checklist, units
with a native chart) and a PDF for the meeting (WeasyPrint, charts as inline SVG). Reads no
database: it draws a :class:`services.Detail`."""

import datetime as dt
import io
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from precinct.common import xlsx
from precinct.common.svgcharts import hbars

from .models import ITEM_STATE_LABELS, LEVEL_LABELS, METRIC_LABELS, PHASE_LABELS
from .services import Detail

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
FORMATS = {"xlsx": XLSX, "pdf": PDF}
FLAG_LABELS = {
    "done": gettext_lazy("Completed"),
    "late_done": gettext_lazy("Done late"),
    "overdue": gettext_lazy("Overdue"),
    "due_soon": gettext_lazy("Due soon"),
    "open": gettext_lazy("Not started"),
}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def to_xlsx(d: Detail, *, today: dt.date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    c, p = d.row.campaign, d.row.progress
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Summary")
    ws.append(xlsx.row([c.name]))
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in (
        (_("Code"), c.code),
        (_("Level"), str(LEVEL_LABELS.get(c.level, c.level))),
        (pgettext("campaign", "Period"), f"{c.starts:%Y-%m-%d} – {c.ends:%Y-%m-%d}"),
        (_("Phase"), str(PHASE_LABELS[d.row.phase])),
        (_("Lead unit"), c.lead_unit.name if c.lead_unit else ""),
        (_("Goals"), c.goal),
        (_("As of"), f"{today:%Y-%m-%d}"),
        (_("Items"), p.total),
        (_("Completed"), p.done),
        (_("Overdue"), p.overdue),
        (_("Done (%)"), _pct(p.share)),
        (_("Done on time (%)"), _pct(p.on_time)),
    ):
        ws.append(xlsx.row([label, value]))
    ws.append([])
    ws.append(xlsx.row([_("Target"), _("Counted from"), _("Goal"), _("Reached"), _("Reached (%)")]))
    for t in d.row.targets:
        ws.append(xlsx.row([t.name, str(METRIC_LABELS[t.metric]), t.goal, t.reached,
                            _pct(t.share)]))  # fmt: skip
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 40
    xlsx.no_formulas(ws)

    items = wb.create_sheet(_("Checklist"))
    items.append(xlsx.row([_("No."), _("Task"), _("Owner unit"), _("Due"), _("Status"),
                           _("Flag"), _("Done on"), _("Evidence")]))  # fmt: skip
    for item, flag in d.items:
        items.append(
            xlsx.row([item.number, item.task, item.owner_unit.name, item.due,
                      str(ITEM_STATE_LABELS[item.status]), str(FLAG_LABELS[flag]),
                      item.done_on, item.evidence])
        )  # fmt: skip
    items.column_dimensions["B"].width = 50
    items.column_dimensions["C"].width = 18
    items.column_dimensions["H"].width = 40
    xlsx.no_formulas(items)

    units = wb.create_sheet(_("By unit"))
    units.append(xlsx.row([_("Unit"), _("Items"), _("Completed"), _("Overdue"), _("Done (%)")]))
    for u in d.by_unit:
        units.append(xlsx.row([u.name, u.progress.total, u.progress.done, u.progress.overdue,
                               _pct(u.progress.share)]))  # fmt: skip
    units.column_dimensions["A"].width = 20
    if d.by_unit:
        chart = BarChart()
        chart.type = "bar"
        chart.title = _("Done (%)")
        chart.add_data(
            Reference(units, min_col=5, min_row=1, max_row=len(d.by_unit) + 1),
            titles_from_data=True,
        )
        chart.set_categories(Reference(units, min_col=1, min_row=2, max_row=len(d.by_unit) + 1))
        chart.height = max(7.5, 0.6 * len(d.by_unit))
        units.add_chart(chart, "G2")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(d: Detail, *, today: dt.date) -> bytes:
    from weasyprint import HTML

    c = d.row.campaign
    unit_bars = hbars([(u.name, round(100 * (u.progress.share or 0))) for u in d.by_unit])
    context: dict[str, Any] = {
        "c": c,
        "row": d.row,
        "today": today,
        "level": LEVEL_LABELS.get(c.level, c.level),
        "phase": PHASE_LABELS[d.row.phase],
        "items": [
            {
                "item": i,
                "state": ITEM_STATE_LABELS[i.status],
                "flag": f,
                "flag_label": FLAG_LABELS[f],
            }
            for i, f in d.items
        ],
        "by_unit": d.by_unit,
        "unit_bars": unit_bars,
        "unit_chart_height": len(unit_bars) * 14 + 4,
        "metrics": METRIC_LABELS,
        "done_pct": _pct(d.row.progress.share),
    }
    return bytes(HTML(string=render_to_string("campaigns/report.html", context)).write_pdf())
