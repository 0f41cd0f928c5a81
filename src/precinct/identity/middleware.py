"""The one enforcement point: every request is matched to its route rule before its view runs."""

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from precinct.core.scoping import Role

from . import rules, services

API_PREFIX = "/api/"


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


class AccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            user = services.user_for_token(header[7:].strip())
            if user is None:
                return JsonResponse({"detail": "invalid or revoked token"}, status=401)
            request.user = user
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
        decision = rules.decide(route, request.method or "GET", role)
        is_api = request.path.startswith(API_PREFIX)
        if decision.allowed:
            if user.is_authenticated:
                request.caller = services.scope_for(user)  # type: ignore[attr-defined]
            return None
        if role is None:
            if is_api:
                return JsonResponse({"detail": "authentication required"}, status=401)
            return redirect_to_login(request.get_full_path())
        if is_api:
            return JsonResponse({"detail": "forbidden for this role"}, status=403)
        response = TemplateResponse(
            request, "web/forbidden.html", {"reason": decision.reason}, status=403
        )
        return response.render()
