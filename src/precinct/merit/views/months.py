"""The month: ranking and stars, an officer's score, bonuses, the session pack, 三一 checklist."""

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as noop
from precinct.core.scoping import Scope
from precinct.identity import rules as access
from precinct.identity.services import caller, display_names
from precinct.jobs import services as jobs
from precinct.org import services as org

from .. import jobs as month_jobs
from .. import pack as pack_files
from .. import rules, services
from ..forms import FundForm, MonthCloseForm, SessionForm
from ..models import CASE_ROLE_LABELS, KIND_LABELS
from ..rules import Month
from ._common import _month, _people, _to_month, _today


@page_errors
def month(request: HttpRequest, month: str | None = None) -> HttpResponse:
    return _month_page(request, _month(month or request.GET.get("month")))


def _month_page(
    request: HttpRequest, m: Month, close_form: MonthCloseForm | None = None
) -> HttpResponse:
    """The month's ranking and stars. An open month is provisional: it ranks only the officers
    with points so far (the rest have none yet); a closed one says when and by whom it was
    closed, its digest kept as the integrity seal."""
    scope = caller(request)
    role = scope.role
    results = services.month_results(scope, m)
    ranked = (
        results["officers"]
        if results["closed"]
        else [o for o in results["officers"] if rules.has_points(o["points"], o["lines"])]
    )
    people = _people(request, [o["officer"] for o in ranked])
    unit, post = request.GET.get("unit", "")[:100], request.GET.get("post_type", "")
    rows = []
    for rank, o in enumerate(ranked, start=1):
        name, unit_name = people.get(o["officer"], ("", ""))
        if (unit and unit_name != unit) or (post and o["post_type"] != post):
            continue
        rows.append(
            {**o, "rank": rank, "name": name, "unit_name": unit_name, "star_text": "★" * o["stars"]}
        )
    stars = [sum(1 for o in results["officers"] if o["stars"] == n) for n in range(6)]
    can_close = access.decide("merit:month_close", "POST", role).allowed
    return render(
        request,
        "merit/month.html",
        {
            "month": m,
            "previous": m.previous(),
            "next": m.next() if m.next().first <= _today() else None,
            "results": results,
            "provisional": not results["closed"],
            "closed": _closed(scope, m) if results["closed"] else None,
            "close_form": (close_form or MonthCloseForm())
            if can_close and not results["closed"]
            else None,
            "over": m.last < _today(),
            "closes_from": m.next().first,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "unit": unit,
            "post_type": post,
            "post_types": org.post_type_labels().items(),
            "units": sorted({v[1] for v in people.values() if v[1]}),
            "stars_chart": {"labels": [f"{n}★" for n in range(6)], "values": stars},
            "can_export": access.decide("merit:finance_export", "GET", role).allowed,
            "can_pack": access.decide("merit:session_pack", "GET", role).allowed,
            **_budget(request, m),
            **_jobs(request, scope, m),
        },
        status=400 if close_form is not None and close_form.errors else 200,
    )


JOB_SHOWN_FOR = dt.timedelta(hours=1)  # a finished job's outcome stays on the page this long

# who closed a month when it was not a person: the demo loader and the command line
SYSTEM_CLOSERS = {
    "demo": gettext_lazy("the demo data"),
    "close-month": gettext_lazy("the command line"),
}


def _closed(scope: Scope, m: Month) -> dict[str, Any] | None:
    """When and by whom the month was closed, and its digest (the seal of the frozen figures)."""
    close = services.month_close(scope, m)
    if close is None:
        return None
    by = close.closed_by
    who = (SYSTEM_CLOSERS.get(by) or display_names([by]).get(by, by)) if by else ""
    return {"at": close.created_at, "by": who, "digest": close.digest}


@require_POST
@page_errors(back=_to_month)
def month_close(request: HttpRequest, month: str) -> HttpResponse:
    """Close (freeze) the month from its page: privileged, re-authenticated by the access
    middleware like paying and funding; the scoring runs as a background job whose progress the
    page shows. A month not over yet is refused on the close form at once."""
    m = _month(month)
    form = MonthCloseForm(request.POST)
    if form.is_valid():
        with form.reporting():
            if _today() <= m.last:
                raise ValidationFailed(
                    [
                        FieldError(
                            "month", noop("%(month)s is not over yet"), params={"month": str(m)}
                        )
                    ]
                )
            with transactions.entry():
                _job, new = month_jobs.start_close(caller(request), m)
            if not new:
                messages.info(request, _("This work is already under way."))
            return redirect(_to_month(request, str(m)) + "#close")
    return _month_page(request, m, close_form=form)


def _jobs(request: HttpRequest, scope: Scope, m: Month) -> dict[str, Any]:
    """The month's long work and its latest jobs (live, or finished within the hour)."""
    since = timezone.now() - JOB_SHOWN_FOR

    def shown(job: jobs.Job | None) -> dict[str, Any] | None:
        if job is None or (not job.live and (job.finished_at or since) < since):
            return None
        return jobs.panel(job, request.user.get_username())

    user = request.user.get_username()
    return {
        "pay_job": shown(jobs.latest(month_jobs.pay_key(scope, m))),
        "close_job": shown(jobs.latest(month_jobs.close_key(scope, m))),
        "pack_jobs": [
            (fmt, shown(jobs.latest(month_jobs.pack_key(scope, m, fmt, user))))
            for fmt in ("pdf", "xlsx")
        ],
    }


def _budget(request: HttpRequest, m: Month) -> dict[str, Any]:
    """For the political department (the fund and pay forms): a closed month's bonuses owed,
    paid and budgeted (``payout``); an open month's budget (``open_budget``), which pays the
    awards approved in it and so can be funded before the month is closed."""
    scope = caller(request)
    if not access.decide("merit:month_fund", "POST", scope.role).allowed:
        return {"payout": None, "open_budget": None}
    status = services.payout_status(scope, m)
    if status is None:  # not closed
        return {"payout": None, "open_budget": rules.yuan(services.budget_left(scope, m))}
    payout = {
        "status": status,
        "owed": rules.yuan(status.owed_fen),
        "paid": rules.yuan(status.paid_fen),
        "to_pay": rules.yuan(status.to_pay_fen),
        "budget": rules.yuan(status.budget_fen),
    }
    return {"payout": payout, "open_budget": None}


@require_POST
@page_errors(back=_to_month)
def month_fund(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    yuan = FundForm(request.POST).parsed()["yuan"]
    with transactions.entry():
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
    """Pay the month's bonuses as a background job: the page follows its progress; a second
    click while it runs finds the same job."""
    m = _month(month)
    services.check_payable(caller(request), m)  # refused at once, not by a failed job
    with transactions.entry():
        _job, new = month_jobs.start_pay(caller(request), m)
    if not new:
        messages.info(request, _("This work is already under way."))
    return redirect(_to_month(request, str(m)) + "#payout")


@page_errors
def officer_month(request: HttpRequest, month: str, officer_id: uuid.UUID) -> HttpResponse:
    m = _month(month)
    results = services.month_results(caller(request), m)
    row = next((o for o in results["officers"] if o["officer"] == str(officer_id)), None)
    if row is None:
        raise Http404()
    name, unit_name = _people(request, [row["officer"]]).get(row["officer"], ("", ""))
    lines = [
        {
            **ln,
            "label": KIND_LABELS.get(ln["kind"], ln["kind"]),
            "role": CASE_ROLE_LABELS.get(ln.get("role") or "", ln.get("role") or ""),
            "evidence": services.evidence_words(ln.get("evidence") or ""),
        }
        for ln in services.lines_of(row)
    ]
    return render(
        request,
        "merit/officer_month.html",
        {"month": m, "row": row, "name": name, "unit_name": unit_name, "lines": lines,
         "thresholds": results["policy"]["thresholds"]},
    )  # fmt: skip


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


@page_errors(back=_to_month)
def session_pack(request: HttpRequest, month: str, fmt: str) -> HttpResponse:
    """The monthly session pack as Excel or PDF, in the caller's language and scope: a POST (the
    month page's button) builds it as a background job and the page offers the file when it is
    ready; a GET draws it at once (for scripts)."""
    m = _month(month)
    if fmt not in pack_files.FORMATS:
        raise Http404()
    if request.method == "POST":
        with transactions.entry():
            _job, new = month_jobs.start_pack(caller(request), m, fmt, request.user.get_username())
        if not new:
            messages.info(request, _("This work is already under way."))
        return redirect(_to_month(request, str(m)) + "#pack")
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
            "can_enter": access.decide("merit:sessions", "POST", scope.role).allowed,
        },
    )


@page_errors(back=_to_sessions)
def _session_record(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    d = SessionForm(request.POST).parsed()
    with transactions.entry():
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
