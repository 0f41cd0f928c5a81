"""The JSON API: /api/v1/, OpenAPI at /api/v1/openapi.json. Authentication and role checks happen in
the access middleware (bearer token or session); here each operation only needs a signed-in user."""

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import APIKeyHeader, SessionAuth

from precinct.campaigns.api import router as campaigns_router
from precinct.command.api import router as command_router
from precinct.common.encryption import FieldKeyError
from precinct.common.i18n import explain, say
from precinct.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.identity.api import router as identity_router
from precinct.merit.api import router as merit_router
from precinct.org.api import router as org_router
from precinct.province.api import router as province_router
from precinct.stats.api import router as stats_router
from precinct.supervision.api import router as supervision_router
from precinct.web import keyerrors


class BearerToken(APIKeyHeader):
    """Documents the bearer scheme; the middleware has already resolved the token to a user."""

    param_name = "Authorization"
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key and key.startswith("Bearer ") and request.user.is_authenticated:
            return request.user
        return None


# The error answers, as the middleware and the exception handlers below give them. A view declares
# only its successes (and 409 where it has one); every operation can also be refused, and the
# OpenAPI document must say so, or clients and schemathesis cannot tell a refusal from a defect.
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM = {
    "title": "Problem",
    "type": "object",
    "required": ["detail"],
    "properties": {
        # a sentence; for a request that does not match the schema, the validator's list
        "detail": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
        "conflict": {"type": "object"},
    },
}
_FIELD_PROBLEM = {
    "title": "FieldProblem",
    "type": "object",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string"},
        "row": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "message": {"type": "string"},
    },
}
_JSON = {"application/json": {"schema": _PROBLEM_REF}}
_EVERY_OPERATION = {
    400: {
        "description": "a body that is not JSON, or NUL characters in the input (plain text)",
        "content": {**_JSON, "text/plain": {"schema": {"type": "string"}}},
    },
    401: {"description": "not signed in, or an invalid or revoked token", "content": _JSON},
    403: {"description": "this role may not do this", "content": _JSON},
    429: {"description": "too many requests: see Retry-After", "content": _JSON},
    503: {
        "description": "the database cannot be reached just now, or a sealed field does not open "
        "with the configured keys: see Retry-After",
        "content": _JSON,
    },
}
_WITH_INPUT = {422: {"description": "invalid input", "content": _JSON}}
_WITH_PATH = {404: {"description": "no such record, or not in your scope", "content": _JSON}}
_WITH_BODY = {413: {"description": "the request body is too large", "content": _JSON}}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers each operation can give to its documented responses."""
    schema.setdefault("components", {}).setdefault("schemas", {}).update(
        Problem=_PROBLEM, FieldProblem=_FIELD_PROBLEM
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            params = operation.get("parameters", [])
            extra = dict(_EVERY_OPERATION)
            if params or "requestBody" in operation:
                extra.update(_WITH_INPUT)
            if any(p.get("in") == "path" for p in params):
                extra.update(_WITH_PATH)
            if "requestBody" in operation:
                extra.update(_WITH_BODY)
            responses = operation.setdefault("responses", {})
            for code, answer in extra.items():  # ninja keys responses by int, as here
                if code not in responses and str(code) not in responses:
                    responses[code] = answer
    return schema


class PrecinctAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        return schema


api = PrecinctAPI(
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
api.add_router("/", province_router)


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> Any:
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(ValidationFailed)
def _invalid(request: HttpRequest, exc: ValidationFailed) -> Any:
    # in the caller's language (the session's, as on the pages): a page shows them as they come
    errors = [{"field": e.field, "row": e.row, "message": explain(e)} for e in exc.errors]
    body = {"detail": say(_("invalid input")), "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(SchemaError)
def _malformed(request: HttpRequest, exc: SchemaError) -> Any:
    """A body or query the schema refuses: each field named, as the domain's own errors are."""
    errors = []
    for problem in exc.errors:
        names = [part for part in problem.get("loc", ()) if isinstance(part, str)]
        field = names[-1] if names else ""
        errors.append({"field": field, "row": None, "message": say(_("is not valid"))})
    body = {"detail": say(_("invalid input")), "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> Any:
    body = {"detail": say(exc.message), "conflict": exc.detail}
    return api.create_response(request, body, status=409)


@api.exception_handler(FieldKeyError)
def _sealed(request: HttpRequest, exc: FieldKeyError) -> Any:
    """A sealed field that does not open: 503 naming the field (ADR 0022), never a stack trace."""
    body = {"detail": keyerrors.message(exc), "field": exc.field}
    return api.create_response(request, body, status=503)
