"""The 三一 monthly mechanism: achievements, the scoring policy, frozen months, awards, discipline,
the warning queue, and a double-entry bonus ledger in integer fen."""

from typing import Any

from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from precinct.common.models import BureauOwned

KIND_LABELS = {
    "case_solved": _("Case solved"),
    "arrest": _("Arrest"),
    "seizure": _("Seizure"),
    "dispute_mediated": _("Dispute mediated"),
    "rescue": _("Rescue"),
    "public_commendation": _("Public commendation"),
    "campaign_task": _("Campaign task done"),
    "problem_free_month": _("Problem-free month"),
    "incident_handled": _("Incident handled on the street"),
    "community_visit": _("Community visit"),
    "cyber_clue": _("Cyber clue"),
    "accident_handled": _("Road accident handled"),
    "hq_task": _("Headquarters task for the grassroots"),
    "problem_point": _("Supervision problem point"),
    "warning": _("Warning or admonition"),
    "sanction": _("Sanction in force"),
}
STATE_LABELS = {
    "submitted": _("Submitted"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
}
# Codes as the glossary names them. Months closed before the codes were renamed keep the old
# ones in their frozen lines (their digest covers them): the labels answer for those too.
LEGACY_CODES = {
    "third_class": "merit_3",
    "second_class": "merit_2",
    "first_class": "merit_1",
    "hero_2": "honour_2",
    "hero_1": "honour_1",
    "warning": "caution",  # the sanction 警告 (an achievement kind "warning" is 警示)
    "removal": "dismissal_from_post",
}


class CodeLabels(dict[str, Any]):
    """Labels by code that also answer for a code's former name (never offered as a choice)."""

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(LEGACY_CODES.get(key, key), default)

    def __missing__(self, key: str) -> Any:
        if key in LEGACY_CODES:
            return self[LEGACY_CODES[key]]
        raise KeyError(key)


AWARD_LABELS = CodeLabels(
    {
        "commendation": _("Commendation (嘉奖)"),
        "merit_3": _("Third-class merit (三等功)"),
        "merit_2": _("Second-class merit (二等功)"),
        "merit_1": _("First-class merit (一等功)"),
        "honour_2": _("Second-grade hero (二级英模)"),
        "honour_1": _("First-grade hero (一级英模)"),
    }
)
AWARD_STATE_LABELS = {
    "proposed": _("Proposed"),
    "approved": _("Approved"),
    "forwarded": _("Forwarded to the province"),
    "rejected": _("Rejected"),
}
MEASURE_LABELS = CodeLabels(
    {
        "talk_reminder": _("Talk reminder"),
        "criticism": _("Criticism and education"),
        "self_examination": _("Ordered self-examination"),
        "admonition": _("Admonition"),
        "warning_education": _("Warning education"),
        "caution": _("Warning (sanction)"),
        "demerit": _("Demerit"),
        "major_demerit": _("Major demerit"),
        "demotion": _("Demotion"),
        "dismissal_from_post": _("Removal from post"),
        "expulsion": _("Expulsion"),
        "suspension": _("Suspension from duty"),
        "confinement": _("Confinement"),
        "investigation": _("Under investigation"),
    }
)
ACCOUNT_KINDS = {
    "funding": _("Bureau funding"),
    "budget": _("Monthly bonus budget"),
    "officer": _("Officer bonus payable"),
}


class ScoringPolicy(BureauOwned):
    """A version of the scoring policy; never edited once used: a change is a new version."""

    version = models.PositiveIntegerField()
    valid_from = models.DateField()
    data = models.JSONField()
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "version"], name="policy_version_unique")
        ]

    def __str__(self) -> str:
        return f"policy v{self.version}"


CASE_ROLE_LABELS = {"lead": _("lead investigator"), "assist": _("assisting")}  # rules.CaseRole
# The evidence of an achievement as read: its kind in words before the record's number
# ("case:XS-2026-00001" is stored; 案件 XS-2026-00001 is shown); free text as it was typed.
EVIDENCE_LABELS = {
    "case": pgettext_lazy("evidence", "Case %(number)s"),
    "incident": pgettext_lazy("evidence", "Incident %(number)s"),
}


# What the ledger's memos say, as the payout rules write them ("case case:XS-…", "bonus budget
# 2026-11", "reversal: why"), in the reader's language.
MEMO_LABELS = {
    "case ": pgettext_lazy("ledger memo", "Solved case: %(what)s"),
    "bonus budget ": pgettext_lazy("ledger memo", "Bonus budget of %(what)s"),
    "reversal: ": pgettext_lazy("ledger memo", "Correction: %(what)s"),
}


# What a payment is for, by the start of its ledger key ("case:…", "star:…").
PAYOUT_KIND_LABELS = {
    "star": _("Star bonus"),
    "case": _("Solved-case bonus"),
    "award": _("Award bonus"),
    "reversal": _("Correction"),
}


def payout_kind(key: str) -> str:
    """A ledger transaction's purpose in words, from its key (the key itself is a code)."""
    return str(PAYOUT_KIND_LABELS.get(key.split(":", 1)[0], ""))


def memo_words(memo: str) -> str:
    """A ledger transaction's memo in words (a star bonus's "3★ 2026-11" and an award's
    "三等功: deed" are words already)."""
    for start, label in MEMO_LABELS.items():
        if memo.startswith(start):
            return str(label) % {"what": evidence_words(memo.removeprefix(start))}
    return memo


def evidence_words(evidence: str) -> str:
    """Evidence as stored (``case:XS-2026-00001``) in words (案件 XS-2026-00001); anything else
    as it was typed."""
    kind, sep, number = evidence.partition(":")
    if sep and kind in EVIDENCE_LABELS and number:
        return str(EVIDENCE_LABELS[kind]) % {"number": number}
    return evidence


class Achievement(BureauOwned):
    officer = models.ForeignKey("org.Officer", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=list(KIND_LABELS.items()))
    month = models.CharField(max_length=7, db_index=True)
    occurred_on = models.DateField()
    quantity = models.PositiveIntegerField(default=1)
    role = models.CharField(max_length=8, blank=True, choices=list(CASE_ROLE_LABELS.items()))
    evidence = models.CharField(max_length=80, blank=True)
    note = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=list(STATE_LABELS.items()), default="submitted")
    entered_by = models.CharField(max_length=150, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=200, blank=True)  # why it was rejected

    @property
    def role_label(self) -> str:
        """The officer's part in the case, in words (主办 / 协办)."""
        return str(CASE_ROLE_LABELS.get(self.role, "")) if self.role else ""

    @property
    def evidence_label(self) -> str:
        """The evidence in words: 案件 XS-2026-00001 for ``case:XS-2026-00001``."""
        return evidence_words(self.evidence)

    class Meta:
        indexes = [models.Index(fields=["bureau", "month", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.month}"


class MonthClose(BureauOwned):
    """A month's frozen results: every officer's points, line items and stars, reproducible."""

    month = models.CharField(max_length=7)
    policy_version = models.PositiveIntegerField()
    data = models.JSONField()
    digest = models.CharField(max_length=64)
    closed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "month"], name="month_closed_once")
        ]

    def __str__(self) -> str:
        return f"closed {self.month}"


class Discipline(BureauOwned):
    """A warning-education item, a lighter measure, a sanction, or an investigation."""

    officer = models.ForeignKey("org.Officer", on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=20, choices=list(MEASURE_LABELS.items()))
    start = models.DateField()
    end = models.DateField(null=True, blank=True)  # last day in force; None: open
    days = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField()
    source = models.CharField(max_length=80, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"{self.measure} {self.start}"


class WarningItem(BureauOwned):
    """A warning proposal from supervision's accountability, queued for the political department."""

    proposal_id = models.UUIDField(unique=True)
    officer = models.ForeignKey(
        "org.Officer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    state = models.CharField(
        max_length=10,
        choices=[("queued", _("Queued")), ("decided", _("Decided")), ("dismissed", _("Dismissed"))],
        default="queued",
        db_index=True,
    )
    decision = models.OneToOneField(
        Discipline, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"warning item {self.proposal_id}"


class AwardProposal(BureauOwned):
    officer = models.ForeignKey("org.Officer", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=16, choices=list(AWARD_LABELS.items()))
    deed = models.CharField(max_length=200)
    notice_start = models.DateField(null=True, blank=True)
    notice_end = models.DateField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=list(AWARD_STATE_LABELS.items()), default="proposed"
    )
    bonus_fen = models.BigIntegerField(default=0)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.level} {self.officer_id}"


def account_words(code: str) -> str:
    """An account in words (its code is ``budget:2026-12``, ``officer:<id>``, ``funding``)."""
    kind, _sep, rest = code.partition(":")
    if kind == "budget" and rest:
        return gettext("the bonus budget of %(month)s") % {"month": rest}
    return str(ACCOUNT_KINDS.get(kind, code))


class Account(BureauOwned):
    code = models.CharField(max_length=64)  # "funding", "budget:2026-10", "officer:<id>"
    kind = models.CharField(max_length=8, choices=list(ACCOUNT_KINDS.items()))
    officer = models.ForeignKey(
        "org.Officer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "code"], name="account_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


class LedgerTransaction(BureauOwned):
    """A balanced set of entries. Never edited: a correction is a reversing transaction."""

    key = models.CharField(max_length=120)  # what it pays for: paying twice is refused
    memo = models.CharField(max_length=200)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bureau", "key"], name="ledger_key_unique")]

    def __str__(self) -> str:
        return self.key


class LedgerEntry(BureauOwned):
    txn = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_fen = models.BigIntegerField()  # + credit to the account, - debit

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_fen=0), name="ledger_entry_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen}"


class MonthSession(BureauOwned):
    """A unit's 三一 month: one warning case (chosen and published), one star creation (the month's
    star officers, from the closed month), one incentive (bonuses paid); the meeting's theme,
    attendance and minutes."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    month = models.CharField(max_length=7)
    warning_case = models.CharField(max_length=200, blank=True)
    warning_published = models.BooleanField(default=False)
    theme = models.CharField(max_length=200, blank=True)
    held_on = models.DateField(null=True, blank=True)
    attendance = models.PositiveIntegerField(null=True, blank=True)
    minutes = models.TextField(pgettext_lazy("meeting", "Minutes"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="one_session_per_unit_month")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month}"


class Induction(BureauOwned):
    """A new officer's start (传帮带): the meeting with a leader, and the mentor they are paired
    with. One record per recruit; each part is recorded when it happens."""

    officer = models.OneToOneField("org.Officer", on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(
        "org.Officer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    met_on = models.DateField(null=True, blank=True)
    meeting_note = models.CharField(max_length=500, blank=True)
    mentor = models.ForeignKey(
        "org.Officer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mentor_from = models.DateField(null=True, blank=True)
    mentor_note = models.CharField(max_length=500, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"induction {self.officer_id}"
