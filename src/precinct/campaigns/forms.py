"""Page forms of campaigns. They parse what a page posts (the field names are the pages' and the
tests'); the services decide what is valid for the business, and name the field when it is not.
A form that does not validate is raised as a refusal (``form.refusal()``), field by field."""

from django import forms

from precinct.common.forms import DomainErrorsForm, Text, WholeNumber

from . import rules


class CampaignForm(DomainErrorsForm):
    code = Text(clip=64)
    name = Text(clip=200)
    level = Text(empty_value="city")
    starts = forms.DateField(required=False)
    ends = forms.DateField(required=False)
    goal = Text(clip=5000)
    lead_unit = forms.UUIDField(required=False)


# the managers' forms on a campaign's page, told apart by ``action``
class ItemsForm(DomainErrorsForm):
    """Checklist items, one a line: ``what | owner unit (name or code) | due (YYYY-MM-DD)``."""

    lines = Text()

    def parsed_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for line in self.parsed()["lines"].splitlines():
            if line.strip():
                parts = [p.strip() for p in line.split("|")]
                parts += [""] * (3 - len(parts))
                rows.append((parts[0], parts[1], parts[2]))
        return rows


class TargetForm(DomainErrorsForm):
    name = Text(clip=200)
    metric = Text()
    goal = WholeNumber(empty=-1, bad=-1)


class TargetValueForm(DomainErrorsForm):
    target = forms.UUIDField(required=False)
    value = WholeNumber(empty=-1, bad=-1)


class LinkForm(DomainErrorsForm):
    kind = Text()
    ref = Text(clip=120)


class ItemMoveForm(DomainErrorsForm):
    """An item moved on the checklist; ``campaign`` is the page it was moved from."""

    status = Text(clip=16)
    evidence = Text(clip=rules.MAX_EVIDENCE + 1)  # one more, for the service to refuse
    reason = Text(clip=600)
    campaign = forms.UUIDField(required=False)
