"""Award proposals: a unit proposes, the political department decides; the dossier."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.pages import from_address, page_errors
from precinct.core.errors import FieldError, ValidationFailed, gettext_noop
from precinct.identity import rules as access
from precinct.identity.services import caller
from precinct.org import services as org

from .. import pack as pack_files
from .. import services
from ..forms import AwardDecisionForm, AwardForm
from ..models import AWARD_LABELS, AWARD_STATE_LABELS
from ._common import _today


@page_errors
def award_list(request: HttpRequest) -> HttpResponse:
    """Award proposals: a unit proposes (checked against the award regulations at once) and may
    edit its proposal until it is decided; the political department checks and decides; levels
    above 三等功 are forwarded to the province with a dossier."""
    if request.method == "POST":
        return _award_propose(request)
    return _list_page(request, _edit_form(request))


def _edit_form(request: HttpRequest) -> AwardForm | None:
    """The form filled in with the proposal ``?edit=`` names (one still proposed, in scope)."""
    raw = request.GET.get("edit", "")
    if not raw:
        return None
    award = services.awards(caller(request), state="proposed").filter(pk=from_address(_uuid, raw))
    found = award.first()
    if found is None:
        raise Http404()
    return AwardForm(
        initial={
            "award": found.pk, "officer": found.officer.police_number, "level": found.level,
            "deed": found.deed, "notice_start": found.notice_start,
            "notice_end": found.notice_end,
        }
    )  # fmt: skip


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise ValidationFailed([FieldError("edit", gettext_noop("not an id"))]) from exc


def _list_page(request: HttpRequest, form: AwardForm | None = None) -> HttpResponse:
    scope = caller(request)
    state = request.GET.get("state", "")
    return render(
        request,
        "merit/awards.html",
        {
            "page": Paginator(services.awards(scope, state=state), 50).get_page(
                request.GET.get("page")
            ),
            "state": state,
            "states": AWARD_STATE_LABELS.items(),
            "levels": AWARD_LABELS.items(),
            "form": form or AwardForm(),
            "editing": form is not None and bool(form["award"].value()),
            "can_propose": access.decide("merit:award_list", "POST", scope.role).allowed,
            "can_decide": access.decide("merit:award_decide", "POST", scope.role).allowed,
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@page_errors(back="merit:award_list")
def _award_propose(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    form = AwardForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form)
    d = form.cleaned_data
    with form.reporting():
        if d["award"]:
            with transactions.entry():
                services.edit_award(
                    scope, d["award"], level=d["level"], deed=d["deed"],
                    notice_start=d["notice_start"], notice_end=d["notice_end"], today=_today(),
                )  # fmt: skip
            messages.success(request, _("Proposal changed."))
            return redirect("merit:award_list")
        number = d["officer"]
        officer_id = org.scoped_officer_ids_by_number(scope, [number]).get(number)
        if officer_id is None:
            raise ValidationFailed(
                [
                    FieldError(
                        "officer", gettext_noop("no officer %(number)s"), params={"number": number}
                    )
                ]
            )
        with transactions.entry():
            services.propose_award(
                scope, officer_id=officer_id, level=d["level"], deed=d["deed"],
                notice_start=d["notice_start"], notice_end=d["notice_end"], today=_today(),
            )  # fmt: skip
        messages.success(request, _("Proposed."))
        return redirect("merit:award_list")
    return _list_page(request, form)


@require_POST
@page_errors(back="merit:award_list")
def award_decide(request: HttpRequest, award_id: uuid.UUID) -> HttpResponse:
    approve = AwardDecisionForm(request.POST).parsed()["approve"] == "1"
    with transactions.entry():
        award = services.decide_award(caller(request), award_id, approve=approve, today=_today())
    messages.success(request, str(AWARD_STATE_LABELS.get(award.state, award.state)))
    return redirect("merit:award_list")


@page_errors
def award_dossier(request: HttpRequest, award_id: uuid.UUID) -> HttpResponse:
    dossier = services.award_dossier(caller(request), award_id, today=_today())
    response = HttpResponse(pack_files.dossier_pdf(dossier), content_type=pack_files.PDF)
    response["Content-Disposition"] = f'attachment; filename="award-{award_id}.pdf"'
    return response
