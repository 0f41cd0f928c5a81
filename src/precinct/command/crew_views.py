"""The car crew's terminal (/crew/): a page for a phone in a patrol car, its state as JSON and as
server-sent events, and what makes it an installable web app (manifest, service worker)."""

import hashlib
import json
import os
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from precinct.core import clock
from precinct.core.scoping import Scope
from precinct.identity.services import caller, session_check

from . import rules, services
from .models import (
    CATEGORY_LABELS,
    DISPOSITION_LABELS,
    EVENT_LABELS,
    INCIDENT_STATE_LABELS,
    PRIORITY_LABELS,
    UNIT_STATE_LABELS,
)
from .rules import crew as crew_rules
from .views import _events

PING_SECONDS = 10  # at most one position ping this often
RETRY_SECONDS = 5  # a queued step is tried again this often
# what the service worker keeps for loading the terminal without a network
ASSETS = (
    "precinct/precinct.css",
    "precinct/crew.js",
    "precinct/crew-192.png",
    "precinct/crew-512.png",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
)


def _state(scope: Scope) -> dict[str, Any] | None:
    return services.crew_terminal(scope, now=clock.now(), tz=ZoneInfo(settings.TIME_ZONE))


def _labels() -> dict[str, Any]:
    def plain(labels: dict[str, Any]) -> dict[str, str]:
        return {k: str(v) for k, v in labels.items()}

    return {
        "unit": plain(UNIT_STATE_LABELS),
        "incident": plain(INCIDENT_STATE_LABELS),
        "category": plain(CATEGORY_LABELS),
        "disposition": plain(DISPOSITION_LABELS),
        "event": plain(EVENT_LABELS),
        "priority": {str(k): str(v) for k, v in PRIORITY_LABELS.items()},
        "shift": {"day": _("Day shift"), "night": _("Night shift")},
        "step": {
            crew_rules.SET_OFF: _("Set off"),
            crew_rules.ARRIVE: _("Arrived on scene"),
            crew_rules.CLEAR: _("Handling finished"),
            crew_rules.FREE: _("Available"),
            crew_rules.OFFLINE: _("Go offline"),
        },
    }


def _text() -> dict[str, str]:
    return {
        "live": _("live"),
        "offline": _("reconnecting…"),
        "connecting": _("connecting…"),
        "pending": _("not sent yet"),
        "queue": _("Waiting to send: {n}"),
        "refused": _("Not accepted ({step}): {detail}"),
        "signed_out": _("Signed out: sign in again to send the waiting steps."),
        "sign_in": _("Sign in"),
        "no_assignment": _("No assignment: on patrol."),
        "conflict": _("{unit} is now: {status}"),
        "zoom_in": _("Zoom in"),
        "zoom_out": _("Zoom out"),
        "also": _("Also on it: {cars}"),
        "geo_wait": _("Waiting for the phone's position…"),
        "geo_sent": _("Position sent at {time}"),
        "geo_off": _("Position not sent: location is unavailable or not allowed on this phone."),
        "geo_paused": _("Off duty: position not sent."),
        "sign_out_pending": _(
            "Steps are still waiting to be sent; they are sent when this car's crew signs in "
            "again on this phone. Sign out?"
        ),
        "choose": _("Choose how it was handled."),
    }


def _config(state: dict[str, Any]) -> dict[str, Any]:
    unit_id = state["unit"]["id"]
    return {
        "unit_id": unit_id,
        "status_url": reverse("api:patrol_unit_status", args=[unit_id]),
        "position_url": reverse("api:patrol_unit_position", args=[unit_id]),
        "state_url": reverse("crew:state"),
        "stream_url": reverse("crew:stream"),
        "sw_url": reverse("crew:sw"),
        "scope": reverse("crew:terminal"),
        "login_url": f"{reverse('web:login')}?next={reverse('crew:terminal')}",
        "tz": settings.TIME_ZONE,
        "at": clock.now().isoformat(),
        "buttons": crew_rules.button_table(),
        "step_status": dict(crew_rules.STEP_STATUS),
        "dispositions": list(rules.DISPOSITIONS),
        "ping_seconds": PING_SECONDS,
        "retry_seconds": RETRY_SECONDS,
    }


def terminal(request: HttpRequest) -> HttpResponse:
    """The terminal; an account that rides no car is told so (a page, not an error)."""
    state = _state(caller(request))
    if state is None:
        return render(request, "command/crew_none.html")
    return render(
        request,
        "command/crew.html",
        {
            "state": state,
            "labels": _labels(),
            "text": _text(),
            "config": _config(state),
            "dispositions": [(d, DISPOSITION_LABELS[d]) for d in rules.DISPOSITIONS],
        },
    )


def state(request: HttpRequest) -> JsonResponse:
    """The terminal's state now (``state`` is null for an account that rides no car)."""
    response = JsonResponse(
        {"state": _state(caller(request)), "at": clock.now().isoformat()},
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "private, no-cache"
    return response


def _snapshot(scope: Scope) -> str:
    return json.dumps(_state(scope), ensure_ascii=False)


def stream(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events: the crew's state whenever an incident or a car changes (a new
    assignment reaches the phone without a reload)."""
    response = StreamingHttpResponse(
        _events(caller(request), _snapshot, "crew", still_signed_in=session_check(request)),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: the terminal installs as an app of its own, scoped to /crew/."""
    home = reverse("crew:terminal")
    body = {
        "name": _("Car terminal"),
        "short_name": _("Car terminal"),
        "lang": get_language(),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f9",
        "theme_color": "#0b3d91",
        "icons": [
            {
                "src": static(f"precinct/crew-{n}.png"),
                "sizes": f"{n}x{n}",
                "type": "image/png",
                "purpose": "any",
            }
            for n in (192, 512)
        ],
    }
    response = JsonResponse(
        body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-cache"
    return response


def _assets_version() -> str:
    """Changes when an asset the service worker keeps does (its size or time): a new worker
    then replaces the cached copies."""
    digest = hashlib.sha256(settings.STATIC_URL.encode())
    for name in ASSETS:
        found = finders.find(name)
        path = found[0] if isinstance(found, list) else found
        if path:
            st = os.stat(path)
            digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served under /crew/ so that its scope is the terminal: it keeps the
    page and its assets for loading without a network (never a step, a ping or the stream)."""
    pages = [reverse("crew:terminal"), reverse("crew:state")]
    response = render(
        request,
        "command/crew_sw.js",
        {
            "version": _assets_version(),
            "pages": json.dumps(pages),
            "assets": json.dumps([static(a) for a in ASSETS]),
            "stream": json.dumps(reverse("crew:stream")),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("crew:terminal")
    return response
