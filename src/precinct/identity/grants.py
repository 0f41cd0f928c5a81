"""The security administrator's page (三员分立, issue 18, V7, ADR 0036): the requests for access and
for password resets the system administrators made, each approved or rejected here. An approval
that sets a password shows it once, on a page nobody's browser keeps."""

import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.forms import DomainErrorsForm
from precinct.common.pages import page_errors
from precinct.core import clock
from precinct.core.errors import gettext_noop
from precinct.core.scoping import Role, caller
from precinct.org import services as org

from .models import ACCESS_KINDS, ROLE_LABELS, AccessRequest
from .services import grants


@dataclass(frozen=True)
class Row:
    """A waiting request as the page shows it: words, not codes."""

    request: AccessRequest
    kind: str
    role_now: str
    role_asked: str
    unit: str
    police_number: str
    mine: bool  # about the reader's own account, or made by him: another decides it


def _role(code: str) -> str:
    try:
        return str(ROLE_LABELS[Role(code)])
    except ValueError:
        return ""


def _rows(requests: list[AccessRequest], me: uuid.UUID | None) -> list[Row]:
    return [
        Row(
            request=r,
            kind=str(ACCESS_KINDS.get(r.kind, "")),
            role_now=_role(r.user.role) if not r.new_account else "",
            role_asked=_role(r.role) if r.kind == "access" else "",
            unit=r.unit.name if r.unit is not None else "",
            police_number=org.police_number_of(r.officer_id) if r.officer_id else "",
            mine=me in (r.user_id, r.requested_by_id),
        )
        for r in requests
    ]


def grant_list(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    waiting = list(grants.access_requests(scope).filter(state="pending")[:200])
    return render(
        request,
        "identity/grants.html",
        {"rows": _rows(waiting, scope.user_id), "reason_max": grants.REASON_MAX},
    )


class DecisionForm(DomainErrorsForm):
    invalid = gettext_noop("choose a request, then approve or reject it")

    id = forms.UUIDField()
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(required=False, max_length=grants.REASON_MAX)


@require_POST
@page_errors(back="identity:grant_list")
def grant_decide(request: HttpRequest) -> HttpResponse:
    d = DecisionForm(request.POST).parsed()
    approve = d["decision"] == "approve"
    with transactions.entry():
        done = grants.decide(
            caller(request), d["id"], approve=approve, reason=d["reason"], now=clock.now()
        )
    if not done.password:
        messages.success(request, _("Approved.") if approve else _("Rejected."))
        return redirect("identity:grant_list")
    response = render(
        request,
        "identity/grant_password.html",
        {"account": done.request.user, "password": done.password},
    )
    response["Cache-Control"] = "no-store"  # shown once: no browser or proxy keeps it
    return response


urlpatterns = [
    path("grants/", grant_list, name="grant_list"),
    path("grants/decide/", grant_decide, name="grant_decide"),
]
