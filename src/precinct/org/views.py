"""Organisation pages. Access is decided by the middleware; data scope by the services."""

import datetime as dt
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from precinct.common import audit, transactions
from precinct.common.pages import page_errors
from precinct.core import clock
from precinct.core.scoping import Scope, caller
from precinct.jobs import services as jobs

from . import jobs as org_jobs
from . import rules, services
from .forms import (
    OfficerCreateForm,
    OfficerEditForm,
    OfficerForm,
    PostingForm,
    RosterImportForm,
    SecondmentEndForm,
    SecondmentPlanForm,
    StayDecisionForm,
)
from .models import (
    POST_TYPE_LABELS,
    SECONDMENT_STATUS_LABELS,
    STATUS_LABELS,
    STAY_DECISION_LABELS,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50


def _today() -> dt.date:
    return clock.today(settings.TIME_ZONE)


def _scope(request: HttpRequest) -> Scope:
    return caller(request)


def _unit_choices(scope: Scope) -> list[tuple[str, str]]:
    return [(str(u.pk), ("\u3000" * max(u.depth, 0)) + u.name) for u in services.list_units(scope)]


def unit_tree(request: HttpRequest) -> HttpResponse:
    return render(request, "org/unit_tree.html", {"roots": services.unit_tree(_scope(request))})


def officer_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    g = request.GET
    try:
        unit_id = uuid.UUID(g["unit"]) if g.get("unit") else None
    except ValueError:
        unit_id = None
    band = g.get("age_band", "")
    post = g.get("post_type", "")
    status = g.get("status", "")
    flt = services.OfficerFilter(
        q=g.get("q", "")[:40],
        unit_id=unit_id,
        post_type=post if post in rules.PostType._value2member_map_ else "",
        age_band=band if band in rules.AgeBand._value2member_map_ else "",
        status=status if status in rules.OfficerStatus._value2member_map_ else "",
    )
    today = _today()
    paginator = Paginator(services.search_officers(scope, flt, today=today), PAGE_SIZE)
    page = paginator.get_page(g.get("page"))
    rows = [(o, rules.age_on(o.birth_date, today)) for o in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "filters": flt,
        "units": _unit_choices(scope) if not scope.self_only else [],
        "post_types": POST_TYPE_LABELS.items(),
        "statuses": STATUS_LABELS.items(),
        "age_bands": list(services.age_band_labels().items()),
        "can_edit": scope.can_edit_people,
    }
    template = (
        "org/officer_list.html#results"
        if getattr(request, "htmx", False)
        else "org/officer_list.html"
    )
    return render(request, template, context)


@page_errors
def officer_detail(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    officer = services.get_officer(scope, officer_id)
    history = services.officer_history(scope, officer_id)
    secondments = services.officer_secondments(scope, officer_id)
    audit.viewed("org.officer", str(officer.pk), str(officer.bureau_id))
    return render(
        request,
        "org/officer_detail.html",
        {
            "officer": officer,
            "history": history,
            "secondments": secondments,
            "age": rules.age_on(officer.birth_date, _today()),
            "can_edit": scope.can_edit_people,
        },
    )


@page_errors
def officer_create(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    units = _unit_choices(scope)
    form = OfficerCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        with form.reporting():
            with transactions.entry():
                officer = services.create_officer(
                    scope,
                    data=form.officer_data(),
                    unit_id=uuid.UUID(form.cleaned_data["unit"]),
                    position=form.cleaned_data["position"],
                    start=form.cleaned_data["start"],
                    today=_today(),
                )
            messages.success(request, _("Officer %(name)s created.") % {"name": officer.name})
            return redirect("org:officer_detail", officer_id=officer.pk)
    return render(request, "org/officer_form.html", {"form": form, "creating": True})


@page_errors
def officer_edit(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    officer = services.get_officer(scope, officer_id)
    initial = {f: getattr(officer, f) for f in OfficerForm.base_fields}
    form = OfficerEditForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form.reporting():
            with transactions.entry():
                services.update_officer(scope, officer_id, data=form.officer_data(), today=_today())
                upload = form.cleaned_data.get("photo")
                if upload:
                    services.set_photo(scope, officer_id, content=upload.read())
            messages.success(request, _("Changes saved."))
            return redirect("org:officer_detail", officer_id=officer_id)
    return render(request, "org/officer_form.html", {"form": form, "officer": officer})


@page_errors
def officer_photo(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    content, content_type = services.photo(_scope(request), officer_id)
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@page_errors
def assignment_add(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    officer = services.get_officer(scope, officer_id)
    form = PostingForm(
        request.POST or None, units=_unit_choices(scope), initial={"start": _today()}
    )
    if request.method == "POST" and form.is_valid():
        with form.reporting():
            with transactions.entry():
                services.add_assignment(
                    scope,
                    officer_id,
                    unit_id=uuid.UUID(form.cleaned_data["unit"]),
                    position=form.cleaned_data["position"],
                    start=form.cleaned_data["start"],
                    today=_today(),
                )
            messages.success(request, _("Posting recorded."))
            return redirect("org:officer_detail", officer_id=officer_id)
    return render(request, "org/assignment_form.html", {"form": form, "officer": officer})


@page_errors
def roster_export(request: HttpRequest) -> HttpResponse:
    today = _today()
    content = services.export_roster(_scope(request), today=today)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="roster-{today.isoformat()}.xlsx"'
    return response


def roster_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.roster_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


@page_errors
def roster_import(request: HttpRequest) -> HttpResponse:
    """Upload a roster workbook: it is imported as a background job (checked row by row with a
    progress bar, then written all or nothing); the page shows the latest import, its outcome or
    the table of refused rows."""
    scope = _scope(request)
    form = RosterImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transactions.entry():
            _job, new = org_jobs.start_roster_import(scope, upload.read(), upload.name or "")
        if not new:
            messages.info(
                request,
                _("A roster import is already under way; send your file again once it is over."),
            )
        return redirect(reverse("org:roster_import") + "#import-job")
    latest = jobs.latest(org_jobs.roster_import_key(scope))
    return render(
        request,
        "org/roster_import.html",
        {"form": form, "import_job": jobs.panel(latest, request.user.get_username())},
    )


# --- secondments (动态用警) -----------------------------------------------------------------
LIST_KEYS = ("status", "department", "page", "what_if")


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _pct(x: float) -> float:
    return round(x * 100, 1)


def _back(request: HttpRequest) -> str:
    """The deployment page with the list's filters and the what-if choice the action came from."""
    kept = QueryDict(request.POST.get("query", ""))
    query = urlencode([(k, v) for k in LIST_KEYS for v in kept.getlist(k)][:200])
    return reverse("org:deployment") + (f"?{query}" if query else "")


def _what_if(g: QueryDict) -> list[uuid.UUID]:
    return [u for u in (_uuid(v) for v in g.getlist("what_if")[:200]) if u is not None]


def _plan_choices(scope: Scope) -> dict[str, list[tuple[str, str]]]:
    departments, grassroots = services.deployment_units(scope)
    return {
        "departments": [(str(u.pk), u.name) for u in departments],
        "grassroots": [(str(u.pk), ("\u3000" * max(u.depth - 2, 0)) + u.name) for u in grassroots],
    }


@page_errors
def deployment(request: HttpRequest, plan_form: SecondmentPlanForm | None = None) -> HttpResponse:
    scope = _scope(request)
    today = _today()
    g = request.GET
    status = g.get("status", "")
    status = status if status in rules.SecondmentStatus._value2member_map_ else ""
    department = _uuid(g.get("department"))
    what_if = _what_if(g)
    now = services.deployment_summary(scope, today=today)
    after = services.deployment_summary(scope, today=today, what_if=what_if) if what_if else None
    departments, _grassroots = services.deployment_units(scope)
    flt = services.SecondmentFilter(status=status, from_unit_id=department)
    page = Paginator(services.list_secondments(scope, flt), PAGE_SIZE).get_page(g.get("page"))
    planned = services.list_secondments(
        scope, services.SecondmentFilter(status=rules.SecondmentStatus.PLANNED)
    )[:200]
    can_plan = scope.role in services.SECONDMENT_PLANNERS
    if plan_form is None and can_plan:
        plan_form = SecondmentPlanForm(
            **_plan_choices(scope),
            initial={"start": today, "planned_end": rules.years_after(today, 3)},
        )
    rows = []
    after_rows = {d.unit_id: d for d in after.by_department} if after else {}
    for d in now.by_department:
        a = after_rows.get(d.unit_id)
        rows.append(
            {
                "name": d.name,
                "id": d.unit_id,
                "hq": d.hq_officers,
                "seconded": d.seconded,
                "pct": _pct(d.share),
                "after_seconded": a.seconded if a else None,
                "after_pct": _pct(a.share) if a else None,
                "meets": d.share >= now.goal,
            }
        )
    series = [
        {
            "name": _("Seconded now (%)"),
            "values": [r["pct"] for r in rows],
            "type": "bar",
        }
    ]
    if after:
        series.append(
            {
                "name": _("With the chosen plans (%)"),
                "values": [r["after_pct"] for r in rows],
                "type": "bar",
            }
        )
    chart = {
        "labels": [r["name"] for r in rows],
        "series": series,
        "goal": _pct(now.goal),
        "percent": True,
    }
    received = (
        services.list_secondments(
            scope, services.SecondmentFilter(status=rules.SecondmentStatus.ACTIVE)
        ).count()
        if not rows
        else 0
    )
    context = {
        "received": received,
        "summary": now,
        "after": after,
        "share_pct": _pct(now.share),
        "goal_pct": _pct(now.goal),
        "after_pct": _pct(after.share) if after else None,
        "rows": rows,
        "chart": chart,
        "page": page,
        "planned": planned,
        "chosen": {str(u) for u in after.what_if} if after else set(),
        "status": status,
        "department": str(department) if department else "",
        "statuses": SECONDMENT_STATUS_LABELS.items(),
        "departments": departments,
        "stay_decisions": STAY_DECISION_LABELS.items(),
        "query": request.GET.urlencode(),
        "plan_form": plan_form,
        "can_plan": can_plan,
        "can_approve": scope.role in services.SECONDMENT_APPROVERS,
        "link_officers": scope.whole_bureau,
        "today": today,
    }
    template = (
        "org/deployment.html#secondments"
        if getattr(request, "htmx", False) and request.method == "GET"
        else "org/deployment.html"
    )
    return render(request, template, context)


@page_errors
def secondment_plan(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = SecondmentPlanForm(request.POST, **_plan_choices(scope))
    if form.is_valid():
        d = form.cleaned_data
        officer_id = services.officer_by_number(scope, d["officer"])
        if officer_id is None:
            form.add_error("officer", _("No officer has this police number."))
        else:
            with form.reporting():
                with transactions.entry():
                    services.plan_secondment(
                        scope,
                        officer_id=officer_id,
                        from_unit_id=uuid.UUID(d["from_unit"]),
                        to_unit_id=uuid.UUID(d["to_unit"]),
                        start=d["start"],
                        planned_end=d["planned_end"],
                        purpose=d["purpose"],
                        today=_today(),
                    )
                messages.success(request, _("Secondment planned: it counts once approved."))
                return redirect(_back(request))
    return deployment(request, plan_form=form)


def _back_to_list(request: HttpRequest, *args: object) -> str:
    return _back(request)


# the route's rule and the service's agree; if not, the service's refusal is the 403 page
@page_errors(back=_back_to_list)
def _act(request: HttpRequest, done: str, action: Callable[[], object]) -> HttpResponse:
    """Run one secondment action in a transaction; say what happened, or why not, on the page."""
    with transactions.entry():
        action()
    messages.success(request, done)
    return redirect(_back(request))


def _end_form(request: HttpRequest) -> SecondmentEndForm:
    form = SecondmentEndForm(request.POST)
    form.is_valid()  # every field is optional; a bad date is read as today
    return form


def secondment_approve(request: HttpRequest, secondment_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    return _act(
        request,
        _("Secondment approved."),
        lambda: services.approve_secondment(scope, secondment_id, today=_today(), now=clock.now()),
    )


def secondment_cancel(request: HttpRequest, secondment_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    note = _end_form(request).cleaned_data.get("note") or ""
    return _act(
        request,
        _("Secondment cancelled."),
        lambda: services.cancel_secondment(scope, secondment_id, note=note),
    )


def secondment_return(request: HttpRequest, secondment_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    today = _today()
    d = _end_form(request).cleaned_data
    return _act(
        request,
        _("Return recorded."),
        lambda: services.record_return(
            scope, secondment_id, on=d.get("on") or today, note=d.get("note") or "", today=today
        ),
    )


def secondment_stay_request(request: HttpRequest, secondment_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    today = _today()
    d = _end_form(request).cleaned_data
    return _act(
        request,
        _("Request to stay recorded."),
        lambda: services.request_stay(
            scope, secondment_id, on=d.get("on") or today, note=d.get("note") or "", today=today
        ),
    )


def secondment_stay_decide(request: HttpRequest, secondment_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    form = StayDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and a date."))
        return redirect(_back(request))
    d = form.cleaned_data
    grant = d["decision"] == rules.StayDecision.GRANTED
    return _act(
        request,
        _("Stay granted: the officer is now posted there.") if grant else _("Stay refused."),
        lambda: services.decide_stay(
            scope,
            secondment_id,
            grant=grant,
            on=d["on"],
            position=d.get("position") or "",
            today=_today(),
        ),
    )
