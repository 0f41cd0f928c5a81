"""我的 (issue 17): the caller's own record as an officer. His stars and points of the last twelve
months, each month opening its score's explanation; his awards, the bonus he received, his
warnings and sanctions, his mentor and mentees, the campaign items his unit owns and the findings
on his cases; and his own achievements, submitted with their evidence and decided by the
political department. Every row comes from the apps' services within the caller's scope: this
page decides nothing about who may see what."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.campaigns import rules as campaign_rules
from precinct.campaigns import services as campaigns
from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.core import clock
from precinct.identity import rules as access
from precinct.identity.services import caller
from precinct.merit import rules as merit_rules
from precinct.merit import services as merit
from precinct.merit.forms import OwnAchievementForm
from precinct.merit.services.achievements import own_months, own_record, submit_own_achievement
from precinct.org import services as org
from precinct.supervision import services as supervision

MONTHS = 12  # the chart's months, the current one last
LISTED = 20  # rows of a list shown here; the rest are on the list's own page
ATTENTION = ("due_soon", "overdue", "late", "violated")  # findings an officer has to act on


def record(
    request: HttpRequest, form: OwnAchievementForm | None = None, status: int = 200
) -> HttpResponse:
    """The caller's own record when the caller is an officer of the business; his account
    otherwise (the system administrator, the auditor, an account without an officer record)."""
    scope = caller(request)
    own = own_record(scope)
    if own is None or scope.officer_id is None:
        return render(request, "web/profile.html", {})
    officer = org.get_officer(scope, scope.officer_id)
    today = clock.today(settings.TIME_ZONE)
    months = [merit.Month.of(today).minus(k) for k in range(MONTHS - 1, -1, -1)]
    lines = own_months(scope, months)
    labels = [str(m) for m in months]
    chart = {  # stars on whole steps (``bars``), points as a line (``series``); None: a gap
        "stars": {"labels": labels, "values": [x and x["stars"] for x in lines],
                  "colour": "#d99a00"},
        "points": {"labels": labels, "series": [
            {"name": _("Points"), "values": [x and x["points"] for x in lines]}]},
    }  # fmt: skip
    rows = [
        {"month": m, "line": x, "stars": "★" * x["stars"] if x else ""}
        for m, x in zip(reversed(labels), reversed(lines), strict=True)
    ]
    flt = supervision.FindingFilter(officer="" if scope.self_only else officer.police_number)
    items = [
        (i, campaign_rules.item_flag(campaign_rules.ItemFacts(i.status, i.due, None), today))
        for i in campaigns.scope_items(scope)
        .filter(owner_unit_id=officer.current_unit_id, campaign__closed_at__isnull=True)
        .exclude(status=campaign_rules.DONE)
        .select_related("campaign")
        .order_by("due", "number")[:LISTED]
    ]
    return render(
        request,
        "web/me.html",
        {
            "officer": officer,
            "own": own,
            "months": rows,
            "chart": chart,
            "bonus": [_bonus(e) for e in own.bonus],
            "bonus_total": merit_rules.yuan(own.bonus_fen),
            "today": today,
            "items": items,
            "findings": supervision.search_findings(scope, flt)
            .filter(state__in=ATTENTION)
            .select_related("case")[:LISTED],
            "findings_url": reverse("supervision:finding_list")
            + (f"?officer={officer.police_number}" if flt.officer else ""),
            "awards": [(a, merit_rules.yuan(a.bonus_fen)) for a in own.awards],
            "self_only": scope.self_only,
            "form": form or OwnAchievementForm(initial={"occurred_on": today, "quantity": 1}),
            "can_submit": access.decide("web:me_achievement", "POST", scope.role).allowed,
        },
        status=status,
    )


def _bonus(entry: Any) -> dict[str, Any]:
    kind = entry.txn.key.split(":", 1)[0]
    return {
        "at": entry.txn.created_at,
        "kind": merit.payout_kind(entry.txn.key),
        # "case case:XS-…" → 案件 XS-…
        "memo": merit.evidence_words(entry.txn.memo.removeprefix(kind).lstrip(": ")),
        "amount": merit_rules.yuan(entry.amount_fen),
    }


@require_POST
@page_errors(back="web:profile")
def submit(request: HttpRequest) -> HttpResponse:
    """The caller submits an achievement of his own: for himself only (the service refuses any
    other officer), the political department decides it."""
    scope = caller(request)
    if scope.officer_id is None:  # no record of his own to add to
        raise Http404()
    form = OwnAchievementForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        with form.reporting():
            with transactions.entry():
                submit_own_achievement(
                    scope,
                    merit.AchievementData(
                        officer_id=scope.officer_id,
                        kind=d["kind"],
                        occurred_on=d["occurred_on"],
                        quantity=d["quantity"],
                        role=d["role"],
                        evidence=d["evidence"],
                        note=d["note"],
                    ),
                    today=clock.today(settings.TIME_ZONE),
                )
            messages.success(
                request, _("Achievement submitted: the political department decides it.")
            )
            return redirect(reverse("web:profile") + "#my-achievements")
    return record(request, form, status=400)
