"""Page forms of supervision. They parse input; the services decide what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from precinct.common.forms import DomainErrorsForm, Text

from .rules import holidays as rules

MAX_UPLOAD = 64 * 1024  # a year's schedule is a few hundred bytes


class HolidayScheduleForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"), min_value=rules.FIRST_YEAR, max_value=rules.LAST_YEAR
    )
    rows = forms.CharField(
        label=_("Days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "mono"}),
        help_text=_(
            "One row a line: a date or a range, 休 (rest day) or 班 (adjusted working day), the "
            "holiday's name. For example: 2027-02-06..2027-02-13,休,春节"
        ),
    )
    file = forms.FileField(
        label=_("Or a CSV file with the same rows"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    source = forms.CharField(
        label=_("Source (the notice's number and date)"), max_length=200, required=False
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                raise forms.ValidationError(_("The file is too large for a year's schedule."))
            raw = upload.read()
            try:
                data["rows"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    data["rows"] = raw.decode("gb18030")
                except UnicodeDecodeError:
                    raise forms.ValidationError(
                        _("The file is neither UTF-8 nor GB18030 text.")
                    ) from None
        if not str(data.get("rows") or "").strip():
            raise forms.ValidationError(_("Enter the days or choose a file."))
        return data


class TicketMoveForm(DomainErrorsForm):
    """A ticket to its next state, with a note (the service says which moves are allowed)."""

    to_state = Text(clip=16, strip=True)
    note = Text(clip=2000)


class ReviewForm(DomainErrorsForm):
    """A review of a case: a summary and one problem point (tag, rule, text)."""

    summary = Text(clip=4000)
    tag = Text(clip=64, strip=True)
    rule = Text(clip=8, strip=True)
    text = Text(clip=4000)
