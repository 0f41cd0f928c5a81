"""Criminal and administrative cases, the people supervision needs, and the append-only timeline."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from precinct.common.fields import EncryptedCharField
from precinct.common.models import BureauOwned

KIND_LABELS = {"criminal": _("Criminal"), "administrative": _("Administrative")}
PERSON_ROLE_LABELS = {
    "suspect": _("Suspect"),
    "victim": _("Victim"),
    "complainant": _("Complainant"),
    "witness": _("Witness"),
}


class Case(BureauOwned):
    number = models.CharField(_("case number"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=list(KIND_LABELS.items()))
    title = models.CharField(_("title"), max_length=200, blank=True)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    lead_officer = models.ForeignKey(
        "org.Officer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead officer"),
    )
    assisting_officers = models.ManyToManyField(
        "org.Officer", blank=True, related_name="+", verbose_name=_("assisting officers")
    )
    flags = models.JSONField(default=dict, blank=True)
    campaign_tags = models.JSONField(default=list, blank=True)
    # Set with every event or change, in its transaction; cleared by the findings' recompute in
    # its own. Still set afterwards: the recompute died (a crash after the commit, a failed
    # reaction), and the next sweep recomputes the case (a transactional outbox, ADR 0026).
    findings_due = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "number"], name="case_number_unique_per_bureau"
            )
        ]
        indexes = [
            models.Index(fields=["bureau", "unit"]),
            models.Index(
                fields=["findings_due"],
                name="case_findings_due",
                condition=models.Q(findings_due=True),  # few rows: the index stays small
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CasePerson(BureauOwned):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="persons")
    key = models.CharField(_("subject id"), max_length=64)
    name = models.CharField(_("name"), max_length=60, blank=True)
    role = models.CharField(
        _("role"), max_length=16, choices=list(PERSON_ROLE_LABELS.items()), default="suspect"
    )
    # sealed at rest (ADR 0022); shown in full only to legal/supervision (services.persons)
    id_number = EncryptedCharField(_("identity number"), max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="case_person_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.key}"


class CaseEvent(BureauOwned):
    """One step on a case's timeline. Never changed: a correction is a new event pointing here."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=48)
    at = models.DateTimeField(db_index=True)
    subject = models.CharField(max_length=64, blank=True)
    attrs = models.JSONField(default=dict, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    digest = models.CharField(max_length=64)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["case", "at", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_unique"),
            models.UniqueConstraint(fields=["case", "digest"], name="case_event_content_unique"),
        ]
        indexes = [  # the sweep's read of a page's corrections (few: the index stays small)
            models.Index(
                fields=["case"],
                condition=models.Q(corrects__isnull=False),
                name="case_event_corrections",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.type}"
