"""Audit pages for the auditor: search the chain, verify it."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from . import labels, services
from .models import AuditEntry


@dataclass(frozen=True)
class Row:
    """One entry as the page shows it: words, not codes."""

    entry: AuditEntry
    actor: str
    action: str
    object_type: str
    object_name: (
        str  # an account's user name; otherwise empty (the link finds the record's entries)
    )
    lines: list[labels.Line]


def _rows(entries: list[AuditEntry]) -> list[Row]:
    user_ids = [e.object_id for e in entries if e.object_type == "identity.user" and e.object_id]
    names = services.account_names(user_ids) if user_ids else {}
    return [
        Row(
            entry=e,
            actor=labels.actor_label(e.actor, e.role),
            action=labels.action_label(e.action),
            object_type=labels.object_label(e.object_type),
            object_name=names.get(e.object_id, ""),
            lines=labels.detail_lines(e.object_type, e.detail),
        )
        for e in entries
    ]


def audit_log(request: HttpRequest) -> HttpResponse:
    g = request.GET
    entries = services.audit_entries(
        object_id=g.get("object_id", "")[:64],
        actor=g.get("actor", "")[:150],
        action=g.get("action", "")[:40],
        text=g.get("q", "")[:100],
        bureau_id=getattr(request.user, "bureau_id", None),
        limit=200,
    )
    actions = sorted(labels.ACTION_LABELS, key=labels.action_label)
    return render(
        request,
        "identity/audit_log.html",
        {
            "rows": _rows(list(entries)),
            "q": g,
            "actions": [(code, labels.action_label(code)) for code in actions],
        },
    )


@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    checked, broken = services.verify_audit_chain()
    return render(
        request,
        "identity/audit_log.html#verify-result",
        {"checked": checked, "broken": broken, "verified": True},
    )
