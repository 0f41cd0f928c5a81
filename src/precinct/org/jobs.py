"""The org app's background work (ADR 0031): the daily refresh of officers' current units, and
the roster import (read and checked row by row with its progress, then written all or nothing)."""

from django.conf import settings
from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.core import clock
from precinct.core.scoping import Scope, account_scope
from precinct.jobs import services as jobs
from precinct.jobs.services import Work

from . import services


def refresh(work: Work) -> None:
    with transactions.entry():
        changed = services.refresh_current_units(today=clock.today(settings.TIME_ZONE))
    work.result = {
        "changed": changed,
        "message": _("%(n)s officers moved to the postings now in force.") % {"n": changed},
    }


def roster_import(work: Work) -> None:
    """Import the uploaded roster workbook as the user who sent it: every row is checked first,
    then all are written in one transaction (run again, it writes the same officers again)."""
    scope = account_scope(work.username)
    today = clock.today(settings.TIME_ZONE)
    reading = _("Checking the rows")
    work.progress(0, 1, reading)
    sheet = services.read_roster(
        scope, work.upload(), today=today,
        progress=lambda done, total: work.progress(done, total * 2, reading),
    )  # fmt: skip
    work.progress(1, 2, _("Writing the roster"))
    with transactions.entry():
        result = services.apply_roster(scope, sheet, today=today)
    work.result = {
        "created": result.created,
        "updated": result.updated,
        "moved": result.moved,
        "message": _("Roster imported: %(created)d new, %(updated)d updated, %(moved)d moved.")
        % {"created": result.created, "updated": result.updated, "moved": result.moved},
    }


def roster_import_key(scope: Scope) -> str:
    """One roster import at a time in a bureau: two at once would move the same officers."""
    return f"org.roster_import:{scope.bureau_id}"


def start_roster_import(scope: Scope, content: bytes, filename: str) -> tuple[jobs.Job, bool]:
    return jobs.start(kind="org.roster_import", key=roster_import_key(scope),
                      bureau_id=scope.bureau_id, params={"file_name": filename[:200]},
                      upload=content)  # fmt: skip
