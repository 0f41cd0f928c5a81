"""Page forms. They parse input; the services decide what is valid for the business."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from precinct.common.forms import DateInput, DomainErrorsForm

from . import rules
from .models import (
    GENDER_LABELS,
    PARTY_LABELS,
    POST_TYPE_LABELS,
    RANK_LABELS,
    STATUS_LABELS,
    STAY_DECISION_LABELS,
)


def _opts(labels: dict[str, Any]) -> list[tuple[str, Any]]:
    return list(labels.items())


class OfficerForm(DomainErrorsForm):
    police_number = forms.CharField(label=_("police number"), max_length=16)
    name = forms.CharField(label=_("name"), max_length=40)
    gender = forms.ChoiceField(label=_("gender"), choices=_opts(GENDER_LABELS))
    birth_date = forms.DateField(label=_("birth date"), widget=DateInput)
    hire_date = forms.DateField(label=_("hire date"), widget=DateInput)
    rank = forms.ChoiceField(label=_("rank"), choices=[(r, RANK_LABELS[r]) for r in rules.RANKS])
    post_type = forms.ChoiceField(label=_("post type"), choices=_opts(POST_TYPE_LABELS))
    status = forms.ChoiceField(label=_("status"), choices=_opts(STATUS_LABELS))
    party = forms.ChoiceField(label=_("party membership"), choices=_opts(PARTY_LABELS))

    def officer_data(self) -> rules.OfficerData:
        d = self.cleaned_data
        return rules.OfficerData(
            police_number=d["police_number"].strip(),
            name=d["name"],
            gender=rules.Gender(d["gender"]),
            birth_date=d["birth_date"],
            hire_date=d["hire_date"],
            rank=d["rank"],
            post_type=rules.PostType(d["post_type"]),
            status=rules.OfficerStatus(d["status"]),
            party=rules.Party(d["party"]),
        )


class PostingForm(DomainErrorsForm):
    unit = forms.ChoiceField(label=_("unit"))
    position = forms.CharField(label=_("position"), max_length=40)
    start = forms.DateField(label=_("from"), widget=DateInput)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]


def _max_size(limit: int) -> Any:
    def check(upload: Any) -> None:
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."), params={"mb": limit // (1024 * 1024)}
            )

    return check


class OfficerEditForm(OfficerForm):
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        help_text=_("JPEG or PNG, at most 2 MB"),
        validators=[_max_size(rules.MAX_PHOTO_BYTES)],
    )


class OfficerCreateForm(OfficerForm, PostingForm):
    pass


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster workbook (.xlsx)"), validators=[_max_size(settings.MAX_UPLOAD_BYTES)]
    )


# --- secondments (动态用警) -----------------------------------------------------------------
class SecondmentPlanForm(DomainErrorsForm):
    officer = forms.CharField(label=_("police number"), max_length=16)
    from_unit = forms.ChoiceField(label=_("seconded from"))
    to_unit = forms.ChoiceField(label=_("seconded to"))
    start = forms.DateField(label=_("start"), widget=DateInput)
    planned_end = forms.DateField(label=_("planned end"), widget=DateInput)
    purpose = forms.CharField(label=_("purpose"), max_length=200)

    def __init__(
        self,
        *args: Any,
        departments: list[tuple[str, str]],
        grassroots: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_unit"].choices = [("", "—"), *departments]  # type: ignore[attr-defined]
        self.fields["to_unit"].choices = [("", "—"), *grassroots]  # type: ignore[attr-defined]


class SecondmentEndForm(DomainErrorsForm):
    """A return, a cancellation or a request to stay: the day and a note."""

    on = forms.DateField(label=_("Date"), widget=DateInput, required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class StayDecisionForm(DomainErrorsForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=_opts(STAY_DECISION_LABELS))
    on = forms.DateField(label=_("Date"), widget=DateInput)
    position = forms.CharField(label=_("position"), max_length=40, required=False)
