"""Page forms of merit. They parse what a page posts (the field names are the pages' and the
tests'); the services decide what is valid for the business. A form that does not validate is
raised as a refusal (``form.refusal()``) and said on the page it came from, in the sentence the
page has always used (``invalid``)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from precinct.common.forms import DateInput, DomainErrorsForm, Text, UUIDList, WholeNumber
from precinct.core.errors import ValidationFailed, gettext_noop

from . import rules
from .models import CASE_ROLE_LABELS, KIND_LABELS
from .rules import Month
from .services.achievements import EVIDENCE_MAX


class FundForm(DomainErrorsForm):
    """Yuan put into the month's bonus budget; what is not a whole number the service refuses
    like any amount out of bounds."""

    yuan = WholeNumber(empty=0, bad=0)


class MonthCloseForm(DomainErrorsForm):
    """Closing the month: its figures become final (the closer confirms it in words)."""

    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked the month: its points and stars become final"),
        error_messages={"required": gettext_lazy("Tick this box to confirm the close.")},
    )


class AchievementForm(DomainErrorsForm):
    invalid = gettext_noop("occurred on: a date as YYYY-MM-DD")

    police_number = Text(clip=16, strip=True)
    kind = Text()
    occurred_on = forms.DateField()
    quantity = WholeNumber(empty=1, bad=0)
    role = Text()
    evidence = Text()
    note = Text()


class OwnAchievementForm(DomainErrorsForm):
    """An officer's own achievement (我的): no officer to name, it is always the caller. The page
    draws the fields from here; each refusal is said on its field, by the field's label."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[(k, v) for k, v in KIND_LABELS.items() if k in set(rules.Kind)],
    )
    occurred_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    quantity = WholeNumber(
        empty=1, bad=0, label=gettext_lazy("Quantity"), widget=forms.NumberInput({"min": 1})
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role in the case"),
        required=False,
        choices=[("", "—"), *CASE_ROLE_LABELS.items()],
    )
    evidence = Text(  # the service judges the length and when it is needed
        clip=1000,
        strip=True,
        label=gettext_lazy("Evidence"),
        help_text=gettext_lazy("A case number or a document's reference"),
        widget=forms.TextInput({"maxlength": EVIDENCE_MAX, "placeholder": "XS-2026-00001"}),
    )
    note = Text(clip=200, strip=True, label=gettext_lazy("Note"))


class AchievementDecisionForm(DomainErrorsForm):
    ids = UUIDList(limit=500)
    decision = Text()  # "approve", else reject
    reason = Text(label=gettext_lazy("Reason for rejecting"), clip=1000)  # the service judges it


class SessionForm(DomainErrorsForm):
    """One unit's 三一 session of the month."""

    invalid = gettext_noop("unit, date (YYYY-MM-DD) and attendance (a number) please")

    unit = forms.UUIDField()
    held_on = forms.DateField(required=False)
    attendance = forms.IntegerField(required=False)
    warning_case = Text()
    warning_published = forms.BooleanField(required=False)
    theme = Text()
    minutes = Text()


class InductionForm(DomainErrorsForm):
    """A new officer's meeting with a leader and their mentor (传帮带), by police number."""

    invalid = gettext_noop("dates as YYYY-MM-DD")

    leader = Text(clip=16)
    met_on = forms.DateField(required=False)
    meeting_note = Text()
    mentor = Text(clip=16)
    mentor_from = forms.DateField(required=False)
    mentor_note = Text()
    waiting = forms.BooleanField(required=False)  # the list it was sent from: those still waiting


class AwardForm(DomainErrorsForm):
    """An award proposed, or a proposal edited (``award``: which one) until it is decided. The
    rules' refusals are shown on these fields by their labels; the public notice's on top."""

    invalid = gettext_noop("dates as YYYY-MM-DD")

    award = forms.UUIDField(required=False, widget=forms.HiddenInput)
    officer = Text(clip=16, strip=True, label=gettext_lazy("police number"))
    level = Text(label=gettext_lazy("Award"))
    deed = Text(clip=200, label=gettext_lazy("Deed"))
    notice_start = forms.DateField(required=False, label=gettext_lazy("Public notice from"))
    notice_end = forms.DateField(required=False, label=gettext_lazy("Public notice to"))


class AwardDecisionForm(DomainErrorsForm):
    invalid = gettext_noop("approve: 1 to approve, 0 to reject")

    approve = forms.ChoiceField(choices=[("1", "1"), ("0", "0")])


class WarningDecisionForm(DomainErrorsForm):
    """A proposed warning decided: a measure from a day for some days, or none (dismissed)."""

    invalid = gettext_noop("start: a date as YYYY-MM-DD; days: a whole number")

    measure = Text()
    start = forms.DateField(required=False)
    days = forms.IntegerField(required=False)
    note = Text(clip=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("measure") and data.get("start") is None and "start" not in self.errors:
            self.add_error("start", forms.Field.default_error_messages["required"])
        return data


class PolicyForm(DomainErrorsForm):
    """The scoring policy's grid (points by post type and kind, thresholds, quotas, deductions,
    bonuses) and the month it is in force from. The grid's fields depend on the bureau's post
    types: the policy rules read them (``rules.policy_from_form``), naming every field that is
    not a number; a field left out keeps the current policy's value."""

    valid_from = Text(strip=True)

    def __init__(self, data: Any, *, post_types: list[str], base: rules.Policy) -> None:
        super().__init__(data)
        self.post_types, self.base = post_types, base
        self.refused: ValidationFailed | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["valid_from"] = Month.parse(cleaned.get("valid_from", ""), "valid_from")
            cleaned["policy"] = rules.policy_from_form(
                self.data, post_types=self.post_types, base=self.base
            )
        except ValidationFailed as exc:
            self.refused = exc  # said as the rules named it: the grid's fields are not the form's
            self.add_domain_errors(exc)
        return cleaned

    def refusal(self) -> ValidationFailed:
        return self.refused or super().refusal()
