"""Organisation pages. Access is decided by the middleware; data scope by the services."""

import datetime as dt
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from precinct.common.i18n import explain
from precinct.core import clock
from precinct.core.errors import NotFound, ValidationFailed
from precinct.core.scoping import Scope
from precinct.identity import services as identity
from precinct.identity.services import caller

from . import rules, services
from .forms import OfficerCreateForm, OfficerEditForm, OfficerForm, PostingForm, RosterImportForm
from .models import POST_TYPE_LABELS, STATUS_LABELS

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
    query = {k: v for k, v in g.items() if k != "page" and v}
    context = {
        "page": page,
        "rows": rows,
        "filters": flt,
        "query": urlencode(query),
        "units": _unit_choices(scope) if not scope.self_only else [],
        "post_types": POST_TYPE_LABELS.items(),
        "statuses": STATUS_LABELS.items(),
        "age_bands": [b.value for b in rules.AgeBand],
        "can_edit": scope.can_edit_people,
    }
    template = (
        "org/officer_list.html#results"
        if getattr(request, "htmx", False)
        else "org/officer_list.html"
    )
    return render(request, template, context)


def _officer_or_404(scope: Scope, officer_id: uuid.UUID):
    try:
        return services.get_officer(scope, officer_id)
    except NotFound as exc:
        raise Http404 from exc


def officer_detail(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    officer = _officer_or_404(scope, officer_id)
    history = services.officer_history(scope, officer_id)
    identity.record(
        "view",
        object_type="org.officer",
        object_id=str(officer.pk),
        bureau_id=str(officer.bureau_id),
    )
    return render(
        request,
        "org/officer_detail.html",
        {
            "officer": officer,
            "history": history,
            "age": rules.age_on(officer.birth_date, _today()),
            "can_edit": scope.can_edit_people,
        },
    )


def officer_create(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    units = _unit_choices(scope)
    form = OfficerCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                officer = services.create_officer(
                    scope,
                    data=form.officer_data(),
                    unit_id=uuid.UUID(form.cleaned_data["unit"]),
                    position=form.cleaned_data["position"],
                    start=form.cleaned_data["start"],
                    today=_today(),
                )
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
        else:
            messages.success(request, _("Officer %(name)s created.") % {"name": officer.name})
            return redirect("org:officer_detail", officer_id=officer.pk)
    return render(request, "org/officer_form.html", {"form": form, "creating": True})


def officer_edit(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    officer = _officer_or_404(scope, officer_id)
    initial = {f: getattr(officer, f) for f in OfficerForm.base_fields}
    form = OfficerEditForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.update_officer(scope, officer_id, data=form.officer_data(), today=_today())
                upload = form.cleaned_data.get("photo")
                if upload:
                    services.set_photo(scope, officer_id, content=upload.read())
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("org:officer_detail", officer_id=officer_id)
    return render(request, "org/officer_form.html", {"form": form, "officer": officer})


def officer_photo(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    try:
        content, content_type = services.photo(_scope(request), officer_id)
    except NotFound as exc:
        raise Http404 from exc
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def assignment_add(request: HttpRequest, officer_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    officer = _officer_or_404(scope, officer_id)
    form = PostingForm(
        request.POST or None, units=_unit_choices(scope), initial={"start": _today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.add_assignment(
                    scope,
                    officer_id,
                    unit_id=uuid.UUID(form.cleaned_data["unit"]),
                    position=form.cleaned_data["position"],
                    start=form.cleaned_data["start"],
                    today=_today(),
                )
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
        else:
            messages.success(request, _("Posting recorded."))
            return redirect("org:officer_detail", officer_id=officer_id)
    return render(request, "org/assignment_form.html", {"form": form, "officer": officer})


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


def roster_import(request: HttpRequest) -> HttpResponse:
    form = RosterImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                result = services.import_roster(_scope(request), upload.read(), today=_today())
        except ValidationFailed as exc:
            errors = [(e.row, e.field, explain(e)) for e in exc.errors]
        else:
            messages.success(
                request,
                _("Roster imported: %(created)d new, %(updated)d updated, %(moved)d moved.")
                % {"created": result.created, "updated": result.updated, "moved": result.moved},
            )
            return redirect("org:roster_import")
    return render(request, "org/roster_import.html", {"form": form, "errors": errors})
