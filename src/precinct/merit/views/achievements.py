"""Achievements: entered by the units, approved by the political department."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.core.errors import FieldError, ValidationFailed, gettext_noop
from precinct.identity import rules as access
from precinct.identity.services import caller
from precinct.org import services as org

from .. import rules, services
from ..forms import AchievementDecisionForm, AchievementForm
from ..models import KIND_LABELS, STATE_LABELS
from ._common import _today


@page_errors
def achievement_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _achievement_add(request)
    return _list_page(request)


def _list_page(
    request: HttpRequest, decide_form: AchievementDecisionForm | None = None
) -> HttpResponse:
    """The achievements of a state (submitted by default), with the decision form: a refused
    decision comes back here with its reasons on the form's fields."""
    scope = caller(request)
    state = request.GET.get("state", "submitted")
    qs = (
        services.scope_achievements(scope)
        .select_related("officer", "unit")
        .order_by("-occurred_on", "-created_at")
    )
    if state in STATE_LABELS:
        qs = qs.filter(state=state)
    return render(
        request,
        "merit/achievements.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "state": state,
            "states": STATE_LABELS.items(),
            "kinds": [(k, v) for k, v in KIND_LABELS.items() if k in set(rules.Kind)],
            "can_enter": access.decide("merit:achievement_list", "POST", scope.role).allowed,
            "can_decide": access.decide("merit:achievement_decide", "POST", scope.role).allowed,
            "today": _today(),
            "own": scope.officer_id,  # one's own achievement is decided by another
            "form": {},
            "decide_form": decide_form or AchievementDecisionForm(),
            "selected": {str(i) for i in decide_form.cleaned_data.get("ids", [])}
            if decide_form is not None and hasattr(decide_form, "cleaned_data")
            else set(),
        },
        status=400 if decide_form is not None and decide_form.errors else 200,
    )


@page_errors(back="merit:achievement_list")
def _achievement_add(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    form = AchievementForm(request.POST)
    errors = [] if form.is_valid() else form.refusal().errors
    d = form.cleaned_data  # what did validate, the police number always
    number = d["police_number"]
    officer_ids = org.scoped_officer_ids_by_number(scope, [number]) if number else {}
    if number not in officer_ids:
        errors.append(FieldError("", gettext_noop("police number: no such officer in your scope")))
    if errors:
        raise ValidationFailed(errors)
    with transactions.entry():
        services.record_achievement(
            scope,
            services.AchievementData(
                officer_id=officer_ids[number],
                kind=d["kind"],
                occurred_on=d["occurred_on"],
                quantity=d["quantity"],
                role=d["role"],
                evidence=d["evidence"],
                note=d["note"],
            ),
            today=_today(),
        )
    messages.success(request, _("Achievement entered; the political department approves it."))
    return redirect("merit:achievement_list")


@require_POST
@page_errors(back="merit:achievement_list")
def achievement_decide(request: HttpRequest) -> HttpResponse:
    form = AchievementDecisionForm(request.POST)
    d = form.parsed()
    with form.reporting():
        with transactions.entry():
            n = services.decide_achievements(
                caller(request), d["ids"], approve=d["decision"] == "approve", reason=d["reason"]
            )
        messages.success(request, _("%(n)s achievement(s) decided.") % {"n": n})
        return redirect("merit:achievement_list")
    return _list_page(request, decide_form=form)
