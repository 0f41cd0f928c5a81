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
