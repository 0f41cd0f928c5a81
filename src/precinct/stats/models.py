"""Monthly public-safety figures: computed from precinct's own incidents and cases (a read model,
refreshed), or imported from the bureau's Excel returns for earlier years."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from precinct.common.models import BureauOwned

SOURCE_LABELS = {"computed": _("Computed"), "imported": _("Imported")}


class MonthlyFigure(BureauOwned):
    month = models.DateField()  # the month's first day
    metric = models.CharField(max_length=32)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: the whole bureau
    value = models.BigIntegerField()  # scaled: see rules.Metric.scale
    source = models.CharField(max_length=8, choices=list(SOURCE_LABELS.items()))

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [  # one figure a month, metric, unit and source: never added up twice
            models.UniqueConstraint(
                fields=["bureau", "source", "metric", "month", "unit"],
                nulls_distinct=False,
                name="stats_figure_once",
            )
        ]
        indexes = [
            models.Index(fields=["bureau", "source", "month"], name="stats_figure_month"),
            models.Index(fields=["bureau", "unit", "month"], name="stats_figure_unit"),
        ]


class CoveredMonth(BureauOwned):
    """A month precinct's own incidents (or cases) cover from its first day: their computed
    figures count (missing ones are 0); and when they were last worked out."""

    month = models.DateField()
    family = models.CharField(max_length=16)  # the records: incidents or cases
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("covered month")
        verbose_name_plural = _("covered months")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "month", "family"], name="stats_covered_month"
            )
        ]
