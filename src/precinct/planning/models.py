"""Planning runs: a scenario asked for on the page, worked out in the background."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from precinct.common.models import BureauOwned

RUN_KINDS = {"posts": _("Standby posts")}
RUN_STATES = {
    "queued": _("Queued"),
    "running": _("Running"),
    "done": _("Finished"),
    "failed": _("Failed"),
}


class PlanningRun(BureauOwned):
    kind = models.CharField(max_length=16, default="posts", choices=list(RUN_KINDS.items()))
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=list(RUN_STATES.items()), default="queued")
    progress = models.FloatField(default=0.0)  # 0..1
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(null=True, blank=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("planning run")
        verbose_name_plural = _("planning runs")
        indexes = [models.Index(fields=["bureau", "created_at"], name="planning_run_created")]
