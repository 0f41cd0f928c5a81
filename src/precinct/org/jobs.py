"""The daily refresh of officers' current units as a background job (ADR 0031)."""

from django.conf import settings
from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.core import clock
from precinct.jobs.services import Work

from . import services


def refresh(work: Work) -> None:
    with transactions.entry():
        changed = services.refresh_current_units(today=clock.today(settings.TIME_ZONE))
    work.result = {
        "changed": changed,
        "message": _("%(n)s officers moved to the postings now in force.") % {"n": changed},
    }
