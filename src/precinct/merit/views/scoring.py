"""The scoring policy in force, its versions, and a new version saved."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.identity import rules as access
from precinct.identity.services import caller
from precinct.org import services as org

from .. import rules, services
from ..forms import PolicyForm
from ..models import KIND_LABELS
from ..rules import Month
from ._common import _month, _today


@page_errors
def policy(request: HttpRequest) -> HttpResponse:
    """The scoring policy in force: points per achievement for each post type, deductions, star
    thresholds and quotas, bonus rates; its versions; the political department saves a new one."""
    scope = caller(request)
    assert scope.bureau_id is not None
    m = _month(request.GET.get("month")) if request.GET.get("month") else Month.of(_today())
    current = services.policy_for(scope.bureau_id, m)
    posts = org.post_type_labels()
    if request.method == "POST":
        return _policy_save(request, current, list(posts))
    columns = [("default", _("Other post types"))] + [(k, v) for k, v in posts.items()]
    matrix = [
        {
            "kind": str(k),
            "label": KIND_LABELS.get(str(k), str(k)),
            "cells": [(post, label, current.points_for(post, str(k))) for post, label in columns],
        }
        for k in rules.Kind
    ]
    return render(
        request,
        "merit/policy.html",
        {
            "month": m,
            "policy": current,
            "columns": columns,
            "matrix": matrix,
            "deductions": [
                (str(d), KIND_LABELS.get(str(d), str(d)), current.deductions.get(str(d), 0))
                for d in rules.Deduction
            ],
            "quotas": [(lvl, current.quotas.get(lvl, "")) for lvl in (5, 4, 3)],
            "star_bonus_yuan": current.star_bonus_fen // rules.FEN_PER_YUAN,
            "case_bonus": [
                (str(r), current.case_bonus_fen.get(str(r), 0) // rules.FEN_PER_YUAN)
                for r in rules.CaseRole
            ],
            "versions": services.policy_versions(scope)[:50],
            "can_edit": access.decide("merit:policy", "POST", scope.role).allowed,
            "next_month": Month.of(_today()).next(),
        },
    )


@page_errors(back="merit:policy")
def _policy_save(
    request: HttpRequest, current: rules.Policy, post_types: list[str]
) -> HttpResponse:
    d = PolicyForm(request.POST, post_types=post_types, base=current).parsed()
    valid_from = d["valid_from"]
    with transactions.entry():
        saved = services.save_policy(caller(request), d["policy"], valid_from=valid_from.first)
    messages.success(
        request,
        _("Scoring policy v%(v)s saved, in force from %(m)s.")
        % {"v": saved.version, "m": valid_from},
    )
    return redirect(reverse("merit:policy") + f"?month={valid_from}")
