"""Merit pages: the month (ranking with stars, each score explained), achievements entered and
approved, the warning queue."""

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common.pages import from_address, page_errors
from precinct.core import clock
from precinct.core.errors import FieldError, ValidationFailed, gettext_noop
from precinct.core.scoping import Role
from precinct.identity.services import caller
from precinct.org import services as org

from . import pack as pack_files
from . import rules, services
from .forms import (
    AchievementDecisionForm,
    AchievementForm,
    AwardDecisionForm,
    AwardForm,
    FundForm,
    InductionForm,
    SessionForm,
    WarningDecisionForm,
)
from .models import (
    AWARD_LABELS,
    AWARD_STATE_LABELS,
    KIND_LABELS,
    MEASURE_LABELS,
    STATE_LABELS,
)
from .rules import Month


def _today() -> dt.date:
    return clock.today(settings.TIME_ZONE)


def _month(text: str | None) -> Month:
    """The month a page's address names (404 for one that is not a month), else the last."""
    if not text:
        return Month.of(_today()).previous()
    return from_address(Month.parse, text)


def _to_month(request: HttpRequest, month: str) -> str:
    return reverse("merit:month_of", kwargs={"month": str(_month(month))})


def _people(request: HttpRequest, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Names and units of the officers the caller may see."""
    return {
        str(pk): (name, unit or "")
        for pk, name, unit in org.scope_officers(caller(request))
        .filter(pk__in=ids)
        .values_list("pk", "name", "current_unit__name")
    }


@page_errors
def month(request: HttpRequest, month: str | None = None) -> HttpResponse:
    m = _month(month or request.GET.get("month"))
    results = services.month_results(caller(request), m)
    people = _people(request, [o["officer"] for o in results["officers"]])
    unit, post = request.GET.get("unit", "")[:100], request.GET.get("post_type", "")
    rows = []
    for rank, o in enumerate(results["officers"], start=1):
        name, unit_name = people.get(o["officer"], ("", ""))
        if (unit and unit_name != unit) or (post and o["post_type"] != post):
            continue
        rows.append(
            {**o, "rank": rank, "name": name, "unit_name": unit_name, "star_text": "★" * o["stars"]}
        )
    stars = [sum(1 for o in results["officers"] if o["stars"] == n) for n in range(6)]
    return render(
        request,
        "merit/month.html",
        {
            "month": m,
            "previous": m.previous(),
            "next": m.next() if m.next().first <= _today() else None,
            "results": results,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "unit": unit,
            "post_type": post,
            "post_types": org.post_type_labels().items(),
            "units": sorted({v[1] for v in people.values() if v[1]}),
            "stars_chart": {"labels": [f"{n}★" for n in range(6)], "values": stars},
            "can_export": caller(request).role in services.APPROVERS | {Role.LEADERSHIP},
            "can_pack": caller(request).role in services.PACK_READERS,
            "payout": _payout(request, m),
        },
    )


def _payout(request: HttpRequest, m: Month) -> dict[str, Any] | None:
    """The month's bonuses owed, paid and budgeted, for the political department."""
    scope = caller(request)
    if scope.role not in services.APPROVERS:
        return None
    status = services.payout_status(scope, m)
    if status is None:
        return None
    return {
        "status": status,
        "owed": rules.yuan(status.owed_fen),
        "paid": rules.yuan(status.paid_fen),
        "to_pay": rules.yuan(status.to_pay_fen),
        "budget": rules.yuan(status.budget_fen),
    }


@require_POST
@page_errors(back=_to_month)
def month_fund(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    yuan = FundForm(request.POST).parsed()["yuan"]
    with transaction.atomic():
        services.fund_month_for(caller(request), m, amount_fen=yuan * rules.FEN_PER_YUAN)
    messages.success(
        request,
        _("%(amount)s put into the bonus budget of %(month)s.")
        % {"amount": rules.yuan(yuan * rules.FEN_PER_YUAN), "month": m},
    )
    return redirect("merit:month_of", month=str(m))


@require_POST
@page_errors(back=_to_month)
def month_pay(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    with transaction.atomic():
        made, paid = services.pay_month_for(caller(request), m)
    if made:
        messages.success(
            request,
            _("%(n)s bonus payments made, %(amount)s.") % {"n": made, "amount": rules.yuan(paid)},
        )
    else:
        messages.info(request, _("Every bonus of the month was paid already."))
    return redirect("merit:month_of", month=str(m))


@page_errors
def officer_month(request: HttpRequest, month: str, officer_id: uuid.UUID) -> HttpResponse:
    m = _month(month)
    results = services.month_results(caller(request), m)
    row = next((o for o in results["officers"] if o["officer"] == str(officer_id)), None)
    if row is None:
        raise Http404()
    name, unit_name = _people(request, [row["officer"]]).get(row["officer"], ("", ""))
    lines = [
        {**ln, "label": KIND_LABELS.get(ln["kind"], ln["kind"])} for ln in services.lines_of(row)
    ]
    return render(
        request,
        "merit/officer_month.html",
        {"month": m, "row": row, "name": name, "unit_name": unit_name, "lines": lines,
         "thresholds": results["policy"]["thresholds"]},
    )  # fmt: skip


@page_errors
def achievement_list(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    if request.method == "POST":
        return _achievement_add(request)
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
            "can_enter": scope.role in services.ENTERERS,
            "can_decide": scope.role in services.APPROVERS,
            "today": _today(),
            "form": {},
        },
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
    with transaction.atomic():
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
    d = AchievementDecisionForm(request.POST).parsed()
    with transaction.atomic():
        n = services.decide_achievements(
            caller(request), d["ids"], approve=d["decision"] == "approve"
        )
    messages.success(request, _("%(n)s achievement(s) decided.") % {"n": n})
    return redirect("merit:achievement_list")


@page_errors
def finance_export(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    content = services.finance_export(caller(request), m)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="bonus-{m}.xlsx"'
    return response


@page_errors
def session_pack(request: HttpRequest, month: str, fmt: str) -> HttpResponse:
    """The monthly session pack as Excel or PDF, in the caller's language and scope."""
    m = _month(month)
    if fmt not in pack_files.FORMATS:
        raise Http404()
    content = pack_files.render(services.session_pack(caller(request), m), fmt)
    response = HttpResponse(content, content_type=pack_files.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="sanyi-{m}.{fmt}"'
    return response


def _to_sessions(request: HttpRequest, month: str) -> str:
    return reverse("merit:sessions", kwargs={"month": str(_month(month))})


@page_errors
def sessions(request: HttpRequest, month: str) -> HttpResponse:
    """The 三一 checklist: per unit, warning case, star officers, incentive paid, the meeting."""
    m = _month(month)
    scope = caller(request)
    if request.method == "POST":
        return _session_record(request, month)
    rows = services.session_checklist(scope, m)
    return render(
        request,
        "merit/sessions.html",
        {
            "month": m,
            "rows": rows,
            "done": sum(1 for r in rows if r.items.done),
            "can_enter": scope.role in services.ENTERERS,
        },
    )


@page_errors(back=_to_sessions)
def _session_record(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    d = SessionForm(request.POST).parsed()
    with transaction.atomic():
        services.record_session(
            caller(request),
            unit_id=d["unit"],
            month=m,
            warning_case=d["warning_case"],
            warning_published=d["warning_published"],
            theme=d["theme"],
            held_on=d["held_on"],
            attendance=d["attendance"],
            minutes=d["minutes"],
        )
    messages.success(request, _("Saved."))
    return redirect("merit:sessions", month=str(m))


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
            "can_enter": scope.role in services.ENTERERS,
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
    with transaction.atomic():
        services.record_induction(
            caller(request), officer_id, today=_today(),
            leader_number=d["leader"], met_on=d["met_on"], meeting_note=d["meeting_note"],
            mentor_number=d["mentor"], mentor_from=d["mentor_from"],
            mentor_note=d["mentor_note"],
        )  # fmt: skip
    messages.success(request, _("Saved."))
    return redirect(_to_recruits(request, officer_id))


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
            "cells": [(post, current.points_for(post, str(k))) for post, _l in columns],
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
            "can_edit": scope.role in services.APPROVERS,
            "next_month": Month.of(_today()).next(),
        },
    )


@page_errors
def award_list(request: HttpRequest) -> HttpResponse:
    """Award proposals: a unit proposes, the political department checks and decides; levels above
    三等功 are forwarded to the province with a dossier."""
    scope = caller(request)
    if request.method == "POST":
        return _award_propose(request)
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
            "can_propose": scope.role in services.ENTERERS,
            "can_decide": scope.role in services.APPROVERS,
        },
    )


@page_errors(back="merit:award_list")
def _award_propose(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    d = AwardForm(request.POST).parsed()
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
    with transaction.atomic():
        services.propose_award(
            scope, officer_id=officer_id, level=d["level"], deed=d["deed"],
            notice_start=d["notice_start"], notice_end=d["notice_end"],
        )  # fmt: skip
    messages.success(request, _("Proposed."))
    return redirect("merit:award_list")


@require_POST
@page_errors(back="merit:award_list")
def award_decide(request: HttpRequest, award_id: uuid.UUID) -> HttpResponse:
    approve = AwardDecisionForm(request.POST).parsed()["approve"] == "1"
    with transaction.atomic():
        award = services.decide_award(caller(request), award_id, approve=approve, today=_today())
    messages.success(request, str(AWARD_STATE_LABELS.get(award.state, award.state)))
    return redirect("merit:award_list")


@page_errors
def award_dossier(request: HttpRequest, award_id: uuid.UUID) -> HttpResponse:
    dossier = services.award_dossier(caller(request), award_id, today=_today())
    response = HttpResponse(pack_files.dossier_pdf(dossier), content_type=pack_files.PDF)
    response["Content-Disposition"] = f'attachment; filename="award-{award_id}.pdf"'
    return response


@page_errors(back="merit:policy")
def _policy_save(
    request: HttpRequest, current: rules.Policy, post_types: list[str]
) -> HttpResponse:
    p = request.POST
    valid_from = Month.parse(p.get("valid_from", ""), "valid_from")
    data = rules.policy_from_form(p, post_types=post_types, base=current)
    with transaction.atomic():
        saved = services.save_policy(caller(request), data, valid_from=valid_from.first)
    messages.success(
        request,
        _("Scoring policy v%(v)s saved, in force from %(m)s.")
        % {"v": saved.version, "m": valid_from},
    )
    return redirect(reverse("merit:policy") + f"?month={valid_from}")


@page_errors
def warning_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "merit/warnings.html",
        {
            "items": services.warning_queue(caller(request)).order_by("created_at"),
            "measures": MEASURE_LABELS.items(),
            "today": _today(),
        },
    )


@require_POST
@page_errors(back="merit:warning_queue")
def warning_decide(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    d = WarningDecisionForm(request.POST).parsed()
    measure = d["measure"] or None
    with transaction.atomic():
        services.decide_warning(
            caller(request), item_id, measure=measure,
            start=d["start"] if measure else _today(), days=d["days"], note=d["note"],
        )  # fmt: skip
    messages.success(request, _("Decided."))
    return redirect("merit:warning_queue")
