"""Special campaigns (专项行动): goals and numeric targets, a checklist of items owned by units,
and links to the cases, incidents and achievements the campaign produced."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from precinct.common.models import BureauOwned

LEVEL_LABELS = {
    "national": _("National"),
    "provincial": _("Provincial"),
    "city": _("City"),
}
ITEM_STATE_LABELS = {
    "open": _("Not started"),
    "in_progress": _("In progress"),
    "done": _("Completed"),
}
PHASE_LABELS = {
    "planned": _("Not begun"),
    "active": _("Under way"),
    "ended": _("Past its end"),
    "closed": pgettext_lazy("campaign", "Closed"),  # not the merit month's 已结账
}
METRIC_LABELS = {
    "cases": _("Cases linked"),
    "incidents": _("Incidents linked"),
    "achievements": _("Achievements linked"),
    "manual": _("Entered by hand"),
}
LINK_LABELS = {
    "case": _("Case"),
    "incident": _("Incident"),
    "achievement": _("Achievement"),
}


class Campaign(BureauOwned):
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("campaign name"), max_length=100)
    level = models.CharField(
        _("level"), max_length=16, choices=list(LEVEL_LABELS.items()), default="city"
    )
    starts = models.DateField(_("starts"))
    ends = models.DateField(_("ends"))
    goal = models.TextField(_("goals"), blank=True)
    lead_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("lead unit"),
    )  # fmt: skip
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("special campaign")
        verbose_name_plural = _("special campaigns")
        ordering = ["-starts", "code"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "code"], name="campaign_code_per_bureau")
        ]

    def __str__(self) -> str:
        return self.name


class Target(BureauOwned):
    """A numeric target: counted from the campaign's links, or entered by hand."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(_("target"), max_length=100)
    metric = models.CharField(_("counted from"), max_length=16, choices=list(METRIC_LABELS.items()))
    goal = models.PositiveIntegerField(_("goal"))
    manual_value = models.PositiveIntegerField(_("reached"), default=0)

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["campaign", "created_at"]


class ChecklistItem(BureauOwned):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveIntegerField(_("no."))
    task = models.CharField(_("task"), max_length=300)
    owner_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner unit")
    )
    due = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=list(ITEM_STATE_LABELS.items()), default="open"
    )
    evidence = models.TextField(_("evidence"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.CharField(max_length=150, blank=True)
    reopen_reason = models.CharField(_("reason for reopening"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="item_number_per_campaign")
        ]
        indexes = [
            models.Index(fields=["bureau", "owner_unit", "status"], name="item_owner_status"),
            models.Index(fields=["bureau", "status", "due"], name="item_status_due"),
        ]


class CampaignLink(BureauOwned):
    """A case, incident or achievement the campaign produced (by its id in its own app)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("kind"), max_length=16, choices=list(LINK_LABELS.items()))
    object_id = models.UUIDField()
    label = models.CharField(_("reference"), max_length=120)  # its number or title, for lists
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # the unit it belongs to, for scoping and comparing units
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("campaign link")
        verbose_name_plural = _("campaign links")
        ordering = ["campaign", "kind", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind", "object_id"], name="campaign_link_once"
            )
        ]
