"""What every page form shares: the date input, and a service's refusal shown on the form's
fields (translated) instead of as messages. They parse input; the services decide what is valid
for the business."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from precinct.common.i18n import explain
from precinct.core.errors import FieldError, ValidationFailed


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or "%Y-%m-%d")  # the only format a date input reads


class Text(forms.CharField):
    """Text as typed, optional, cut at ``clip`` characters (the service says what is too long)."""

    def __init__(self, *, clip: int | None = None, strip: bool = False, **kwargs: Any) -> None:
        super().__init__(required=False, strip=strip, **kwargs)
        self.clip = clip

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value))
        return text[: self.clip] if self.clip is not None else text


N = TypeVar("N", int, float)


class _Number(forms.Field, Generic[N]):
    """A number as typed (thousands separated by commas or not), for the service to judge:
    nothing reads as ``empty``, what does not parse as ``bad`` (which the service refuses,
    naming the field and the numbers it takes)."""

    parse: Callable[[str], N]

    def __init__(self, *, empty: N, bad: N, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.empty: N = empty
        self.bad: N = bad

    def to_python(self, value: Any) -> N:
        text = str(value or "").strip().replace(",", "")
        if not text:
            return self.empty
        try:
            return self.parse(text)
        except ValueError:
            return self.bad


class WholeNumber(_Number[int]):
    parse = int


class RealNumber(_Number[float]):
    parse = float


class UUIDList(forms.Field):
    """The ids of the rows ticked in a list (at most ``limit``); what is not an id is left out."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.limit = limit

    def to_python(self, value: Any) -> list[uuid.UUID]:
        ids = []
        for raw in list(value or [])[: self.limit]:
            try:
                ids.append(uuid.UUID(str(raw)))
            except ValueError:
                continue
        return ids


class DomainErrorsForm(forms.Form):
    """Puts a service's field errors on the form, translated; unknown fields go on top. A page
    that answers with messages instead raises the form's own errors as a refusal (``refusal``),
    the way a service refuses: ``common.pages.page_errors`` says them and goes back."""

    # said instead of the errors field by field, when set: an English sentence marked with
    # gettext_noop, translated when it is shown
    invalid: str = ""

    def parsed(self) -> dict[str, Any]:
        """The form's values; raises its errors as a refusal when it does not validate."""
        if not self.is_valid():
            raise self.refusal()
        return self.cleaned_data

    def refusal(self) -> ValidationFailed:
        """The form's errors as a ``ValidationFailed`` (call after ``is_valid()`` said no)."""
        if self.invalid:
            return ValidationFailed([FieldError("", self.invalid)])
        return ValidationFailed(
            [
                FieldError("" if name == NON_FIELD_ERRORS else name, str(message))
                for name, messages in self.errors.items()
                for message in messages
            ]
        )

    def add_domain_errors(self, exc: ValidationFailed) -> None:
        for e in exc.errors:
            self.add_error(e.field if e.field in self.fields else None, explain(e))

    @contextmanager
    def reporting(self) -> Iterator[None]:
        """Run the use case inside: if it refuses the input (``ValidationFailed``), the reasons go
        on this form's fields and the code after the block runs (it shows the form again)::

            with form.reporting():
                with transactions.entry():
                    services.do(...)
                return redirect(...)
            return render(request, "...", {"form": form})
        """
        try:
            yield
        except ValidationFailed as exc:
            self.add_domain_errors(exc)
