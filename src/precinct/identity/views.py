"""Audit pages for the auditor: search the chain, verify it."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from . import services


def audit_log(request: HttpRequest) -> HttpResponse:
    g = request.GET
    entries = services.audit_entries(
        object_id=g.get("object_id", "")[:64],
        actor=g.get("actor", "")[:150],
        action=g.get("action", "")[:40],
        limit=200,
    )
    return render(request, "identity/audit_log.html", {"entries": entries, "q": g})


@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    checked, broken = services.verify_audit_chain()
    return render(
        request,
        "identity/audit_log.html#verify-result",
        {"checked": checked, "broken": broken, "verified": True},
    )
