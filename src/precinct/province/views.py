"""The province's page: its cities side by side (ADR 0043)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from precinct.common.routing import replica_reads
from precinct.core import clock
from precinct.identity.services import caller

from . import services


@replica_reads  # a moment behind is fine (ADR 0042)
def cities(request: HttpRequest) -> HttpResponse:
    found = services.compared(
        caller(request), today=clock.today(settings.TIME_ZONE), tz=ZoneInfo(settings.TIME_ZONE)
    )
    metrics: dict[str, str] = {}  # the statistics any city has this year, translated
    for c in found:
        for code, line in c.statistics.items():
            metrics.setdefault(code, gettext(line["label"]))
    chart = {
        "labels": [c.name for c in found],
        "values": [
            round(c.street_rate * 100, 1) if c.street_rate is not None else None for c in found
        ],
    }
    # a row a city (its name is the bureau's own, as typed: a cell, not a heading)
    statistics = [(c, [c.statistics.get(code) for code in metrics]) for c in found]
    return render(
        request,
        "province/cities.html",
        {
            "cities": found,
            "metrics": list(metrics.values()),
            "statistics": statistics,
            "chart": chart,
            "year": clock.today(settings.TIME_ZONE).year,
        },
    )
