"""Page forms of merit. They parse what a page posts (the field names are the pages' and the
tests'); the services decide what is valid for the business. A form that does not validate is
raised as a refusal (``form.refusal()``) and said on the page it came from, in the sentence the
page has always used (``invalid``)."""

from typing import Any

from django import forms

from precinct.common.forms import DomainErrorsForm, Text, UUIDList, WholeNumber
from precinct.core.errors import gettext_noop


class FundForm(DomainErrorsForm):
    """Yuan put into the month's bonus budget; what is not a whole number the service refuses
    like any amount out of bounds."""

    yuan = WholeNumber(empty=0, bad=0)


class AchievementForm(DomainErrorsForm):
    invalid = gettext_noop("occurred on: a date as YYYY-MM-DD")

    police_number = Text(clip=16, strip=True)
    kind = Text()
    occurred_on = forms.DateField()
    quantity = WholeNumber(empty=1, bad=0)
    role = Text()
    evidence = Text()
    note = Text()


class AchievementDecisionForm(DomainErrorsForm):
    ids = UUIDList(limit=500)
    decision = Text()  # "approve", else reject


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
    invalid = gettext_noop("dates as YYYY-MM-DD")

    officer = Text(clip=16, strip=True)
    level = Text()
    deed = Text(clip=200)
    notice_start = forms.DateField(required=False)
    notice_end = forms.DateField(required=False)


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
