"""New officers (传帮带): a recruit's leader meeting and mentor."""

import datetime as dt

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _

from .discipline import add_months

# --- new officers (传帮带) -------------------------------------------------------------------------
RECRUIT_MONTHS = 12  # hired within this many months: a recruit who needs a meeting and a mentor
MENTOR_MIN_YEARS = 3  # a mentor has served at least this long


def check_induction_step(
    *,
    field_name: str,
    date_field: str,
    on: dt.date,
    today: dt.date,
    hired: dt.date,
    recruit: str,
    partner: str,
    partner_hired: dt.date | None = None,
    partner_blocked_by: str | None = None,
) -> list[FieldError]:
    """A leader meeting or a mentor pairing for a recruit: on a day between the recruit's hire
    date and today, with someone else; a mentor has served MENTOR_MIN_YEARS and is not serving a
    sanction. ``partner_hired`` is given for mentors only."""
    errors = []
    if on > today:
        errors.append(FieldError(date_field, _("not in the future")))
    elif on < hired:
        errors.append(FieldError(date_field, _("not before the recruit was hired")))
    if partner == recruit:
        errors.append(FieldError(field_name, _("someone other than the recruit")))
    elif partner_hired is not None and add_months(partner_hired, 12 * MENTOR_MIN_YEARS) > on:
        errors.append(
            FieldError(
                field_name,
                _("a mentor has served at least %(n)s years"),
                params={"n": MENTOR_MIN_YEARS},
            )
        )
    if partner_blocked_by:
        errors.append(
            FieldError(
                field_name,
                _("not while serving a sanction (%(m)s)"),
                params={"m": partner_blocked_by},
            )
        )
    return errors
