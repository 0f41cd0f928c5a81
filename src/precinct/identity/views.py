"""Audit pages for the auditor: search the chain, verify it. The system administrator's accounts
page: enrolment codes and unlocking (ADR 0035)."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.routing import replica_reads
from precinct.core import clock

from . import labels, services
from .models import AuditEntry, User


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


@replica_reads  # a moment behind is fine (ADR 0042)
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


# --- the system administrator's accounts page (ADR 0035) --------------------------------------
def accounts(request: HttpRequest) -> HttpResponse:
    """The accounts of the administrator's bureau: enrolled or not, locked until when, an
    enrolment code outstanding until when; an enrolment code to issue, a lock to lift."""
    q = request.GET.get("q", "")[:150].strip()
    locked_only = request.GET.get("locked") == "1"
    rows = services.account_rows(
        bureau_id=getattr(request.user, "bureau_id", None),
        now=clock.now(),
        text=q,
        locked_only=locked_only,
    )
    return render(
        request, "identity/accounts.html", {"rows": rows, "q": q, "locked_only": locked_only}
    )


def _account(request: HttpRequest, username: str) -> User:
    """An account of the administrator's own bureau (any other is not found)."""
    bureau_id = getattr(request.user, "bureau_id", None)
    user = User.objects.filter(username=username, bureau_id=bureau_id).first()  # type: ignore[misc]
    if user is None:
        raise Http404()
    return user


@require_POST
def account_enrolment(request: HttpRequest, username: str) -> HttpResponse:
    """Issue an enrolment code, shown once on this answer (which no browser keeps): the
    administrator hands it to the person, who enrols his own authenticator with it."""
    user = _account(request, username)
    with transactions.entry():
        code = services.issue_enrolment_code(
            user, now=clock.now(), issued_by=request.user.get_username()
        )
    expires = services.pending_enrolment_code(user, now=clock.now())
    response = render(
        request,
        "identity/enrolment_code.html",
        {"account": user, "code": code, "expires_at": expires.expires_at if expires else None},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def account_unlock(request: HttpRequest, username: str) -> HttpResponse:
    """Lift a lock from failed sign-ins or wrong authenticator codes sooner than it ends."""
    user = _account(request, username)
    with transactions.entry():
        services.unlock_account(username=user.username, bureau_id=user.bureau_id)
    messages.success(request, _("%(username)s is unlocked.") % {"username": user.username})
    return redirect("accounts:list")
