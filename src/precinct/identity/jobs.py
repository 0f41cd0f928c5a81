"""The daily disabling of idle accounts as a background job (ADR 0031)."""

from django.conf import settings
from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.core import clock
from precinct.jobs.services import Work

from . import services


def disable_idle(work: Work) -> None:
    with transactions.entry():
        done = services.disable_idle_accounts(now=clock.now(), days=settings.IDLE_ACCOUNT_DAYS)
    work.result = {
        "disabled": done,
        "message": _("%(n)s idle accounts disabled.") % {"n": len(done)},
    }
