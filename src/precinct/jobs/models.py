"""A job: a piece of long work (paying a month, building a pack, a planning run, the daily sweep)
that a worker process runs while the page shows its progress. django-tasks' own row (the queue)
says which task to run; this row says what the user sees: state, progress, result, file."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from precinct.common.models import Entity

from . import rules

STATE_LABELS = {
    rules.QUEUED: _("Waiting for a worker"),
    rules.RUNNING: _("Running"),
    rules.DONE: _("Done"),
    rules.FAILED: _("Failed"),
}

# What each kind of work is, in words (the kinds of settings.JOBS): the audit log and the admin
# name a job by it.
KIND_LABELS = {
    "merit.pay": _("Paying the month's bonuses"),
    "merit.close": _("Closing the month"),
    "merit.pack": _("Building the session pack"),
    "planning.posts": _("Planning run"),
    "supervision.sweep": _("Daily deadline sweep"),
    "org.refresh": _("Refreshing the units"),
    "identity.idle": _("Disabling idle accounts"),
    "org.roster_import": _("Importing the roster"),
    "stats.import": _("Importing statistics"),
    "geo.traffic": _("Learning the traffic profile"),
}


class Job(Entity):
    bureau = models.ForeignKey(
        "org.Bureau", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=40, choices=list(KIND_LABELS.items()))
    key = models.CharField(max_length=200)  # the work: at most one live job per key
    once = models.CharField(max_length=120, null=True, blank=True, unique=True)  # a daily slot
    state = models.CharField(max_length=8, choices=list(STATE_LABELS.items()), default="queued")
    progress = models.FloatField(default=0.0)  # 0..1
    step = models.CharField(max_length=200, blank=True)  # what it does now, in words
    message = models.CharField(max_length=500, blank=True)  # the outcome or the failure, in words
    params = models.JSONField(default=dict)
    actor = models.JSONField(default=dict)  # who started it: the audit log names him
    language = models.CharField(max_length=10, blank=True)
    result = models.JSONField(null=True, blank=True)
    # the file the work reads (an import's workbook), kept only until the work is over
    upload = models.BinaryField(null=True, blank=True)
    file = models.BinaryField(null=True, blank=True)  # the finished file, in the database:
    file_name = models.CharField(max_length=200, blank=True)  # workers share only the database
    content_type = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(state__in=rules.LIVE), name="job_live_once_per_key"
            )
        ]
        indexes = [models.Index(fields=["key", "created_at"], name="job_key_created")]

    @property
    def live(self) -> bool:
        return self.state in rules.LIVE

    def __str__(self) -> str:
        return f"{self.kind} {self.state}"
