"""The live dispatch board: the page, its snapshot, the road map layer and the event stream."""

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from zoneinfo import ZoneInfo

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition

from precinct.common import live
from precinct.common.routing import replica_reads
from precinct.core import clock
from precinct.core.scoping import Scope
from precinct.geo import services as geo
from precinct.identity.services import caller, session_check

from . import figures as figure_book
from . import services
from .models import (
    CATEGORY_LABELS,
    DISPOSITION_LABELS,
    EVENT_LABELS,
    INCIDENT_STATE_LABELS,
    PRIORITY_LABELS,
    UNIT_STATE_LABELS,
)

KEEPALIVE_S = 15.0
COALESCE_S = 0.15  # a burst of writes (pings) becomes one snapshot


def _labels() -> dict[str, Any]:
    return {
        "unit": {k: str(v) for k, v in UNIT_STATE_LABELS.items()},
        "incident": {k: str(v) for k, v in INCIDENT_STATE_LABELS.items()},
        "category": {k: str(v) for k, v in CATEGORY_LABELS.items()},
        "disposition": {k: str(v) for k, v in DISPOSITION_LABELS.items()},
        "event": {k: str(v) for k, v in EVENT_LABELS.items()},
        "priority": {str(k): str(v) for k, v in PRIORITY_LABELS.items()},
        "field": {
            "caller_phone": _("Caller's number"),
            "caller_name": _("Caller"),
            "address": _("Address"),
            "lon": _("Place"),
            "lat": _("Place"),
            "category": _("Category"),
            "priority": _("Priority"),
            "summary": _("What happened"),
            "reason": _("Reason"),
            "note": _("Note"),
            "disposition": _("Disposition"),
            "unit_id": _("Car"),
            "Idempotency-Key": _("Request"),
        },
    }


def board(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    return render(
        request,
        "command/board.html",
        {
            "snapshot": services.board(scope, now=clock.now()),
            "labels": _labels(),
            "text": {
                "eta": _("ETA"),
                "min": _("min"),
                "km": _("km"),
                "off_network_incident": _(
                    "Not on the road network: no road ETA (check the place or send by hand)"
                ),
                "off_network_unit": _("off the road network"),
                "dispatch": _("Dispatch"),
                "sent": _("Sent"),
                "live": _("live"),
                "offline": _("reconnecting…"),
                "none": _("No unit available"),
                "registering": _("Registering…"),
                "registered": _("Registered"),
                "network": _(
                    "The network did not answer; press again to retry (it will not be "
                    "registered twice)"
                ),
                "need_place": _("pick an address from the register or click the map"),
                "required": _("is required"),
                "point": _("Place: %(lon)s, %(lat)s (drag the marker to correct it)"),
                "no_match": _("No address in the register matches"),
                "en_route": _("On its way"),
                "on_scene": _("Arrived on scene"),
                "recall": _("Recall"),
                "by": _("by"),
                "caller": _("Caller"),
                "done": _("Step recorded"),
                "no_units": _("No car on it"),
                "zoom_in": _("Zoom in"),
                "zoom_out": _("Zoom out"),
            },
            "tz": settings.TIME_ZONE,
            "categories": list(CATEGORY_LABELS.items()),
            "priorities": list(PRIORITY_LABELS.items()),
            "dispositions": list(DISPOSITION_LABELS.items())[:5],
            "can_dispatch": scope.role in services.COMMAND_ROLES,
        },
    )


def board_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(services.board(caller(request), now=clock.now()))


def _network_etag(request: HttpRequest) -> str | None:
    scope = caller(request)
    info = geo.active_info(scope.bureau_id) if scope.bureau_id else None
    return info.digest if info else None


@gzip_page
@condition(etag_func=_network_etag)
def network(request: HttpRequest) -> HttpResponse:
    """The road network as GeoJSON for Leaflet (about 2 MB, compressed on the way)."""
    scope = caller(request)
    if scope.bureau_id is None:
        return JsonResponse(
            {"bounds": None, "roads": {"type": "FeatureCollection", "features": []}}
        )
    response = JsonResponse(geo.map_layer(bureau_id=scope.bureau_id))
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _snapshot(scope: Scope) -> str:
    return json.dumps(services.board(scope, now=clock.now()), ensure_ascii=False)


SESSION_CHECK_S = 5.0  # how often an open stream asks whether its session still holds


async def _events(
    scope: Scope,
    snapshot: Callable[[Scope], str] = _snapshot,
    event: str = "board",
    *,
    still_signed_in: Callable[[], bool] | None,
) -> AsyncIterator[str]:
    """Server-sent events on the command topic: ``snapshot`` of the caller's view whenever it
    changed (the board's, or a crew terminal's), a keep-alive comment in between. With
    ``still_signed_in`` (identity's session check), the stream asks it before each event and every
    few seconds while quiet, and ends once the session does: signed out, expired, its password
    changed, the account disabled or given another role (issue 18, V6). The stream does not keep
    its session alive: the idle timeout runs as for any page."""
    live.ensure_watcher()
    token = live.HUB.subscribe(services.TOPIC)
    wake = token[1]
    last = None
    beat = min(KEEPALIVE_S, SESSION_CHECK_S) if still_signed_in is not None else KEEPALIVE_S

    async def signed_out() -> bool:
        if still_signed_in is None:
            return False
        answer = await sync_to_async(live.while_database_answers(still_signed_in))()
        return answer is False  # None: the database did not answer; asked again soon

    try:
        yield "retry: 2000\n\n"
        quiet, fresh = 0.0, True
        while True:
            if await signed_out():
                return
            wait = beat
            if fresh:
                # the database lost for a moment (a cluster electing a new primary, ADR 0041):
                # the stream stays open and looks again shortly, instead of ending
                data = await sync_to_async(live.while_database_answers(lambda: snapshot(scope)))()
                if data is None:
                    wait = live.DATABASE_RETRY_S
                elif data != last:
                    yield f"event: {event}\ndata: {data}\n\n"
                    last = data
            try:
                await asyncio.wait_for(wake.wait(), timeout=wait)
                await asyncio.sleep(COALESCE_S)
                quiet, fresh = 0.0, True
            except TimeoutError:
                if wait < beat:  # the database did not answer: look again
                    continue
                quiet += beat
                fresh = quiet >= KEEPALIVE_S  # as before: a fresh look after each quiet spell
                if fresh:
                    quiet = 0.0
                    yield ": keepalive\n\n"
            wake.clear()
    finally:
        live.HUB.unsubscribe(services.TOPIC, token)


def stream(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events: a fresh board whenever an incident or a unit changes, for as long as
    the session that opened the stream holds."""
    response = StreamingHttpResponse(
        _events(caller(request), still_signed_in=session_check(request)),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# The earliest day a period may start: no record is older, and date arithmetic on the period
# (the day after its end, ten years before it) stays far from the calendar's ends (issue 18 V10).
EARLIEST_DAY = dt.date(1900, 1, 1)


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD; default the last 30 days. At most ten years. A day after
    today is today, one before ``EARLIEST_DAY`` is that day: the page shows the period used."""
    today = clock.today(settings.TIME_ZONE)

    def day(name: str) -> dt.date | None:
        try:
            chosen = dt.date.fromisoformat(request.GET.get(name, "")[:10])
        except ValueError:
            return None
        return min(max(chosen, EARLIEST_DAY), today)

    last = day("to") or today
    first = day("from") or max(last - dt.timedelta(days=29), EARLIEST_DAY)
    if first > last:
        first, last = last, first
    first = max(first, last - dt.timedelta(days=3660))
    return first, last


@replica_reads  # a moment behind is fine (ADR 0042)
def figures(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    first, last = _period(request)
    f = services.figures(scope, first=first, last=last, tz=ZoneInfo(settings.TIME_ZONE))

    def pct(x: float | None) -> float | None:
        return None if x is None else round(x * 100, 1)

    def minutes(x: Any) -> float | None:
        return None if x is None else round(float(x) / 60, 2)

    hours = list(range(24))
    charts = {
        "street": {
            "labels": [m for m, *_rest in f.street_by_month],
            "series": [
                {
                    "name": _("Street-handling rate (%)"),
                    "values": [pct(r) for *_a, r in f.street_by_month],
                }
            ],
            "goal": 70,
            "percent": True,
        },
        "response": {
            "labels": [f"{h:02d}" for h in hours],
            "series": [
                {
                    "name": _("Received→dispatched p50 (min)"),
                    "values": [minutes(f.by_hour.get(h, {}).get("dispatch_p50")) for h in hours],
                },
                {
                    "name": _("Dispatched→on scene p50 (min)"),
                    "values": [minutes(f.by_hour.get(h, {}).get("scene_p50")) for h in hours],
                },
                {
                    "name": _("Dispatched→on scene p90 (min)"),
                    "values": [minutes(f.by_hour.get(h, {}).get("scene_p90")) for h in hours],
                },
            ],
        },
        "zero": {
            "labels": list(f.zero_days),
            "series": [
                {"name": _("Zero-call days"), "values": list(f.zero_days.values()), "type": "bar"}
            ],
        },
        "coverage": {
            "labels": [f"{c['hour']:02d}" for c in f.coverage],
            "series": [
                {
                    "name": _("Cars on the road (mean)"),
                    "values": [round(c["mean"], 2) for c in f.coverage],
                    "type": "bar",
                },
                {
                    "name": _("Cars on the road (lowest)"),
                    "values": [round(c["min"], 2) for c in f.coverage],
                },
                {"name": _("Plan"), "values": [c["plan"] for c in f.coverage]},
            ],
        },
    }
    return render(
        request,
        "command/figures.html",
        {
            "f": f,
            "charts": charts,
            "street_pct": pct(f.street[2]),
            "within5_pct": pct(f.within_5[2]),
            "within10_pct": pct(f.within_10[2]),
            "by_priority": [
                (k, {n: minutes(v) if n != "n" and n != "n_scene" else v for n, v in g.items()})
                for k, g in f.by_priority.items()
            ],
            "by_station": [
                (k, {n: minutes(v) if n != "n" and n != "n_scene" else v for n, v in g.items()})
                for k, g in f.by_station.items()
            ],
            "query": request.GET.urlencode(),
        },
    )


@replica_reads  # a moment behind is fine (ADR 0042)
def figures_export(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    first, last = _period(request)
    f = services.figures(scope, first=first, last=last, tz=ZoneInfo(settings.TIME_ZONE))
    response = HttpResponse(
        figure_book.to_xlsx(f),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="command-figures-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"'
    )
    return response
