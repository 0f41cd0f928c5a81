"""A job's progress on the page that started it (a panel that follows it while it runs) and its
finished file (ADR 0031). Who may follow a job is who may start its work: the rule of the route
that starts it, in the job's own bureau; its file only for the user who asked for it."""

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from precinct.identity import rules as access
from precinct.identity.services import caller
from precinct.jobs import services as jobs

# a job's kind → the route (and method) whose rule says who may follow it
FOLLOWED_BY = {
    "merit.pay": ("merit:month_pay", "POST"),
    "merit.close": ("merit:month_close", "POST"),
    "merit.pack": ("merit:session_pack", "GET"),
    "planning.posts": ("planning:run", "GET"),
    "org.roster_import": ("org:roster_import", "POST"),
    "stats.import": ("stats:import", "POST"),
}


def _job(request: HttpRequest, job_id: uuid.UUID) -> jobs.Job:
    scope = caller(request)
    job = jobs.get(job_id)
    rule = FOLLOWED_BY.get(job.kind) if job is not None else None
    if (
        job is None
        or rule is None
        or job.bureau_id is None
        or job.bureau_id != scope.bureau_id
        or not access.decide(rule[0], rule[1], scope.role).allowed
    ):
        raise Http404()
    return job


def job(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The panel again (polled while the job runs); once it is over, the page reloads to show
    what the work changed."""
    item = _job(request, job_id)
    response = render(request, "web/_job.html", jobs.panel(item, request.user.get_username()))
    if not item.live and getattr(request, "htmx", False):
        response["HX-Refresh"] = "true"
    return response


def job_file(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The finished file, for the user who asked for it (it was drawn in his scope); audited as
    every download is (web/trail.py)."""
    item = _job(request, job_id)
    if not jobs.panel(item, request.user.get_username())["file_ok"] or item.state != "done":
        raise Http404()
    content = jobs.file_of(item.pk)
    response = HttpResponse(content, content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="{item.file_name}"'
    response["Cache-Control"] = "no-store"
    return response
