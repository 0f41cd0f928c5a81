"""The security headers of every answer (issue 18, V1 and V10; ADR 0033), set in one place:

- a Content-Security-Policy that runs only the site's own script files: no inline script, no
  inline event handler, no eval, no style attribute, nothing from another origin, no plug-ins,
  no <base>, forms posted only here, never shown in a frame. Charts and maps are served from
  here (ECharts, Leaflet); the crew terminal's service worker and manifest too;
- ``Cache-Control: no-store`` on every answer but the static assets: pages, parts, API answers,
  exports, photos and the page with the authenticator's secret hold personal data, and a shared
  workstation's cache or a proxy must not keep them. Answers named in ``CACHEABLE`` (the road
  network: public geography, 2 MB) keep the caching their view asks for;
- over HTTPS (``request.is_secure()``: TLS at uvicorn, or a trusted proxy's header), every cookie
  the answer sets is ``Secure``. HSTS comes from Django's SecurityMiddleware
  (``SECURE_HSTS_SECONDS``), which sends it on secure requests only, so plain-HTTP development
  keeps working.

The outermost middleware: it sees the answers of the others (a 413, a 503) and the static files
WhiteNoise serves."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

# Views whose answers hold no personal data and may be kept by the browser as they say.
CACHEABLE = frozenset({"command:network"})


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        if not _static(request) and _view(request) not in CACHEABLE:
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


def _static(request: HttpRequest) -> bool:
    return bool(settings.STATIC_URL) and request.path.startswith(str(settings.STATIC_URL))


def _view(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""
