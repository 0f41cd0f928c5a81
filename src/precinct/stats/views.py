"""The statistics pages: the dashboard (year over year, month over month, 10-year highs and
lows, units compared, charts), its Excel and PDF, and the import of earlier years' figures."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.common.routing import replica_reads
from precinct.core import clock
from precinct.identity.services import caller
from precinct.jobs import services as jobs

from . import export, rules, services
from . import jobs as stats_jobs

MAX_UPLOAD = 5 * 1024 * 1024


def _reference(request: HttpRequest) -> dt.date:
    chosen = rules.parse_month(request.GET.get("month", ""))
    today = clock.today(settings.TIME_ZONE)
    latest = rules.month_of(today)
    if chosen is None or chosen > latest:
        return services.default_reference(today)
    return chosen


def _board(request: HttpRequest) -> services.Dashboard:
    scope = caller(request)
    if scope.bureau_id is not None:
        services.ensure_fresh(scope.bureau_id, now=clock.now())
    return services.dashboard(scope, reference=_reference(request))


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _charts(board: services.Dashboard, code: str) -> dict[str, Any]:
    """The chosen figure's charts; where a chart would have no bar or point (a unit chief's
    figure only the bureau keeps, years before any return), a sentence says so instead."""
    line = next((x for x in board.lines if x.metric.code == code), board.lines[1])
    label = _(line.metric.label)
    ref = board.reference
    months = [f"{m}" for m in range(1, 13)]
    years = sorted(line.years)
    present = [y for y in years if line.years[y] is not None]
    if not present:
        annual_note = _("No figures for %(a)s–%(b)s.") % {"a": years[0], "b": years[-1]}
    elif present[0] > years[0]:
        annual_note = _("No figures before %(year)s.") % {"year": present[0]}
    else:
        annual_note = ""
    monthly_empty = all(v is None for v in line.this_year + line.last_year)
    return {
        "code": line.metric.code,
        "label": label,
        "monthly": {
            "labels": months,
            "series": [
                {"name": str(ref.year - 1), "values": line.last_year},
                {"name": str(ref.year), "values": line.this_year},
            ],
            "xname": _("Month"),
        },
        "monthly_note": (
            _("No figures for %(a)s or %(b)s.") % {"a": ref.year - 1, "b": ref.year}
            if monthly_empty
            else ""
        ),
        "annual": {
            "labels": [str(y) for y in years],
            "series": [{"name": label, "values": [line.years[y] for y in years], "type": "bar"}],
        },
        "annual_empty": not present,
        "annual_note": annual_note,
    }


@replica_reads  # a moment behind is fine (ADR 0042)
def dashboard(request: HttpRequest) -> HttpResponse:
    board = _board(request)
    code = request.GET.get("metric", "criminal_incidents")
    rows = [
        {
            "line": line,
            "label": _(line.metric.label),
            "unit": _(line.metric.unit),
            "yoy": _pct(line.yoy),
            "mom": _pct(line.mom),
            "ytd_change": _pct(line.ytd_change),
        }
        for line in board.lines
    ]
    computed = [m for m in rules.METRICS if m.computed]
    return render(
        request,
        "stats/dashboard.html",
        {
            "board": board,
            "rows": rows,
            "charts": _charts(board, code),
            "metric": code,
            "metrics": [(m.code, _(m.label)) for m in rules.METRICS],
            "computed": [(m.code, _(m.label)) for m in computed],
            "unit_rows": [
                (
                    u.name,
                    [
                        (
                            u.ytd.get(m.code),
                            u.ytd_last_year.get(m.code),
                            _pct(u.change(m.code)),
                            rules.trend_is_good(m, u.change(m.code)),
                        )
                        for m in computed
                    ],
                )
                for u in board.units
            ],
            "can_import": caller(request).role in services.IMPORTERS,
            "month_value": f"{board.reference:%Y-%m}",
        },
    )


@replica_reads  # a moment behind is fine (ADR 0042)
def export_file(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in export.FORMATS:
        raise Http404
    board = _board(request)
    body = export.to_xlsx(board) if fmt == "xlsx" else export.to_pdf(board)
    response = HttpResponse(body, content_type=export.FORMATS[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="statistics-{board.reference:%Y-%m}.{fmt}"'
    )
    return response


@page_errors(back="stats:import", refused="message")
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a workbook of earlier years' figures: it is imported as a background job with a
    progress bar; the page shows the latest import, its outcome or the table of refused rows."""
    scope = caller(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size is None or upload.size > MAX_UPLOAD:
            messages.error(request, _("Choose an Excel file of at most 5 MB."))
            return redirect("stats:import")
        with transactions.entry():
            _job, new = stats_jobs.start_import(scope, upload.read(), upload.name or "")
        if not new:
            messages.info(
                request,
                _(
                    "An import of figures is already under way; send your file again once it is over."
                ),
            )
        return redirect(reverse("stats:import") + "#import-job")
    latest = jobs.latest(stats_jobs.import_key(scope))
    return render(
        request,
        "stats/import.html",
        {"metrics": rules.METRICS, "import_job": jobs.panel(latest, request.user.get_username())},
    )


def template_file(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(export.template(), content_type=export.XLSX)
    response["Content-Disposition"] = 'attachment; filename="statistics-template.xlsx"'
    return response
