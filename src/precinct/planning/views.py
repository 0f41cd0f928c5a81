"""The planning page: scenarios (where to post the cars), runs with their progress, results as
charts and a map."""

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.common.i18n import explain, say
from precinct.common.pages import page_errors
from precinct.common.routing import replica_reads
from precinct.core.errors import Conflict, NotFound, ValidationFailed
from precinct.identity.services import caller

from . import rules, services
from .forms import PostRunForm
from .models import PlanningRun


@page_errors(back="planning:index")
def index(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    if request.method == "POST":
        d = PostRunForm(request.POST).parsed()
        with transactions.entry():
            run = services.start_post_run(
                scope,
                cars=d["cars"],
                minutes=d["minutes"],
                days=d["days"],
                replay=d["replay"],
                by=request.user.get_username(),
                objective=d["objective"] or "both",
                night_cars=d["night_cars"],
                queue=d["queue"],
                sites=d["sites"] or "any",
            )
        return redirect("planning:run", run_id=run.pk)
    return render(request, "planning/index.html", {"runs": services.list_runs(scope)})


@page_errors
def run(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    item = services.get_run(caller(request), run_id)
    context: dict[str, Any] = {"run": item}
    if item.status == "done" and item.result:
        r = item.result
        context["curve"] = {
            "labels": [str(i + 1) for i in range(len(r["curve"]))],
            "series": [
                {
                    "name": _("Share of incidents covered (%)"),
                    "values": [round(c * 100, 1) for c in r["curve"]],
                }
            ],
            "goal": 70,
            "percent": True,
        }
        context["needs"] = [
            (
                round(goal * 100),
                services.cars_needed(r["curve"], goal),
                services.cars_needed(r.get("curve_by_shift", {}).get("day", []), goal),
                services.cars_needed(r.get("curve_by_shift", {}).get("night", []), goal),
            )
            for goal in (0.7, 0.8, 0.9)
        ]
        if r.get("street_bands"):
            context["street"] = {
                "labels": [
                    f"≤{b[0]:g}" if b[0] is not None else f">{r['street_bands'][-2][0]:g}"
                    for b in r["street_bands"]
                ],
                "series": [
                    {
                        "name": _("Handled on the street, as recorded (%)"),
                        "values": [
                            round(100 * b[1] / b[2], 1) if b[2] else None for b in r["street_bands"]
                        ],
                        "type": "bar",
                    },
                    {
                        "name": _("Fitted: falls as the minutes grow (%)"),
                        "values": [round(100 * v, 1) for v in r["street_fitted"]],
                    },
                ],
                "percent": True,
                "xname": _("Minutes from the call to the car on scene"),
            }
        queue = r.get("queue_check") or {}
        if queue.get("optimised", {}).get("workload"):
            q = queue["optimised"]
            context["workload"] = {
                "labels": q["units"],
                "series": [
                    {
                        "name": _("Hypercube (Larson's approximation)"),
                        "values": [round(100 * w, 1) for w in q["workload"]],
                        "type": "bar",
                    },
                    {
                        "name": _("Simulation"),
                        "values": [round(100 * w, 1) for w in q["sim_workload"]],
                    },
                ],
                "percent": True,
            }
        context["queue"] = [
            (name, queue[name]) for name in ("current", "optimised") if name in queue
        ]
        context["objective"] = _objective(r.get("objective", "cover"))
        context["sites"] = _sites(str(item.params.get("sites") or "any"))
        context["map"] = {
            "current": r.get("current_post_points", []),
            "optimised": r["optimised_posts"],
        }
    if request.htmx:  # type: ignore[attr-defined]  # the progress poll
        response = render(request, "planning/run.html#progress", context)
        if item.status in ("done", "failed"):
            response["HX-Refresh"] = "true"  # the whole page, with its results
        return response
    return render(request, "planning/run.html", context)


def _sites(code: str) -> str:
    return {
        "any": _("Posts anywhere on the roads"),
        "current": _("Posts among today's posts"),
    }.get(code, "")


def _objective(code: str) -> str:
    return {
        "cover": _("coverage within the minutes"),
        "street": _("street handling expected"),
        "both": _("coverage and street handling"),
    }.get(code, "")


def _column(run: PlanningRun) -> dict[str, Any]:
    """A run's column head: its settings in words."""
    p = run.params
    words = [
        _("%(cars)s cars, %(minutes)s min, %(days)s days")
        % {"cars": p.get("cars"), "minutes": p.get("minutes"), "days": p.get("days")},
        _("Posts optimised for: %(o)s") % {"o": _objective(str(p.get("objective") or "both"))},
        _sites(str(p.get("sites") or "any")),
    ]
    if p.get("night_cars") is not None:
        words.append(_("Cars on the night shift: %(n)s") % {"n": p["night_cars"]})
    if not p.get("replay"):
        words.append(_("Not replayed on the road"))
    return {
        "run": run,
        "short": _("%(cars)s cars, %(minutes)s min")
        % {"cars": p.get("cars"), "minutes": p.get("minutes")},
        "words": words,
    }


@replica_reads  # a moment behind is fine (ADR 0042)
def compare(request: HttpRequest) -> HttpResponse:
    """2-4 finished runs beside the current plan: one column each, the best of each row marked.
    What names no run the caller can compare is said on the page, never a server error."""
    scope = caller(request)
    context: dict[str, Any] = {"errors": []}
    status = 200
    try:
        ids = rules.parse_run_ids(request.GET.getlist("runs"))
        comparison = services.compare_runs(scope, ids)
    except ValidationFailed as exc:
        context["errors"] = [explain(e) for e in exc.errors]
        status = 400
    except NotFound:
        context["errors"] = [_("A chosen run was not found among your bureau's runs.")]
        status = 404
    except Conflict as exc:
        context["errors"] = [say(exc.message, exc.detail)]
        status = 409
    else:
        columns = [_column(r) for r in comparison.runs]
        current = comparison.current_from
        labels = [_("Current plan")] + [c["short"] for c in columns]
        by_key = {row.figure.key: row for row in comparison.rows}
        series = [
            {"name": _("On scene within 5 minutes, replay (%)"), "key": "within_5"},
            {"name": _("Reached within the minutes from a post (%)"), "key": "covered"},
        ]
        context.update(
            columns=columns,
            current=current,
            rows=[
                {
                    "key": row.figure.key,
                    "label": _(row.figure.label),
                    "unit": row.figure.unit,
                    "cells": [(v, i in row.best) for i, v in enumerate(row.values)],
                }
                for row in comparison.rows
            ],
            chart={
                "labels": labels,
                "series": [
                    {"name": s["name"], "values": list(by_key[s["key"]].values), "type": "bar"}
                    for s in series
                    if s["key"] in by_key
                ],
                "percent": True,
            },
        )
    return render(request, "planning/compare.html", context, status=status)
