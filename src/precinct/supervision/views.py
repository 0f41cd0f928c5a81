"""Supervision pages: the dashboard, lists behind every number, the case page with its timeline."""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.cases import services as cases
from precinct.common import audit, transactions
from precinct.common.pages import ErrorRow, by_row, page_errors
from precinct.core import clock
from precinct.core.capabilities import FULL_IDENTITY_READERS
from precinct.identity import rules as access
from precinct.identity.services import caller

from . import holidays as holiday_services
from . import services
from .forms import HolidayScheduleForm, ReviewForm, TicketMoveForm
from .labels import basis_label, event_label, state_label, subject_label
from .models import STATE_LABELS, TICKET_STATE_LABELS
from .rules import RULES
from .rules.tickets import next_states

RULE_TITLES = {r.id: r.title for r in RULES}


def dashboard(request: HttpRequest) -> HttpResponse:
    data = services.dashboard(caller(request), now=clock.now())
    for key in ("by_rule", "by_unit", "by_officer"):  # the lists' states in words
        for row in data.get(key, ()):
            row["state_label"] = state_label(row["state"])
    return render(request, "supervision/dashboard.html", data)


def _readable(scope: Any, findings: Iterable[Any]) -> list[Any]:
    """Findings with what a user reads beside the codes: ``who`` (the person's name, masked per
    role, or 本案), ``basis_text`` (statute and article) and ``state_label``."""
    rows = list(findings)
    names = services.subject_names(scope, {f.case_id for f in rows})
    for f in rows:
        f.who = subject_label(f.subject, names.get((f.case_id, f.subject), ""))
        f.basis_text = basis_label(f.basis)
        f.state_label = state_label(f.state)
    return rows


def finding_list(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    get = request.GET
    flt = services.FindingFilter(
        state=s if (s := get.get("state", "")) in STATE_LABELS else "",
        rule=r if (r := get.get("rule", "")) in RULE_TITLES else "",
        unit=get.get("unit", "").strip()[:100],
        officer=get.get("officer", "").strip()[:40],
    )
    page = Paginator(services.search_findings(scope, flt), 50).get_page(get.get("page"))
    page.object_list = _readable(scope, page.object_list)
    return render(
        request,
        "supervision/finding_list.html",
        {
            "page": page,
            "filter": flt,
            "states": STATE_LABELS.items(),
            "rules": sorted(RULE_TITLES.items()),
            "units": services.finding_units(scope),
        },
    )


def case_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:64]
    qs = cases.search_cases(caller(request), q).select_related("unit").order_by("-created_at")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "supervision/case_list.html", {"page": page, "q": q})


# The marks of the case timeline, in the legend's order: the steps (events), the legal deadline,
# the follow-up done, then each state a deadline's bar can be in.
MARKS = ("step", "deadline", "done")
BAR_STATES = ("met", "late", "overdue", "due_soon", "pending", "waived", "violated", "withdrawn")


def _timeline_chart(
    findings: list[Any], events: list[Any], names: dict[str, str]
) -> dict[str, Any]:
    """The case timeline: a first row of the case's steps (``events``, those corrected since left
    out), then one row per rule and person, its deadline a bar from the step that starts it to
    the legal deadline, the follow-up a dot; the legend names each mark. Everything is in words
    (rule titles, persons, states), and times are the bureau's wall clock sent as if UTC, so the
    axis's days are the bureau's days wherever the browser is (the chart draws in UTC)."""
    tz = ZoneInfo(settings.TIME_ZONE)

    def ms(t: dt.datetime | None) -> int | None:
        return int(t.astimezone(tz).replace(tzinfo=dt.UTC).timestamp() * 1000) if t else None

    states = {f.state for f in findings}
    marks = [m for m in MARKS if m != "done" or any(f.met_at for f in findings)]
    words = {"step": _("Events"), "deadline": _("Legal deadline"), "done": _("Done"),
             "trigger": _("Trigger")}  # fmt: skip
    return {
        "rows": [_("Events")] + [f"{f.title or f.rule} · {f.who}" for f in findings],
        "deadlines": [
            {
                "row": i,
                "start": ms(f.trigger_at),
                "due": ms(f.due_at or f.trigger_at),
                "met": ms(f.met_at),
                "state": f.state,
                "state_label": f.state_label,
            }
            for i, f in enumerate(findings, start=1)
        ],
        "events": [
            {
                "at": ms(e.at),
                "type": event_label(e.type),
                "subject": subject_label(e.subject, names.get(e.subject, "")) if e.subject else "",
            }
            for e in events
        ],
        "legend": [{"mark": m, "label": words[m]} for m in marks]
        + [{"mark": s, "label": state_label(s)} for s in BAR_STATES if s in states],
        "words": words,  # the tooltips'
        "now": ms(clock.now()),
        "now_label": _("now"),
    }


@page_errors
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    scope = caller(request)
    case = cases.get_case(scope, case_id)
    audit.viewed("cases.case", str(case.pk), str(case.bureau_id))
    findings = _readable(scope, services.case_findings(scope, case_id))
    names = {key: name for (_c, key), name in services.subject_names(scope, [case_id]).items()}
    events = list(cases.event_rows(case_id))
    for e in events:
        e.label = event_label(e.type)  # type: ignore[attr-defined]
        e.who = subject_label(e.subject, names.get(e.subject, "")) if e.subject else ""  # type: ignore[attr-defined]
    corrected = {e.corrects_id for e in events if e.corrects_id}
    tickets = list(services.scope_tickets(scope).filter(case_id=case_id).select_related("finding"))
    by_finding = {f.pk: f for f in findings}
    for t in tickets:
        t.finding = by_finding.get(t.finding_id, t.finding)
        if not hasattr(t.finding, "who"):
            _readable(scope, [t.finding])
    return render(
        request,
        "supervision/case_detail.html",
        {
            "case": case,
            "findings": findings,
            "events": events,
            "corrected": corrected,
            "tickets": [(t, next_states(t.state, scope.role)) for t in tickets],
            "ticket_labels": TICKET_STATE_LABELS,
            "persons": cases.persons(case_id, full_identity=scope.role in FULL_IDENTITY_READERS),
            "chart": _timeline_chart(findings, [e for e in events if e.pk not in corrected], names),
            "can_review": access.decide("supervision:review_add", "POST", scope.role).allowed,
        },
    )


def _back(request: HttpRequest, fallback: str) -> str:
    """Where to return after a form: only a path of this site, never elsewhere."""
    target = request.POST.get("back", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return fallback


def _back_or_dashboard(request: HttpRequest, ticket_id: uuid.UUID) -> str:
    return _back(request, reverse("supervision:dashboard"))


@require_POST
@page_errors(back=_back_or_dashboard, refused="message")
def ticket_move(request: HttpRequest, ticket_id: uuid.UUID) -> HttpResponse:
    d = TicketMoveForm(request.POST).parsed()
    with transactions.entry():
        ticket = services.move_ticket(
            caller(request),
            ticket_id,
            to_state=d["to_state"],
            by=request.user.get_username(),
            note=d["note"],
        )
    messages.success(request, _("Ticket updated."))
    return redirect("supervision:case_detail", case_id=ticket.case_id)


def _to_case(request: HttpRequest, case_id: uuid.UUID) -> str:
    return reverse("supervision:case_detail", kwargs={"case_id": case_id})


@require_POST
@page_errors(back=_to_case, refused="message")
def review_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    scope = caller(request)
    d = ReviewForm(request.POST).parsed()
    with transactions.entry():
        services.add_review(
            scope,
            case_id,
            reviewer=request.user.get_username(),
            summary=d["summary"],
            items=[(d["tag"], d["rule"], d["text"])],
        )
    messages.success(request, _("Review recorded."))
    return redirect("supervision:case_detail", case_id=case_id)


def good_practice(request: HttpRequest) -> HttpResponse:
    page = Paginator(services.good_practice(caller(request)), 30).get_page(request.GET.get("page"))
    return render(request, "supervision/good_practice.html", {"page": page, "titles": RULE_TITLES})


@page_errors
def holidays(request: HttpRequest) -> HttpResponse:
    """The State Council's holiday schedule by year: where each year's comes from, and the form
    the legal department enters or imports a year with (all or nothing, errors by row)."""
    scope = caller(request)
    today = clock.today(settings.TIME_ZONE)
    errors: list[ErrorRow] = []
    if request.method == "POST":
        form = HolidayScheduleForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            labels = {"date": _("Date"), "kind": _("Kind"), "name": _("Holiday"),
                      "days": _("Days"), "year": _("Year"), "source": _("Source")}  # fmt: skip
            with by_row(errors, labels):
                with transactions.entry():
                    done = holiday_services.enter(
                        scope, data["year"], data["rows"], source=data["source"],
                        by=request.user.get_username(), now=clock.now(),
                    )  # fmt: skip
                messages.success(
                    request,
                    _(
                        "The %(year)s schedule is saved: %(rest)s rest days, %(work)s adjusted "
                        "working days. The deadlines of %(cases)s cases will be recomputed by the "
                        "next sweep."
                    )
                    % {
                        "year": done.year,
                        "rest": done.rest_days,
                        "work": done.working_days,
                        "cases": done.cases_marked,
                    },
                )
                return redirect(f"{reverse('supervision:holidays')}?year={done.year}")
    else:
        try:
            year = int(request.GET.get("year", "") or today.year + 1)
        except ValueError:
            year = today.year + 1
        form = HolidayScheduleForm(
            initial={"year": year, "rows": holiday_services.schedule_text(year)}
        )
    return render(
        request,
        "supervision/holidays.html",
        {
            "years": holiday_services.years(today=today),
            "form": form,
            "errors": errors,
            "may_enter": access.decide("supervision:holidays", "POST", scope.role).allowed,
        },
    )
