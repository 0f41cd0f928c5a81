"""The month's long work as background jobs (ADR 0031): paying the bonuses, closing the month,
building the session pack. Each runs as the user who started it, in his scope and language, and
can be run again safely: payments are keyed (paid at most once), the close is frozen once, the
pack only reads."""

from django.conf import settings
from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.core import clock
from precinct.core.scoping import Scope
from precinct.identity import services as identity
from precinct.jobs import services as jobs
from precinct.jobs.services import Work

from . import pack as pack_files
from . import rules, services


def pay_month(work: Work) -> None:
    """Pay the closed month's bonuses, one payment per short transaction so the page sees the
    progress; all of them only if the budget covers all (checked first), each at most once."""
    scope = identity.scope_for_username(work.username)
    month = rules.Month.parse(work.params["month"])
    services.check_payable(scope, month)
    made, paid = services.pay_month_for(
        scope, month, progress=lambda done, total: work.progress(done, total, _("Paying"))
    )
    work.result = {
        "made": made,
        "paid_fen": paid,
        "message": _("%(n)s bonus payments made, %(amount)s.")
        % {"n": made, "amount": rules.yuan(paid)}
        if made
        else _("Every bonus of the month was paid already."),
    }


def close_month(work: Work) -> None:
    """Freeze the month (closing again returns the same snapshot)."""
    scope = identity.scope_for_username(work.username)
    month = rules.Month.parse(work.params["month"])
    work.progress(1, 3, _("Scoring the month"))
    with transactions.entry():
        services.close_month_for(
            scope, month, by=work.username, today=clock.today(settings.TIME_ZONE)
        )
    work.result = {
        "message": _("%(month)s is closed: its points and stars are final.") % {"month": month}
    }


def session_pack(work: Work) -> None:
    """The monthly session pack as a file (Excel or PDF), in the caller's scope and language."""
    scope = identity.scope_for_username(work.username)
    month = rules.Month.parse(work.params["month"])
    fmt = work.params["format"]
    work.progress(1, 4, _("Gathering the month's figures"))
    data = services.session_pack(scope, month)
    work.progress(2, 4, _("Drawing the pages"))
    content = pack_files.render(data, fmt)
    work.file(f"sanyi-{month}.{fmt}", pack_files.FORMATS[fmt], content)
    work.result = {"message": _("The session pack is ready.")}


# --- starting them (the month page) -------------------------------------------------------------
def pay_key(scope: Scope, month: rules.Month) -> str:
    return f"merit.pay:{scope.bureau_id}:{month}"


def close_key(scope: Scope, month: rules.Month) -> str:
    return f"merit.close:{scope.bureau_id}:{month}"


def pack_key(scope: Scope, month: rules.Month, fmt: str, username: str) -> str:
    """Each user's own pack: it is drawn in his scope and language."""
    return f"merit.pack:{scope.bureau_id}:{username}:{month}:{fmt}"


def start_pay(scope: Scope, month: rules.Month) -> tuple[jobs.Job, bool]:
    return jobs.start(kind="merit.pay", key=pay_key(scope, month), bureau_id=scope.bureau_id,
                      params={"month": str(month)})  # fmt: skip


def start_close(scope: Scope, month: rules.Month) -> tuple[jobs.Job, bool]:
    return jobs.start(kind="merit.close", key=close_key(scope, month), bureau_id=scope.bureau_id,
                      params={"month": str(month)})  # fmt: skip


def start_pack(scope: Scope, month: rules.Month, fmt: str, username: str) -> tuple[jobs.Job, bool]:
    return jobs.start(kind="merit.pack", key=pack_key(scope, month, fmt, username),
                      bureau_id=scope.bureau_id, params={"month": str(month), "format": fmt})  # fmt: skip
