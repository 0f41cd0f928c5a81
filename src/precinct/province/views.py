"""The province's page: its cities side by side (ADR 0043)."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from precinct.common.routing import replica_reads
from precinct.core import clock
from precinct.identity.services import caller

from . import services


def _cities(request: HttpRequest) -> list[services.City]:
    scope = caller(request)
    # a province's own bureau has no records of its own: only its cities are compared; in a
    # city, its one column shows it as the province sees it
    exclude = scope.bureau_id if settings.PROVINCE else None
    return services.cities(
        today=clock.today(settings.TIME_ZONE), tz=ZoneInfo(settings.TIME_ZONE), exclude=exclude
    )


@replica_reads  # a moment behind is fine (ADR 0042)
def cities(request: HttpRequest) -> HttpResponse:
    found = _cities(request)
    metrics: dict[str, str] = {}
    for c in found:
        for code, line in c.statistics.items():
            metrics.setdefault(code, line["label"])
    chart = {
        "labels": [c.name for c in found],
        "values": [
            round(c.street_rate * 100, 1) if c.street_rate is not None else None for c in found
        ],
    }
    rows: list[dict[str, Any]] = [
        {"label": label, "cells": [c.statistics.get(code) for c in found]}
        for code, label in metrics.items()
    ]
    return render(
        request,
        "province/cities.html",
        {
            "cities": found,
            "statistics": rows,
            "chart": json.loads(json.dumps(chart)),
            "year": clock.today(settings.TIME_ZONE).year,
        },
    )
