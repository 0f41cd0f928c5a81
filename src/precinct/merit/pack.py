"""The monthly session pack drawn as files: an Excel workbook (every figure, with native charts)
and a PDF for the meeting (WeasyPrint, Chinese set in Noto CJK, charts as inline SVG).

Both are drawn from ``services.session_pack``; nothing here reads the database."""

import io
from dataclasses import asdict
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from precinct.common import xlsx
from precinct.common.i18n import explain
from precinct.common.svgcharts import bars, hbars
from precinct.org import services as org

from . import rules
from .models import AWARD_LABELS, AWARD_STATE_LABELS, MEASURE_LABELS
from .services import Dossier, Pack

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
FORMATS = {"xlsx": XLSX, "pdf": PDF}
PDF_MIN_STARS = 3  # the PDF names the officers commended at the meeting; Excel holds everyone


def _post_label(code: str) -> str:
    return str(org.post_type_labels().get(code, code))


def to_xlsx(pack: Pack) -> bytes:
    """Every figure of the pack, one sheet per part; the summary and the units carry charts."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = _("Summary")
    title = _("三一 monthly session pack, %(month)s") % {"month": pack.month}
    summary.append([title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(xlsx.row([_("Bureau"), pack.bureau]))
    status = _("Closed") if pack.closed else _("Open: figures change until the month is closed")
    summary.append([_("Status"), status])
    summary.append([_("Digest of the frozen month"), pack.digest])
    summary.append([_("Scoring policy version"), pack.policy_version])
    summary.append([_("Officers"), len(pack.officers)])
    summary.append([_("Bonus paid (yuan)"), pack.bonus_fen / rules.FEN_PER_YUAN])
    summary.append([])
    summary.append([_("Stars"), _("Officers")])
    first = summary.max_row + 1
    for n, count in enumerate(pack.star_counts):
        summary.append([f"{n}★", count])
    chart = BarChart()
    chart.title = _("Officers by stars")
    chart.legend = None
    chart.add_data(Reference(summary, min_col=2, min_row=first - 1, max_row=first + 5), True)
    chart.set_categories(Reference(summary, min_col=1, min_row=first, max_row=first + 5))
    summary.add_chart(chart, "D3")
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 40

    ranking = wb.create_sheet(_("Ranking"))
    ranking.append(
        [_("Rank"), _("Police number"), _("Name"), _("Unit"), _("Post type"), _("Points"),
         _("Stars"), _("Bonus paid (yuan)")]
    )  # fmt: skip
    for o in pack.officers:
        ranking.append(
            xlsx.row([o.rank, o.number, o.name, o.unit, _post_label(o.post_type), o.points, o.stars,
             o.bonus_fen / rules.FEN_PER_YUAN])
        )  # fmt: skip

    units = wb.create_sheet(_("Units"))
    units.append(
        [_("Unit"), _("Officers"), _("Star officers"), _("Names"), _("Bonus paid (yuan)"),
         _("Theme"), _("Warning case"), _("Published"), _("Held on"), _("Attendance"),
         _("三一 done")]
    )  # fmt: skip
    for u in pack.units:
        units.append(
            xlsx.row([u.name, u.officers, len(u.star_officers), "、".join(u.star_officers),
             u.bonus_fen / rules.FEN_PER_YUAN, u.theme, u.warning_case,
             _("yes") if u.warning_published else _("no"), u.held_on, u.attendance,
             _("yes") if u.done else _("no")])
        )  # fmt: skip
    if pack.units:
        chart = BarChart()
        chart.title = _("Star officers by unit")
        chart.legend = None
        n = len(pack.units) + 1
        chart.add_data(Reference(units, min_col=3, min_row=1, max_row=n), True)
        chart.set_categories(Reference(units, min_col=1, min_row=2, max_row=n))
        chart.width, chart.height = 24, 10
        units.add_chart(chart, f"A{n + 3}")

    awards = wb.create_sheet(_("Awards"))
    awards.append(
        [_("Name"), _("Unit"), _("Award"), _("Deed"), _("State"), _("Bonus (yuan)")]
    )  # fmt: skip
    for a in pack.awards:
        awards.append(
            xlsx.row([a.name, a.unit, str(AWARD_LABELS.get(a.level, a.level)), a.deed,
             str(AWARD_STATE_LABELS.get(a.state, a.state)), a.bonus_fen / rules.FEN_PER_YUAN])
        )  # fmt: skip

    warnings = wb.create_sheet(_("Warnings"))
    warnings.append(
        [
            _("Name"),
            _("Unit"),
            _("Measure"),
            _("In force from"),
            _("Last day in force"),
            _("Reason"),
        ]
    )
    for w in pack.warnings:
        warnings.append(
            xlsx.row([w.name, w.unit, str(MEASURE_LABELS.get(w.measure, w.measure)), w.start, w.end,
             w.reason])
        )  # fmt: skip

    for ws in (ranking, units, awards, warnings):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for column in ws.columns:
            letter = column[0].column_letter
            ws.column_dimensions[letter].width = 14
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "#,##0.00"
                elif cell.is_date:
                    cell.number_format = "yyyy-mm-dd"
    for ws in wb.worksheets:
        xlsx.no_formulas(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(pack: Pack) -> bytes:
    """The pack for the meeting: the month at a glance with its charts, the star officers, each
    unit's three items and theme, the rewards and the warnings. A4, Chinese in Noto CJK."""
    from weasyprint import HTML

    posts = org.post_type_labels()
    stars = [
        {**asdict(o), "post_label": posts.get(o.post_type, o.post_type),
         "star_text": "★" * o.stars, "bonus": rules.yuan(o.bonus_fen)}
        for o in pack.officers
        if o.stars >= PDF_MIN_STARS
    ]  # fmt: skip
    units_chart = sorted(
        ((u.name, len(u.star_officers)) for u in pack.units), key=lambda t: (-t[1], t[0])
    )
    context: dict[str, Any] = {
        "pack": pack,
        "stars": stars,
        "units": [{**asdict(u), "bonus": rules.yuan(u.bonus_fen)} for u in pack.units],
        "awards": [
            {
                **asdict(a),
                "level_label": AWARD_LABELS.get(a.level, a.level),
                "state_label": AWARD_STATE_LABELS.get(a.state, a.state),
                "bonus": rules.yuan(a.bonus_fen),
            }
            for a in pack.awards
        ],
        "warnings": [
            {**asdict(w), "measure_label": MEASURE_LABELS.get(w.measure, w.measure)}
            for w in pack.warnings
        ],
        "bonus_yuan": rules.yuan(pack.bonus_fen),
        "star_bars": bars([(f"{n}★", c) for n, c in enumerate(pack.star_counts)], width=300),
        "unit_bars": hbars(units_chart, width=460, row=14),
        "unit_chart_height": 14 * len(units_chart),
        "min_stars": PDF_MIN_STARS,
        "done": sum(1 for u in pack.units if u.done),
        "star_total": sum(pack.star_counts[1:]),
    }
    html = render_to_string("merit/pack.html", context)
    return bytes(HTML(string=html).write_pdf())


def dossier_pdf(d: Dossier) -> bytes:
    """An award proposal's dossier: the deed, the officer, the public notice, a year of stars,
    prior awards and every measure on record, and what the rules say today."""
    from weasyprint import HTML

    context = {
        "d": d,
        "level": AWARD_LABELS.get(d.award.level, d.award.level),
        "state": AWARD_STATE_LABELS.get(d.award.state, d.award.state),
        "bonus": rules.yuan(d.award.bonus_fen),
        "post": org.post_type_labels().get(d.officer.post_type, d.officer.post_type),
        "checks": [f"{e.field}: {explain(e)}" for e in d.checks],
        "prior": [(AWARD_LABELS.get(a.level, a.level), a) for a in d.prior],
        "measures": [(MEASURE_LABELS.get(m.measure, m.measure), m) for m in d.measures],
        "notice_needed": rules.NOTICE_WORKING_DAYS,
        "city": rules.AwardLevel(d.award.level) in rules.CITY_APPROVES,
    }
    return bytes(HTML(string=render_to_string("merit/dossier.html", context)).write_pdf())


def render(pack: Pack, fmt: str) -> bytes:
    if fmt == "xlsx":
        return to_xlsx(pack)
    if fmt == "pdf":
        return to_pdf(pack)
    raise ValueError(fmt)
