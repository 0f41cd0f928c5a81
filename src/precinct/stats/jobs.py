"""The import of earlier years' figures as a background job (ADR 0031): the workbook is read
with its progress, then checked and written all or nothing."""

from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.core.scoping import Scope
from precinct.identity import services as identity
from precinct.jobs import services as jobs
from precinct.jobs.services import Work

from . import services


def import_figures(work: Work) -> None:
    """Import the uploaded workbook as the user who sent it (run again, it replaces the same
    figures with the same values)."""
    scope = identity.scope_for_username(work.username)
    reading = _("Reading the workbook")
    work.progress(0, 1, reading)
    header, rows = services.read_xlsx(
        work.upload(), progress=lambda done, total: work.progress(done, total * 2, reading)
    )
    work.progress(1, 2, _("Checking and writing the figures"))
    with transactions.entry():
        result = services.import_rows(scope, header, rows, by=work.username)
    work.result = {
        "figures": result.figures,
        "months": result.months,
        "message": _("%(n)s figures imported for %(m)s months (%(first)s – %(last)s).")
        % {
            "n": result.figures,
            "m": result.months,
            "first": f"{result.first:%Y-%m}",
            "last": f"{result.last:%Y-%m}",
        },
    }


def import_key(scope: Scope) -> str:
    """One import of figures at a time in a bureau: two at once would replace the same ones."""
    return f"stats.import:{scope.bureau_id}"


def start_import(scope: Scope, content: bytes, filename: str) -> tuple[jobs.Job, bool]:
    return jobs.start(kind="stats.import", key=import_key(scope), bureau_id=scope.bureau_id,
                      params={"file_name": filename[:200]}, upload=content)  # fmt: skip
