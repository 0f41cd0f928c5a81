"""UI language: Simplified Chinese unless the user chose another with the switch (a cookie).

Django's LocaleMiddleware would follow the browser's Accept-Language; a bureau's intranet wants
its own default regardless of how a workstation's browser was installed.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.cache import patch_vary_headers

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in SUPPORTED else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class RejectNulMiddleware:
    """Refuse NUL characters in query strings, forms and JSON bodies with a clear 400: no database
    stores them in text, and PostgreSQL would answer with an error (a 500) deep in a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        bad = "%00" in query or "\x00" in query
        if not bad and request.method in {"POST", "PUT", "PATCH"}:
            kind = request.content_type or ""
            if kind == "application/json":
                body = request.body
                bad = b"\\u0000" in body or b"\x00" in body
            elif kind == "application/x-www-form-urlencoded":
                bad = any("\x00" in v for values in request.POST.lists() for v in values[1])
        if bad:
            return HttpResponseBadRequest(
                "NUL characters are not allowed in input.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
