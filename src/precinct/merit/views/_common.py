"""What the merit pages share: today, the month an address names, the officers' names."""

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from precinct.common.pages import from_address
from precinct.core import clock
from precinct.identity.services import caller
from precinct.org import services as org

from ..rules import Month


def _today() -> dt.date:
    return clock.today(settings.TIME_ZONE)


def _month(text: str | None) -> Month:
    """The month a page's address names (404 for one that is not a month), else the last."""
    if not text:
        return Month.of(_today()).previous()
    return from_address(Month.parse, text)


def _to_month(request: HttpRequest, month: str) -> str:
    return reverse("merit:month_of", kwargs={"month": str(_month(month))})


def _people(request: HttpRequest, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Names and units of the officers the caller may see."""
    return {
        str(pk): (name, unit or "")
        for pk, name, unit in org.scope_officers(caller(request))
        .filter(pk__in=ids)
        .values_list("pk", "name", "current_unit__name")
    }
