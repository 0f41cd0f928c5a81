"""Promotion ranking and new officers (the leader meeting and the mentor)."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.identity import rules as access
from precinct.identity.services import caller
from precinct.org import services as org

from .. import rules, services
from ..forms import InductionForm
from ..models import AWARD_LABELS, KIND_LABELS, MEASURE_LABELS
from ._common import _month, _today


def _promotion_label(what: str) -> str:
    kind, _sep, code = what.partition(":")
    if kind == "stars":
        return _("Stars")
    if kind == "award":
        return str(AWARD_LABELS.get(code, code))
    if kind in ("warning", "sanction"):
        return str(MEASURE_LABELS.get(code, code))
    return str(KIND_LABELS["problem_point"])


@page_errors(back="merit:promotion")
def promotion(request: HttpRequest) -> HttpResponse:
    """Twelve months ranked for promotion, each position explained; by unit, post type, age."""
    scope = caller(request)
    m = _month(request.GET.get("month"))
    g = request.GET
    unit, post, band = g.get("unit", "")[:100], g.get("post_type", ""), g.get("band", "")
    ranking = services.promotion_ranking(
        scope, m, today=_today(), unit=unit, post_type=post, band=band
    )
    posts = org.post_type_labels()
    rows = [
        {
            "r": r,
            "post_label": posts.get(r.post_type, r.post_type),
            "blocked_label": MEASURE_LABELS.get(r.score.blocked_by, r.score.blocked_by),
            "lines": [{**ln._asdict(), "label": _promotion_label(ln.what)} for ln in r.score.lines],
        }
        for r in ranking.rows
    ]
    bands = {b: 0 for b in rules.AGE_BANDS}
    for r in ranking.rows:
        if r.band in bands:
            bands[r.band] += 1
    return render(
        request,
        "merit/promotion.html",
        {
            "month": m,
            "ranking": ranking,
            "page": Paginator(rows, 50).get_page(g.get("page")),
            "unit": unit,
            "post_type": post,
            "band": band,
            "post_types": posts.items(),
            "bands": rules.AGE_BANDS,
            "units": org.scope_units(scope).exclude(kind="bureau").order_by("path")
            .values_list("name", flat=True),
            "band_chart": {"labels": list(bands), "values": list(bands.values())},
        },
    )  # fmt: skip


@page_errors
def recruits(request: HttpRequest) -> HttpResponse:
    """New officers: the leader meeting and the mentor (传帮带); who still waits for either."""
    scope = caller(request)
    waiting = request.GET.get("waiting") == "1"
    rows = services.recruits(scope, today=_today(), waiting_only=waiting)
    return render(
        request,
        "merit/recruits.html",
        {
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "waiting": waiting,
            "count": len(rows),
            "months": rules.RECRUIT_MONTHS,
            "mentor_years": rules.MENTOR_MIN_YEARS,
            "can_enter": access.decide("merit:induction_record", "POST", scope.role).allowed,
            "today": _today(),
        },
    )


def _to_recruits(request: HttpRequest, officer_id: uuid.UUID) -> str:
    """Back to the list the form was on (all new officers, or those still waiting)."""
    form = InductionForm(request.POST)
    form.is_valid()  # the list it came from, whatever else is wrong
    return reverse("merit:recruits") + ("?waiting=1" if form.cleaned_data["waiting"] else "")


@require_POST
@page_errors(back=_to_recruits)
def induction_record(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    d = InductionForm(request.POST).parsed()
    with transactions.entry():
        services.record_induction(
            caller(request), officer_id, today=_today(),
            leader_number=d["leader"], met_on=d["met_on"], meeting_note=d["meeting_note"],
            mentor_number=d["mentor"], mentor_from=d["mentor_from"],
            mentor_note=d["mentor_note"],
        )  # fmt: skip
    messages.success(request, _("Saved."))
    return redirect(_to_recruits(request, officer_id))
