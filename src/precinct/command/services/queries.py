"""The read API: scoping helpers, the incident list, what planning and statistics read."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce

from precinct.core.errors import NotFound
from precinct.core.scoping import Scope

from .. import rules
from ..models import AddressPoint, Dispatch, Incident, PatrolUnit, PatrolZone
from ._common import COMMAND_ROLES


# --- scope --------------------------------------------------------------------------------
def scope_incidents(scope: Scope) -> QuerySet[Incident]:
    """The one scoping helper for incidents: the whole bureau for bureau-wide roles; a unit chief
    sees the incidents of their stations' zones and those their units were sent to; an officer
    those the car he rides in was sent to."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return Incident.objects.none()
    qs = Incident.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        sent = Dispatch.objects.filter(
            bureau_id=scope.bureau_id, patrol_unit__unit__path__startswith=scope.unit_subtree
        ).values("incident_id")
        return qs.filter(Q(station__path__startswith=scope.unit_subtree) | Q(pk__in=sent))
    if scope.self_only and scope.officer_id is not None:  # the incidents the officer's car had
        had = Dispatch.objects.filter(
            bureau_id=scope.bureau_id, patrol_unit__crew=scope.officer_id
        ).values("incident_id")
        return qs.filter(pk__in=had)
    return qs.none()


def scope_patrol_units(scope: Scope) -> QuerySet[PatrolUnit]:
    """The one scoping helper for patrol cars: the whole bureau for bureau-wide roles; a unit
    chief sees his units' cars and the cars whose patrol zone is one of his stations' (a station
    chief watches the cars of his area); an officer the car he rides in."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return PatrolUnit.objects.none()
    qs = PatrolUnit.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:  # the unit's own cars, and those patrolling its area
        return qs.filter(
            Q(unit__path__startswith=scope.unit_subtree)
            | Q(zone__station__path__startswith=scope.unit_subtree)
        )
    if scope.self_only and scope.officer_id is not None:
        return qs.filter(crew=scope.officer_id)  # the car the officer rides in
    return qs.none()


def get_incident(
    scope: Scope, incident_id: uuid.UUID, *, lock: bool = False, only: tuple[str, ...] = ()
) -> Incident:
    """The incident in the caller's scope (NotFound otherwise); ``only``: just these fields
    read (the others on first use), for a hot path that needs few of them."""
    qs = scope_incidents(scope).filter(pk=incident_id)
    if only:
        qs = qs.only(*only)
    if lock:
        qs = qs.select_for_update()
    incident = qs.first()
    if incident is None:
        raise NotFound("incident")
    return incident


def cars_on(incident: Incident) -> list[dict[str, object]]:
    """The cars working on an incident now: id, call sign, status."""
    return [
        {"id": pk, "call_sign": sign, "status": status}
        for pk, sign, status in PatrolUnit.objects.filter(incident=incident)
        .order_by("call_sign")
        .values_list("pk", "call_sign", "status")
    ]


def street_counts(scope: Scope, *, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(handled on the street, police incidents closed) of the incidents received in [start,
    end) in the caller's scope: the street-handling rate's two numbers (the definition of
    :func:`rules.street_handling`), counted by the database for a home page."""
    closed = (
        scope_incidents(scope)
        .filter(received_at__gte=start, received_at__lt=end, closed_at__isnull=False)
        .exclude(disposition="")
        .exclude(disposition__in=rules.NOT_POLICE_WORK)
    )
    counts = closed.aggregate(
        police=Count("id"), street=Count("id", filter=Q(disposition=rules.STREET))
    )
    return counts["street"], counts["police"]


def shows_full_phone(scope: Scope) -> bool:
    return scope.role in COMMAND_ROLES


def list_incidents(scope: Scope, *, limit: int = 50, open_only: bool = False) -> list[Incident]:
    qs = scope_incidents(scope).select_related("zone", "station")
    if open_only:
        qs = qs.exclude(status=rules.CLOSED)
    return list(qs.order_by("-received_at", "-number")[:limit])


# --- for planning ---------------------------------------------------------------------------
def incident_points(
    bureau_id: uuid.UUID, *, since: dt.datetime
) -> list[tuple[float, float, dt.datetime]]:
    """Where and when the bureau's incidents happened since a time (lon, lat, received): the
    demand of the post optimiser. Non-police matters need no car and are left out."""
    return list(
        Incident.objects.filter(bureau_id=bureau_id, received_at__gte=since)
        .exclude(category="non_police")
        .values_list("lon", "lat", "received_at")
    )


def car_posts(bureau_id: uuid.UUID) -> list[tuple[str, float, float]]:
    """Each car's standby post (its zone's): (call sign, lon, lat)."""
    return [
        (sign, lon, lat)
        for sign, lon, lat in PatrolUnit.objects.filter(bureau_id=bureau_id, zone__isnull=False)
        .order_by("call_sign")
        .values_list("call_sign", "zone__post_lon", "zone__post_lat")
    ]


def bureau_places(bureau_id: uuid.UUID, *, sample: int = 500) -> list[tuple[float, float]]:
    """Where the bureau works (lon, lat): its patrol posts and (a sample of) its address
    register — what a road network must cover to be the bureau's."""
    posts = list(PatrolZone.objects.filter(bureau_id=bureau_id).values_list("post_lon", "post_lat"))
    addresses = list(
        AddressPoint.objects.filter(bureau_id=bureau_id)
        .order_by("pk")
        .values_list("lon", "lat")[:sample]
    )
    return [(float(x), float(y)) for x, y in posts + addresses]


def street_by_response(
    bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
) -> list[tuple[float | None, int, int]]:
    """The bureau's street handling by minutes to scene over the incidents received in [start,
    end) (:func:`rules.street_by_response`): what a faster car is worth."""
    rows = [
        rules.IncidentFacts(received, None, scene, closed, category, priority, disposition, "")
        for received, scene, closed, category, priority, disposition in Incident.objects.filter(
            bureau_id=bureau_id, received_at__gte=start, received_at__lt=end
        ).values_list(
            "received_at", "on_scene_at", "closed_at", "category", "priority", "disposition"
        )
    ]
    return rules.street_by_response(rows)


def incident_counts(
    bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
) -> list[tuple[uuid.UUID | None, int, int, int]]:
    """Per station (None: no station), the incidents received in [start, end): police incidents
    (all but non-police matters), criminal incidents, traffic accidents — the monthly statistics'
    own figures."""
    return list(
        Incident.objects.filter(bureau_id=bureau_id, received_at__gte=start, received_at__lt=end)
        .values("station_id")
        .annotate(
            police=Count("id", filter=~Q(category="non_police")),
            criminal=Count("id", filter=Q(category="criminal")),
            traffic=Count("id", filter=Q(category="traffic")),
        )
        .values_list("station_id", "police", "criminal", "traffic")
    )


def first_received(bureau_id: uuid.UUID, *, since: dt.datetime | None = None) -> dt.datetime | None:
    """When the bureau's first recorded incident (since a time) came in."""
    qs = Incident.objects.filter(bureau_id=bureau_id)
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    return qs.aggregate(m=Min("received_at"))["m"]


def desk_seconds(bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime) -> float | None:
    """The median time from the call to the car rolling (received → acknowledged, or dispatched
    where no acknowledgement was recorded) over the incidents received in [start, end)."""
    spans = [
        (rolling - received).total_seconds()
        for received, rolling in Incident.objects.filter(
            bureau_id=bureau_id,
            received_at__gte=start,
            received_at__lt=end,
            dispatched_at__isnull=False,
        )
        .annotate(rolling=Coalesce("acknowledged_at", "dispatched_at"))
        .values_list("received_at", "rolling")
    ]
    return rules.percentile(spans, 50)


def incident_history(
    bureau_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, float, float, int, float | None]]:
    """The police incidents received in [start, end): (received, lon, lat, priority, seconds on
    scene or None), oldest first — a period to replay under another fleet plan."""
    out = []
    for received, lon, lat, priority, scene, closed in (
        Incident.objects.filter(bureau_id=bureau_id, received_at__gte=start, received_at__lt=end)
        .exclude(category="non_police")
        .order_by("received_at")
        .values_list("received_at", "lon", "lat", "priority", "on_scene_at", "closed_at")
    ):
        on_scene = (closed - scene).total_seconds() if scene and closed else None
        out.append((received, lon, lat, priority, on_scene))
    return out
