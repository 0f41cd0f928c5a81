"""The daily sweep as a background job (ADR 0011, ADR 0031): findings move from pending to due
soon to overdue as time passes, and new problem points get their tickets."""

from django.utils.translation import gettext as _

from precinct.core import clock
from precinct.jobs.services import Work

from . import services


def sweep(work: Work) -> None:
    outcome = services.sweep(
        now=clock.now(), progress=lambda done, total: work.progress(done, total, _("Sweeping"))
    )
    work.result = {
        "cases": outcome.cases,
        "changed": outcome.changed,
        "tickets": outcome.tickets,
        "message": _(
            "%(cases)s cases swept, %(changed)s findings changed, %(tickets)s tickets opened."
        )
        % {"cases": outcome.cases, "changed": outcome.changed, "tickets": outcome.tickets},
    }
