"""Incidents (警情), patrol units, dispatches and the unit status history."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from precinct.common.fields import EncryptedCharField
from precinct.common.models import BureauOwned

from . import rules

SOURCE_LABELS = {
    "call_110": _("110 call"),
    "walk_in": _("Walk-in"),
    "patrol": _("Found on patrol"),
    "transfer_12345": _("Transferred from 12345"),
}
CATEGORY_LABELS = {
    "criminal": _("Criminal"),
    "public_order": _("Public order"),
    "traffic": _("Traffic"),
    "dispute": _("Dispute"),
    "help": _("Help"),
    "non_police": _("Non-police"),
}
PRIORITY_LABELS = {
    1: _("Priority 1 (urgent)"),
    2: _("Priority 2"),
    3: _("Priority 3"),
}
INCIDENT_STATE_LABELS = {  # in their own context: "Closed" is also a month's and a campaign's
    "received": pgettext_lazy("incident", "Received"),
    "dispatched": pgettext_lazy("incident", "Dispatched"),
    "acknowledged": pgettext_lazy("incident", "Car on its way"),
    "on_scene": pgettext_lazy("incident", "On scene"),
    "closed": pgettext_lazy("incident", "Closed"),
}
DISPOSITION_LABELS = {
    "street": _("Handled on the street by patrol"),
    "station": _("Handed to a station"),
    "criminal_investigation": _("Handed to criminal investigation"),
    "non_police": _("Transferred as non-police"),
    "false_alarm": _("False alarm"),
    "cancelled": _("Cancelled"),
}
EVENT_LABELS = {
    "received": _("Call taken"),
    "dispatched": _("Car sent"),
    "en_route": _("Car on its way"),
    "on_scene": _("Arrived on scene"),
    "cleared": _("Handling finished"),
    "recalled": _("Car recalled"),
    "closed": _("Incident closed"),
    "cancelled": _("Incident cancelled"),
}
UNIT_STATE_LABELS = {
    "available": _("Available"),
    "dispatched": _("Dispatched"),
    "en_route": _("En route"),
    "on_scene": _("On scene"),
    "returning": _("Returning"),
    "off_duty": _("Off duty"),
}


class PatrolZone(BureauOwned):
    """A patrol grid cell (網格) with its standby post, answered for by a station."""

    name = models.CharField(_("name"), max_length=100)
    station = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    post_lon = models.FloatField()
    post_lat = models.FloatField()
    polygon = models.JSONField(default=list)  # [[lon, lat], ...], closed ring

    class Meta:
        verbose_name = _("patrol zone")
        verbose_name_plural = _("patrol zones")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="command_zone_name_unique")
        ]


class PatrolUnit(BureauOwned):
    """A patrol car and its crew; its status and last known position."""

    call_sign = models.CharField(_("call sign"), max_length=32)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    zone = models.ForeignKey(
        PatrolZone, on_delete=models.SET_NULL, null=True, blank=True, related_name="units"
    )
    crew = models.ManyToManyField("org.Officer", blank=True, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=list(UNIT_STATE_LABELS.items()), default="off_duty"
    )
    status_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        "Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("patrol unit")
        verbose_name_plural = _("patrol units")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "call_sign"], name="command_call_sign_unique")
        ]


class Incident(BureauOwned):
    number = models.CharField(_("number"), max_length=32)
    source = models.CharField(_("source"), max_length=16, choices=list(SOURCE_LABELS.items()))
    category = models.CharField(_("category"), max_length=16, choices=list(CATEGORY_LABELS.items()))
    priority = models.PositiveSmallIntegerField(_("priority"))
    lon = models.FloatField()
    lat = models.FloatField()
    address = models.CharField(_("address"), max_length=rules.MAX_ADDRESS)
    summary = models.TextField(_("summary"))
    # sealed at rest (ADR 0022); shown in full only to the command centre (services.shows_full_phone)
    caller_phone = EncryptedCharField(_("caller phone"), max_length=24, blank=True)
    caller_name = EncryptedCharField(_("caller"), max_length=60, blank=True)
    zone = models.ForeignKey(
        PatrolZone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    station = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=list(INCIDENT_STATE_LABELS.items()), default="received"
    )
    received_at = models.DateTimeField(_("received"))
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("on scene"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    disposition = models.CharField(
        _("disposition"), max_length=24, blank=True, choices=list(DISPOSITION_LABELS.items())
    )
    received_by = models.CharField(max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=rules.MAX_NOTE, blank=True)  # closing / cancel

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["bureau", "received_at"], name="command_incident_received"),
            models.Index(fields=["bureau", "status"], name="command_incident_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "number"], name="command_incident_number")
        ]


class IncidentCounter(BureauOwned):
    """The last incident number given on a day: locked while a number is taken, so concurrent
    intakes never pick the same one."""

    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "day"], name="command_counter_day_unique")
        ]


class IntakeKey(BureauOwned):
    """An Idempotency-Key seen at intake, bound to the body it came with: a keyed digest (HMAC
    under a field key), since the body holds the caller's number and the rest of it is in clear
    in the incident row."""

    key = models.CharField(max_length=200)
    body_digest = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "key"], name="command_intake_key_unique")
        ]


class Dispatch(BureauOwned):
    """A unit sent to an incident: by whom, at which rank of the recommendation, and why."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="dispatches")
    patrol_unit = models.ForeignKey(PatrolUnit, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    dispatcher = models.CharField(max_length=150)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)  # None: not recommended
    eta_seconds = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["incident", "at"], name="command_dispatch_incident")]


class UnitStatusChange(BureauOwned):
    """Append-only history of unit statuses (coverage per hour is read from it)."""

    patrol_unit = models.ForeignKey(PatrolUnit, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=list(UNIT_STATE_LABELS.items()))
    at = models.DateTimeField()
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["patrol_unit", "at"], name="command_status_unit_at")]


class IncidentEvent(BureauOwned):
    """One step of an incident's life (its timeline), as it happened: who, which car, when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=list(EVENT_LABELS.items()))
    at = models.DateTimeField()
    patrol_unit = models.ForeignKey(
        PatrolUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by = models.CharField(max_length=150, blank=True)
    disposition = models.CharField(
        max_length=24, blank=True, choices=list(DISPOSITION_LABELS.items())
    )
    note = models.CharField(max_length=rules.MAX_NOTE, blank=True)

    class Meta:
        indexes = [models.Index(fields=["incident", "at"], name="command_event_incident_at")]


class StepKey(BureauOwned):
    """An Idempotency-Key seen on a status step (board, crew terminal, API), bound to the step
    it asked for (a keyed digest) and the answer recorded for it: a retried step is answered
    with the recorded one, never done twice."""

    key = models.CharField(max_length=200)
    body_digest = models.CharField(max_length=64)
    answer = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "key"], name="command_step_key_unique")
        ]


class CrewShift(BureauOwned):
    """The 24-hour roster: who rides in which car on which 12-hour shift."""

    patrol_unit = models.ForeignKey(PatrolUnit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    shift = models.CharField(max_length=8)  # "day" 08-20, "night" 20-08
    officer = models.ForeignKey("org.Officer", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("crew shift")
        verbose_name_plural = _("crew shifts")
        constraints = [
            models.UniqueConstraint(
                fields=["patrol_unit", "day", "shift", "officer"], name="command_crew_unique"
            ),
            models.UniqueConstraint(
                fields=["officer", "day", "shift"], name="command_officer_one_car_a_shift"
            ),
        ]


class AddressPoint(BureauOwned):
    """One entry of the bureau's standard address register (标准地址): a street and a house
    number, and the point they name. Imported whole (all or nothing); intake resolves typed
    addresses against it."""

    street = models.CharField(_("street"), max_length=60)
    number = models.CharField(_("house number"), max_length=16)
    lon = models.FloatField()
    lat = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "street", "number"], name="command_address_unique"
            )
        ]
        indexes = [models.Index(fields=["bureau", "street"], name="command_address_street")]
