"""The JSON API: /api/v1/, OpenAPI at /api/v1/openapi.json. Authentication and role checks happen in
the access middleware (bearer token or session); here each operation only needs a signed-in user."""

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import APIKeyHeader, SessionAuth

from precinct.campaigns.api import router as campaigns_router
from precinct.command.api import router as command_router
from precinct.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from precinct.identity.api import router as identity_router
from precinct.merit.api import router as merit_router
from precinct.org.api import router as org_router
from precinct.stats.api import router as stats_router
from precinct.supervision.api import router as supervision_router


class BearerToken(APIKeyHeader):
    """Documents the bearer scheme; the middleware has already resolved the token to a user."""

    param_name = "Authorization"
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key and key.startswith("Bearer ") and request.user.is_authenticated:
            return request.user
        return None


api = NinjaAPI(
    title="precinct API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), SessionAuth()],
    docs_url="/docs",
)
api.add_router("/", identity_router)
api.add_router("/", org_router)
api.add_router("/", supervision_router)
api.add_router("/", merit_router)
api.add_router("/", command_router)
api.add_router("/", campaigns_router)
api.add_router("/", stats_router)


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> Any:
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(ValidationFailed)
def _invalid(request: HttpRequest, exc: ValidationFailed) -> Any:
    errors = [{"field": e.field, "row": e.row, "message": e.text} for e in exc.errors]
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> Any:
    return api.create_response(request, {"detail": exc.message, "conflict": exc.detail}, status=409)
