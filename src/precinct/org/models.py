"""Organisation: bureaus (tenants), the unit tree, officers and their effective-dated postings."""

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from precinct.common.models import BureauOwned, Entity

from . import rules


def _choices(enum: type, labels: Mapping[str, object]) -> list[tuple[str, object]]:
    return [(m.value, labels[m.value]) for m in enum]  # type: ignore[attr-defined]


UNIT_KIND_LABELS = {
    "bureau": _("Bureau"),
    "department": _("Headquarters department"),
    "sub_bureau": _("Sub-bureau"),
    "station": _("Police station"),
    "brigade": _("Brigade"),
}
POST_TYPE_LABELS = {
    "community": _("Community police"),
    "criminal": _("Criminal police"),
    "public_order": _("Public-order police"),
    "cyber": _("Cyber police"),
    "traffic": _("Traffic police"),
    "patrol": _("Patrol police"),
    "legal": _("Legal affairs"),
    "command": _("Command centre"),
    "political": _("Political work"),
    "other": _("Other"),
}
STATUS_LABELS = {
    "active": _("Active"),
    "second_line": _("Second line"),
    "retired": _("Retired"),
}
GENDER_LABELS = {"M": _("Male"), "F": _("Female")}
AGE_BAND_LABELS = {  # rules.AgeBand
    "u30": _("Under 30"),
    "30-39": _("30 to 39"),
    "40-49": _("40 to 49"),
    "50-54": _("50 to 54"),
    "55+": _("55 and over"),
}
# Police ranks as read (the official English names; 简体 and 繁體 from the catalog): the rank is
# stored as the 简体 word of rules.RANKS (what roster files carry), shown in the reader's script.
RANK_LABELS = {
    "总警监": pgettext_lazy("police rank", "Commissioner General"),
    "副总警监": pgettext_lazy("police rank", "Deputy Commissioner General"),
    "一级警监": pgettext_lazy("police rank", "Commissioner, First Class"),
    "二级警监": pgettext_lazy("police rank", "Commissioner, Second Class"),
    "三级警监": pgettext_lazy("police rank", "Commissioner, Third Class"),
    "一级警督": pgettext_lazy("police rank", "Superintendent, First Class"),
    "二级警督": pgettext_lazy("police rank", "Superintendent, Second Class"),
    "三级警督": pgettext_lazy("police rank", "Superintendent, Third Class"),
    "一级警司": pgettext_lazy("police rank", "Inspector, First Class"),
    "二级警司": pgettext_lazy("police rank", "Inspector, Second Class"),
    "三级警司": pgettext_lazy("police rank", "Inspector, Third Class"),
    "一级警员": pgettext_lazy("police rank", "Constable, First Class"),
    "二级警员": pgettext_lazy("police rank", "Constable, Second Class"),
}


def rank_label(rank: str) -> str:
    """一级警司 → 一級警司 in 繁體, Inspector, First Class in English (an unknown rank as it is)."""
    return str(RANK_LABELS.get(rank, rank))


PARTY_LABELS = {
    "cpc_member": _("CPC member"),
    "cpc_probationary": _("CPC probationary member"),
    "league": _("Youth League member"),
    "none": _("None"),
}


class Bureau(Entity):
    """A city public security bureau: the tenant."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("bureau name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")

    def __str__(self) -> str:
        return self.name


class Unit(BureauOwned):
    kind = models.CharField(
        _("kind"), max_length=16, choices=_choices(rules.UnitKind, UNIT_KIND_LABELS)
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("unit name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(max_length=512, editable=False, db_index=True)
    area_km2 = models.DecimalField(
        _("area (km²)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "code"], name="unit_code_unique_per_bureau"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class Officer(BureauOwned):
    police_number = models.CharField(_("police number"), max_length=16)
    name = models.CharField(_("name"), max_length=40, db_index=True)
    gender = models.CharField(
        _("gender"), max_length=1, choices=_choices(rules.Gender, GENDER_LABELS)
    )
    birth_date = models.DateField(_("birth date"))
    hire_date = models.DateField(_("hire date"))
    rank = models.CharField(_("rank"), max_length=16, choices=[(r, r) for r in rules.RANKS])
    post_type = models.CharField(
        _("post type"),
        max_length=16,
        choices=_choices(rules.PostType, POST_TYPE_LABELS),
        db_index=True,
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=_choices(rules.OfficerStatus, STATUS_LABELS),
        default="active",
    )
    party = models.CharField(
        _("party membership"),
        max_length=20,
        choices=_choices(rules.Party, PARTY_LABELS),
        default="none",
    )
    photo = models.FileField(_("photo"), upload_to="photos/", blank=True)
    # Derived from the assignment history by the services; kept for fast scoped lists.
    current_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current unit"),
    )
    current_position = models.CharField(_("position"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("officer")
        verbose_name_plural = _("officers")
        ordering = ["police_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "police_number"], name="police_number_unique_per_bureau"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.police_number})"

    @property
    def rank_label(self) -> str:
        return rank_label(self.rank)


class Assignment(BureauOwned):
    """An effective-dated posting: [start, end) in a unit and position."""

    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    position = models.CharField(_("position"), max_length=40)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["officer", "-start"]
        indexes = [models.Index(fields=["officer", "start"])]

    def __str__(self) -> str:
        return f"{self.officer_id} @ {self.unit_id} {self.start}–{self.end or ''}"


SECONDMENT_STATUS_LABELS = {
    "planned": _("Planned"),
    "active": _("On secondment"),
    "returned": _("Returned"),
    "stayed": _("Stayed"),
    "cancelled": _("Cancelled"),
}
STAY_DECISION_LABELS = {"granted": _("Stay granted"), "refused": _("Stay refused")}


class Secondment(BureauOwned):
    """A headquarters officer seconded to a grassroots unit (动态用警). An overlay on the
    establishment: the officer's postings are untouched, except that a granted request to stay
    ends the secondment and posts him to the receiving unit."""

    officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="secondments", verbose_name=_("officer")
    )
    from_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("seconded from")
    )
    to_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("seconded to")
    )
    start = models.DateField(_("start"))
    planned_end = models.DateField(_("planned end"))
    purpose = models.CharField(_("purpose"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=_choices(rules.SecondmentStatus, SECONDMENT_STATUS_LABELS),
        default="planned",
    )
    planned_by = models.CharField(max_length=150, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_note = models.CharField(_("note"), max_length=200, blank=True)
    stay_requested = models.BooleanField(_("asked to stay"), default=False)
    stay_requested_on = models.DateField(null=True, blank=True)
    stay_note = models.CharField(_("request to stay"), max_length=200, blank=True)
    stay_decision = models.CharField(
        _("decision on the request to stay"),
        max_length=16,
        blank=True,
        choices=_choices(rules.StayDecision, STAY_DECISION_LABELS),
    )
    stay_decided_by = models.CharField(max_length=150, blank=True)
    stay_decided_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("secondment")
        verbose_name_plural = _("secondments")
        ordering = ["-start"]
        indexes = [
            # the live share: secondments of a bureau by status and start
            models.Index(fields=["bureau", "status", "start"]),
            # rotation history and overlap checks
            models.Index(fields=["officer", "start"]),
            # a unit chief's scope: from or to his units
            models.Index(fields=["from_unit", "status"]),
            models.Index(fields=["to_unit", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("start")),
                name="secondment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.officer_id}: {self.from_unit_id} → {self.to_unit_id} {self.start}"
