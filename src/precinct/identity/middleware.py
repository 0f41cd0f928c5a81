"""The one enforcement point: every request is matched to its route rule before its view runs.

After the role check come the session's gates, in order: the second factor, the password's age,
and for privileged actions a recent re-authentication. A gate that is not passed sends a page
to the step that passes it (an API caller gets 401/403 with the reason).
"""

import datetime as dt
import ipaddress
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from precinct.core import clock
from precinct.core.errors import NotFound
from precinct.core.scoping import Role

from . import rules, services

API_PREFIX = "/api/"
SESSION_MFA = "precinct_mfa"  # the second factor was given in this session
SESSION_AUTH_AT = "precinct_auth_at"  # when the password (and second factor) were last given
# Routes a signed-in session may reach before it has passed the gates: signing out, the language,
# and the second factor itself (ADR 0035: nothing else opens on the password alone).
GATE_ROUTES = frozenset({"web:logout", "web:otp_verify", "web:otp_setup", "set_language"})
# Routes past the second factor that an expired password may still reach: changing it.
PASSWORD_ROUTES = frozenset({"web:password_change"})


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, when that is one of the trusted reverse proxies
    (PRECINCT_TRUSTED_PROXIES), the right-most X-Forwarded-For address that is not one of them.
    The addresses left of it are whatever the client wrote and are never believed; a hop that is
    not an address stops the walk at the proxy that passed it on (ADR 0035)."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not _within(_address(remote), trusted):
        return remote
    seen = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            return seen
        seen = str(address)
        if not _within(address, trusted):
            return seen
    return seen  # every hop is a proxy of ours: the farthest one


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header's hop: ``1.2.3.4``, ``1.2.3.4:5678``, ``2001:db8::1`` or
    ``[2001:db8::1]:443``; None when it is none of these."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _within(address: object, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    return address is not None and any(address in net for net in networks)


def mark_authenticated(request: HttpRequest, *, second_factor: bool) -> None:
    """Record in the session that the user has just proved who he is (password at sign-in or
    re-authentication; ``second_factor`` when a TOTP or recovery code was given too)."""
    request.session[SESSION_AUTH_AT] = clock.now().isoformat()
    if second_factor:
        request.session[SESSION_MFA] = True


def last_authenticated(request: HttpRequest) -> dt.datetime | None:
    raw = request.session.get(SESSION_AUTH_AT)
    try:
        return dt.datetime.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def safe_next(request: HttpRequest, candidate: str | None, default: str = "/") -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class AccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        request.by_token = False  # type: ignore[attr-defined]
        if header.startswith("Bearer "):
            user = services.user_for_token(header[7:].strip())
            if user is None:
                return JsonResponse({"detail": "invalid or revoked token"}, status=401)
            request.user = user
            request.by_token = True  # type: ignore[attr-defined]
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        with services.acting_as(services.actor_for(request.user, client_ip(request))):
            return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        args: object,
        kwargs: object,
    ) -> HttpResponse | None:
        match = request.resolver_match
        route = match.view_name if match else None
        user = request.user
        role = Role(user.role) if user.is_authenticated else None
        method = request.method or "GET"
        decision = rules.decide(route, method, role)
        is_api = request.path.startswith(API_PREFIX)
        if decision.allowed:
            if user.is_authenticated:
                refused = self.gates(request, route, method, is_api)
                if refused is not None:
                    return refused
                request.caller = services.scope_for(user)  # type: ignore[attr-defined]
            return None
        if role is None:
            if is_api:
                return JsonResponse({"detail": "authentication required"}, status=401)
            return redirect_to_login(request.get_full_path())
        audit_refusal(request, "access_denied")  # a signed-in user refused: worth a row
        if is_api:
            return JsonResponse({"detail": "forbidden for this role"}, status=403)
        response = TemplateResponse(
            request, "web/forbidden.html", {"reason": decision.reason}, status=403
        )
        return response.render()

    def gates(
        self, request: HttpRequest, route: str | None, method: str, is_api: bool
    ) -> HttpResponse | None:
        user = request.user
        if getattr(request, "by_token", False):
            # An API token is its own credential (issued to a system, revocable); it cannot
            # re-authenticate, so privileged actions are not open to it.
            if rules.needs_reauth(route, method):
                return JsonResponse({"detail": "re-authentication required"}, status=403)
            return None
        if route in GATE_ROUTES:
            return None
        now = clock.now()
        if not request.session.get(SESSION_MFA) and services.otp_required(
            user,  # type: ignore[arg-type]
            client_ip(request),
        ):
            if is_api:
                return JsonResponse({"detail": "second factor required"}, status=401)
            return self._to(request, "web:otp_verify", request.get_full_path())
        if route in PASSWORD_ROUTES:
            return None
        if services.password_expired(user, now=now):  # type: ignore[arg-type]
            if is_api:
                return JsonResponse({"detail": "password expired"}, status=403)
            return self._to(request, "web:password_change", request.get_full_path())
        if rules.needs_reauth(route, method) and not rules.reauth_fresh(
            last_authenticated(request), now, settings.REAUTH_SECONDS
        ):
            if is_api:
                return JsonResponse({"detail": "re-authentication required"}, status=403)
            # A form posted without a fresh re-authentication is not carried out: the user
            # confirms who he is and comes back to the page he was on to submit again.
            back = request.get_full_path() if method == "GET" else request.headers.get("Referer")
            return self._to(request, "web:reauth", safe_next(request, back))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """An object that does not exist or lies outside the caller's scope is a 404 on every page,
        whether or not its view remembered to say so (never a 500, never which of the two).
        A signed-in caller's 404 is audited: probing ids outside one's scope leaves a trace."""
        if isinstance(exception, NotFound | Http404) and request.user.is_authenticated:
            audit_refusal(request, "not_found")
        if isinstance(exception, NotFound):
            raise Http404() from exception

    @staticmethod
    def _to(request: HttpRequest, route: str, next_url: str) -> HttpResponse:
        url = reverse(route) + "?" + urlencode({"next": next_url})
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)


AUDITED_REFUSAL = "_precinct_refusal_audited"  # set on a request whose refusal is in the log


def audit_refusal(request: HttpRequest, action: str) -> None:
    """One audit entry for a signed-in caller refused (``access_denied``: 403; ``not_found``: a
    record missing or outside his scope), naming the address and what he asked to do; once per
    request (web/trail.py records the refusals answered elsewhere, ADR 0037). An anonymous
    caller sent to sign in is not recorded: the sign-in that follows is."""
    if getattr(request, AUDITED_REFUSAL, False):
        return
    setattr(request, AUDITED_REFUSAL, True)
    services.record(
        action,
        object_type="page",
        detail={"path": request.get_full_path()[:500], "method": request.method or "GET"},
    )
