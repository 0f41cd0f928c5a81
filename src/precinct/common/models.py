"""Abstract model bases shared by every app: UUIDv7 keys, timestamps, the bureau (tenant) key."""

from django.db import models

from precinct.core.ids import uuid7


class Entity(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class BureauOwned(Entity):
    """Every business row carries its bureau: the tenant and the future distribution key."""

    bureau = models.ForeignKey("org.Bureau", on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
