"""A sealed field that does not open (a missing or wrong field key, a changed value) is answered
with a clear page naming the field — 503, never a stack trace — and logged for the operator with
the key id and the row (ADR 0022). The API answers the same in JSON (``config.api``)."""

import logging
from collections.abc import Callable

from django.apps import apps
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from precinct.common.encryption import FieldKeyError

log = logging.getLogger("precinct.fields")


def field_name(exc: FieldKeyError) -> str:
    """The field's name in the user's language (``caller phone``), else its technical name."""
    try:
        app_label, model, name = exc.field.split(".")
        return str(apps.get_model(app_label, model)._meta.get_field(name).verbose_name)
    except (ValueError, LookupError):
        return exc.field


def message(exc: FieldKeyError) -> str:
    log.error("sealed field does not open: %s", exc)
    return gettext(
        "The %(field)s cannot be shown: the key that encrypts it is missing or wrong, or the "
        "stored value was changed. Tell the system administrator."
    ) % {"field": field_name(exc)}


class FieldKeyErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, FieldKeyError):
            return None
        return render(
            request,
            "web/field_key_error.html",
            {"message": message(exc), "field": exc.field},
            status=503,
        )
