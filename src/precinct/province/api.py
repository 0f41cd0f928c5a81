"""JSON API of the province view: the cities side by side (ADR 0043)."""

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema

from precinct.common.routing import replica_reads
from precinct.core import clock
from precinct.identity.services import caller

from . import services

router = Router(tags=["province"])


class CityOut(Schema):
    bureau_id: str
    name: str
    incidents: int
    street_rate: float | None
    dispatch_p50_s: float | None
    scene_p50_s: float | None
    within_10: float | None
    findings: int
    problems: int
    problem_share: float | None
    awards: int
    bonus_fen: int
    statistics: dict[str, dict[str, Any]]


@router.get("/province/cities", response=list[CityOut], url_name="province_cities")
@replica_reads
def province_cities(request: HttpRequest) -> Any:
    """Every city of the province this year to date: incidents, street-handling rate, response
    medians (seconds), supervision findings and problem points, statistics against last year,
    awards and bonus (fen). In a city: its own line."""
    found = services.compared(
        caller(request), today=clock.today(settings.TIME_ZONE), tz=ZoneInfo(settings.TIME_ZONE)
    )
    return [
        {
            **c.__dict__,
            "bureau_id": str(c.bureau_id),
            "statistics": {
                code: {**line, "label": gettext(line["label"])}
                for code, line in c.statistics.items()
            },
        }
        for c in found
    ]
