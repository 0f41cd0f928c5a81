"""The bureau's road network, stored whole (a compressed NumPy archive): it is read as one piece
into each process's memory and never queried edge by edge (ADR 0015)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from precinct.common.models import BureauOwned


class RoadNetwork(BureauOwned):
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=32)  # "synthetic" or "osm"
    nodes = models.PositiveIntegerField(_("nodes"))
    edges = models.PositiveIntegerField(_("edges"))
    digest = models.CharField(max_length=64)  # sha256 of the arrays
    data = models.BinaryField()
    active = models.BooleanField(default=True)
    # the car profile it was loaded with, and what the load left out by reason (nothing silently)
    profile = models.JSONField(_("car profile"), default=dict, blank=True)
    report = models.JSONField(_("what the load left out"), default=dict, blank=True)

    class Meta:
        verbose_name = _("road network")
        verbose_name_plural = _("road networks")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau"],
                condition=models.Q(active=True),
                name="geo_one_active_network_per_bureau",
            )
        ]


class TrackPoint(BureauOwned):
    """A vehicle's position ping, kept for a while to learn how fast the roads are by hour
    (telemetry: not audited point by point, ADR 0015). ``vehicle`` is the patrol unit's id."""

    vehicle = models.UUIDField(_("vehicle"))
    at = models.DateTimeField(_("time"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))

    class Meta:
        verbose_name = _("position ping")
        verbose_name_plural = _("position pings")
        indexes = [models.Index(fields=["bureau", "vehicle", "at"])]


class TrafficProfile(BureauOwned):
    """Travel-time factors by hour of day and road class learned from the fleet's pings for one
    road network (its digest): ``factors[hour][road_class]`` multiplies the free-flow time;
    ``samples`` says how many matched trips each figure rests on."""

    network_digest = models.CharField(_("road network"), max_length=64)
    learned_at = models.DateTimeField(_("learned at"))
    factors = models.JSONField(_("travel-time factors"))
    samples = models.JSONField(_("matched trips"))
    active = models.BooleanField(_("the one in use"), default=True)

    class Meta:
        verbose_name = _("traffic profile")
        verbose_name_plural = _("traffic profiles")
