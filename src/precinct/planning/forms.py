"""The planning page's form. It parses input; the service says what is valid."""

from typing import Any

from django import forms

from precinct.common.forms import DomainErrorsForm, RealNumber, Text, WholeNumber


class OptionalCount(forms.Field):
    """A whole number, or nothing (None: not asked for); what is not one reaches the service
    as -1."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            return -1


class PostRunForm(DomainErrorsForm):
    """Where to post the cars: how many, the minutes to reach a call, the days of history, and
    the options. What is not a number reaches the service as -1, which it refuses by name."""

    cars = WholeNumber(empty=48, bad=-1)
    minutes = RealNumber(empty=5.0, bad=-1.0)
    days = WholeNumber(empty=90, bad=-1)
    replay = forms.BooleanField(required=False)
    objective = Text(clip=16, strip=True)
    sites = Text(clip=16, strip=True)
    night_cars = OptionalCount()
    queue = forms.BooleanField(required=False)
