"""What every page form shares: the date input, and a service's refusal shown on the form's
fields (translated) instead of as messages. They parse input; the services decide what is valid
for the business."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms

from precinct.common.i18n import explain
from precinct.core.errors import ValidationFailed


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or "%Y-%m-%d")  # the only format a date input reads


class DomainErrorsForm(forms.Form):
    """Puts a service's field errors on the form, translated; unknown fields go on top."""

    def add_domain_errors(self, exc: ValidationFailed) -> None:
        for e in exc.errors:
            self.add_error(e.field if e.field in self.fields else None, explain(e))

    @contextmanager
    def reporting(self) -> Iterator[None]:
        """Run the use case inside: if it refuses the input (``ValidationFailed``), the reasons go
        on this form's fields and the code after the block runs (it shows the form again)::

            with form.reporting():
                with transaction.atomic():
                    services.do(...)
                return redirect(...)
            return render(request, "...", {"form": form})
        """
        try:
            yield
        except ValidationFailed as exc:
            self.add_domain_errors(exc)
