"""Stored findings (kept current), supervision tickets with their steps, warning proposals, and
case reviews (解剖) with the good-practice library."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from precinct.common.models import BureauOwned

STATE_LABELS = {
    "pending": _("Pending"),
    "due_soon": _("Due soon"),
    "met": _("Met"),
    "late": _("Late"),
    "overdue": _("Overdue"),
    "waived": _("Waived"),
    "violated": _("Violated"),
    "withdrawn": _("Withdrawn"),
}
TICKET_STATE_LABELS = {
    "open": _("Open"),
    "rectifying": _("Rectifying"),
    "rectified": _("Rectified"),
    "verified": _("Verified"),
    "accountability": _("Accountability"),
}


class Finding(BureauOwned):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=8, db_index=True)
    subject = models.CharField(max_length=64)
    title = models.CharField(max_length=60, blank=True)
    trigger_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, db_index=True)
    state = models.CharField(max_length=12, choices=list(STATE_LABELS.items()), db_index=True)
    met_at = models.DateTimeField(null=True)
    severity = models.CharField(max_length=8)
    basis = models.CharField(max_length=120)
    kind = models.CharField(max_length=12)
    reason = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "rule", "subject"], name="finding_per_rule_subject"
            )
        ]
        indexes = [models.Index(fields=["bureau", "state", "due_at"])]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject} {self.state}"


class Ticket(BureauOwned):
    """A problem point to be rectified: open → rectifying → rectified → verified, or accountability."""

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="ticket")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    lead_officer = models.ForeignKey(
        "org.Officer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=list(TICKET_STATE_LABELS.items()), default="open", db_index=True
    )

    def __str__(self) -> str:
        return f"ticket {self.finding_id} {self.state}"


class TicketStep(BureauOwned):
    """One transition of a ticket, with who and why. Append-only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="steps")
    from_state = models.CharField(max_length=16, choices=list(TICKET_STATE_LABELS.items()))
    to_state = models.CharField(max_length=16, choices=list(TICKET_STATE_LABELS.items()))
    by = models.CharField(max_length=150)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class WarningProposal(BureauOwned):
    """Accountability proposes a warning for the merit module's queue (political department)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="warning")
    officer = models.ForeignKey(
        "org.Officer", on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.TextField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"warning for {self.officer_id}"


class CaseReview(BureauOwned):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    reviewer = models.CharField(max_length=150)
    summary = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"review of {self.case_id}"


class ReviewItem(BureauOwned):
    """A finding of a review: good practice (shared bureau-wide) or a problem."""

    review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="items")
    tag = models.CharField(
        max_length=8, choices=[("good", _("Good practice")), ("problem", _("Problem"))]
    )
    rule = models.CharField(max_length=8, blank=True)
    text = models.TextField()

    def __str__(self) -> str:
        return f"{self.tag}: {self.text[:30]}"


class SweepRun(BureauOwned):
    """One completed sweep: the next periodic sweep re-evaluates only what time can have changed
    since this one's ``as_of``."""

    as_of = models.DateTimeField(db_index=True)
    full = models.BooleanField(default=False)
    cases = models.PositiveIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    tickets = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"sweep as of {self.as_of}"


class FindingDigest(models.Model):
    """A fingerprint of each case's findings as last written (ADR 0011). A sweep that computes the
    same fingerprint knows the stored findings are current and neither reads nor compares them;
    any difference, or no fingerprint, takes the full comparison. Derived data, not audited."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    bureau = models.ForeignKey("org.Bureau", on_delete=models.PROTECT, related_name="+")
    digest = models.BigIntegerField()

    def __str__(self) -> str:
        return f"digest {self.case_id}"


class HolidaySchedule(models.Model):
    """The State Council's holiday schedule for one year, as the legal department entered it:
    ISO day → [kind, name] (rules/holidays.py). It wins over the `chinese-calendar` package for
    its year. National, so not owned by a bureau; every change is audited with before and after."""

    year = models.PositiveSmallIntegerField(unique=True)
    days = models.JSONField(default=dict)
    source = models.CharField(max_length=200, blank=True)  # the notice it was taken from
    entered_by = models.CharField(max_length=150)
    entered_at = models.DateTimeField()

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"holidays {self.year}"
