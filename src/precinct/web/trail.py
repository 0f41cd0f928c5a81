"""Answers worth an audit entry that no view writes itself (issue 18 V8, ADR 0037), in one place
instead of a call in each view:

- every file that leaves the system (an answer with ``Content-Disposition: attachment``, or a
  workbook, PDF, CSV or archive by its type): who took it, from which address, its name, size
  and SHA-256 digest, so a leaked file can be traced to the download it came from;
- a refusal answered outside the access middleware (a service's ``NotFound`` or
  ``PermissionDenied`` turned into a 404 or 403 by ``@page_errors`` or the API's handlers, a
  CSRF failure), to a signed-in caller on a known route, if it is not in the log already.

It sits just inside the access middleware, so the entries carry the caller as the actor.
"""

import hashlib
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from precinct.identity import services
from precinct.identity.middleware import audit_refusal

# Types that are files whatever their headers say (images are shown on pages, not taken away).
FILE_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.ms-excel",
    "application/zip",
    "application/octet-stream",
    "text/csv",
)
_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)
REFUSALS = {403: "access_denied", 404: "not_found"}


def is_file(response: HttpResponse) -> bool:
    disposition = response.get("Content-Disposition", "")
    kind = response.get("Content-Type", "").split(";")[0].strip().lower()
    return disposition.lower().startswith("attachment") or kind.startswith(FILE_TYPES)


def file_name(response: HttpResponse) -> str:
    found = _FILENAME.search(response.get("Content-Disposition", ""))
    return found[1] if found else ""


class AuditTrailMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 200 and is_file(response):
            self.downloaded(request, response)
        elif (
            response.status_code in REFUSALS
            and request.user.is_authenticated
            and request.resolver_match is not None  # a known route: not a mistyped address
        ):
            audit_refusal(request, REFUSALS[response.status_code])
        return response

    @staticmethod
    def downloaded(request: HttpRequest, response: HttpResponse) -> None:
        detail: dict[str, object] = {
            "path": request.get_full_path()[:500],
            "file_name": file_name(response)[:200],
        }
        if response.streaming:  # not read here: its length if it says it
            detail["bytes"] = int(response.get("Content-Length") or 0) or None
        else:
            body = response.content
            detail["bytes"] = len(body)
            detail["sha256"] = hashlib.sha256(body).hexdigest()
        services.record("download", object_type="file", detail=detail)
