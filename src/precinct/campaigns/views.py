"""Campaign pages: the list with progress, a campaign's checklist (ticked off in place with
htmx), the comparison of units, and the campaign report as Excel or PDF."""

import datetime as dt
import re
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, ValidationFailed, gettext_noop
from precinct.identity import rules as access
from precinct.identity.services import caller
from precinct.org import services as org

from . import report, services
from .forms import CampaignForm, ItemMoveForm, ItemsForm, LinkForm, TargetForm, TargetValueForm
from .models import ITEM_STATE_LABELS, LEVEL_LABELS, LINK_LABELS, METRIC_LABELS, PHASE_LABELS


def _today() -> dt.date:
    return clock.today(settings.TIME_ZONE)


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


def _chart(rows: list[services.UnitRow]) -> dict[str, Any]:
    """Items done, open and overdue by unit, stacked."""
    return {
        "labels": [r.name for r in rows],
        "series": [
            {
                "name": _("Completed"),
                "values": [r.progress.done for r in rows],
                "type": "bar",
                "stack": "items",
            },
            {
                "name": _("Not completed"),
                "values": [r.progress.total - r.progress.done - r.progress.overdue for r in rows],
                "type": "bar",
                "stack": "items",
            },
            {
                "name": _("Overdue"),
                "values": [r.progress.overdue for r in rows],
                "type": "bar",
                "stack": "items",
            },
        ],
        "colours": ["#1b7f3b", "#8a96a3", "#c8102e"],
    }


@page_errors
def index(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    today = _today()
    if request.method == "POST":
        return _create(request)
    phase = request.GET.get("phase") or None
    rows = services.list_campaigns(scope, today=today, phase=phase)
    context = {
        "rows": rows,
        "phase": phase,
        "phases": PHASE_LABELS,
        "levels": LEVEL_LABELS,
        "manager": services.is_manager(scope),
        "can_compare": access.decide("campaigns:compare", "GET", scope.role).allowed,
        "units": org.list_units(scope) if services.is_manager(scope) else [],
        "chart": {
            "labels": [r.campaign.name for r in rows if r.progress.total],
            "series": [
                {
                    "name": _("Items done (%)"),
                    "values": [
                        round(100 * (r.progress.share or 0), 1) for r in rows if r.progress.total
                    ],
                    "type": "bar",
                }
            ],
            "percent": True,
        },
    }
    return render(request, "campaigns/list.html", context)


@page_errors(back="campaigns:list", refused="message")
def _create(request: HttpRequest) -> HttpResponse:
    d = CampaignForm(request.POST).parsed()
    data = {
        "code": d["code"],
        "name": d["name"],
        "level": d["level"],
        "starts": d["starts"],
        "ends": d["ends"],
        "goal": d["goal"],
        "lead_unit_id": d["lead_unit"],
    }
    with transactions.entry():
        made = services.create_campaign(caller(request), data, by=request.user.get_username())
    messages.success(request, _("Campaign created."))
    return redirect("campaigns:detail", campaign_id=made.pk)


def _detail_context(request: HttpRequest, campaign_id: uuid.UUID) -> dict[str, Any]:
    scope = caller(request)
    status = request.GET.get("status") or None
    unit = _uuid(request.GET.get("unit"))
    d = services.campaign_detail(scope, campaign_id, today=_today(), status=status, unit_id=unit)
    manager = services.is_manager(scope)
    return {
        "d": d,
        "c": d.row.campaign,
        "manager": manager,
        "can_tick": access.decide("campaigns:item_move", "POST", scope.role).allowed,
        "can_compare": access.decide("campaigns:report", "GET", scope.role).allowed,
        "status": status,
        "unit": unit,
        "states": ITEM_STATE_LABELS,
        "phases": PHASE_LABELS,
        "levels": LEVEL_LABELS,
        "metrics": METRIC_LABELS,
        "link_kinds": LINK_LABELS,
        "units": org.list_units(scope) if manager else [],
        "chart": _chart(d.by_unit),
        "today": _today(),
    }


@page_errors
def detail(request: HttpRequest, campaign_id: uuid.UUID) -> HttpResponse:
    if request.method == "POST":
        return _act(request, campaign_id)
    return render(request, "campaigns/detail.html", _detail_context(request, campaign_id))


def _to_detail(request: HttpRequest, campaign_id: uuid.UUID) -> str:
    return reverse("campaigns:detail", kwargs={"campaign_id": campaign_id})


@page_errors(back=_to_detail, refused="message")
def _act(request: HttpRequest, campaign_id: uuid.UUID) -> HttpResponse:
    """The managers' forms on a campaign's page: items, a target, a target's value, a link,
    closing the campaign."""
    scope = caller(request)
    action = request.POST.get("action", "")
    by = request.user.get_username()
    with transactions.entry():
        if action == "items":
            rows = [
                (what, _unit_by_name(scope, owner), _date(due))
                for what, owner, due in ItemsForm(request.POST).parsed_rows()
            ]
            if not rows:
                raise ValidationFailed([FieldError("lines", gettext_noop("one item a line"))])
            made = services.add_items(scope, campaign_id, rows)
            messages.success(request, _("%(n)s items added.") % {"n": len(made)})
        elif action == "target":
            d = TargetForm(request.POST).parsed()
            services.add_target(
                scope, campaign_id, name=d["name"], metric=d["metric"], goal=d["goal"]
            )
            messages.success(request, _("Target added."))
        elif action == "target_value":
            d = TargetValueForm(request.POST).parsed()
            if d["target"] is None:
                raise NotFound("target")
            services.set_target_value(scope, d["target"], value=d["value"])
            messages.success(request, _("Target updated."))
        elif action == "link":
            d = LinkForm(request.POST).parsed()
            services.link(scope, campaign_id, kind=d["kind"], ref=d["ref"], by=by)
            messages.success(request, _("Linked."))
        elif action == "close":
            services.close_campaign(scope, campaign_id)
            messages.success(request, _("Campaign closed."))
        else:
            messages.error(request, _("Unknown action."))
    return redirect("campaigns:detail", campaign_id=campaign_id)


def _unit_by_name(scope: Any, name: str) -> uuid.UUID | None:
    """An owner unit typed by its name or code."""
    name = name.strip()
    if not name:
        return None
    for unit in org.list_units(scope):
        if name in (unit.name, unit.code):
            return unit.pk
    return None


def _checklist(request: HttpRequest, campaign_id: uuid.UUID | None) -> HttpResponse:
    """After an item's move (done or refused): the checklist in place, with its progress."""
    if campaign_id is None:
        return redirect("campaigns:list")
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "campaigns/detail.html#checklist", _detail_context(request, campaign_id)
        )
    return redirect("campaigns:detail", campaign_id=campaign_id)


def _checklist_posted(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    form = ItemMoveForm(request.POST)
    form.is_valid()  # the page it came from, whatever else is wrong
    return _checklist(request, form.cleaned_data.get("campaign"))


@require_POST
@page_errors(back=_checklist_posted, refused="message")
def item_move(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    d = ItemMoveForm(request.POST).parsed()
    with transactions.entry():
        item = services.move_item(
            caller(request), item_id, status=d["status"], evidence=d["evidence"],
            reason=d["reason"], by=request.user.get_username(), today=_today(),
        )  # fmt: skip
    messages.success(request, _("Item %(n)s: %(state)s.") % {
        "n": item.number, "state": ITEM_STATE_LABELS[item.status]})  # fmt: skip
    return _checklist(request, item.campaign_id)


@page_errors
def compare(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    campaign = _uuid(request.GET.get("campaign"))
    rows = services.compare_units(scope, today=_today(), campaign_id=campaign)
    return render(
        request,
        "campaigns/compare.html",
        {
            "rows": rows,
            "campaign": campaign,
            "campaigns": services.list_campaigns(scope, today=_today()),
            "chart": _chart(rows),
        },
    )


@page_errors
def report_file(request: HttpRequest, campaign_id: uuid.UUID) -> HttpResponse:
    scope = caller(request)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in report.FORMATS:
        raise Http404
    d = services.campaign_detail(scope, campaign_id, today=_today())
    body = report.to_xlsx(d, today=_today()) if fmt == "xlsx" else report.to_pdf(d, today=_today())
    response = HttpResponse(body, content_type=report.FORMATS[fmt])
    code = re.sub(r"[^A-Za-z0-9_-]", "", d.row.campaign.code) or str(d.row.campaign.pk)[:8]
    name = f"campaign-{code}-{_today():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
