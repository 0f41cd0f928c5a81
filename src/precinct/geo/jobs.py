"""The nightly traffic upkeep as a background job (ADR 0031): for each bureau with a road network,
the pings past their keeping are purged and the profile is learned again from the last days."""

import datetime as dt

from django.utils.translation import gettext as _

from precinct.common import transactions
from precinct.core import clock
from precinct.jobs.services import Work

from . import traffic


def learn_traffic(work: Work) -> None:
    now = clock.now()
    bureaus = [  # the daily run: every bureau; a run started for one bureau: that one
        b for b in traffic.bureaus_with_network() if work.bureau_id in (None, b[0])
    ]
    learned = purged = 0
    for done, (bureau_id, _code) in enumerate(bureaus):
        work.progress(done, len(bureaus), _("Learning traffic"))
        with transactions.entry():
            purged += traffic.purge(bureau_id, before=now - dt.timedelta(days=traffic.KEEP_DAYS))
        since = now - dt.timedelta(days=traffic.LEARN_DAYS)
        if not traffic.ping_count(bureau_id, since=since):
            continue  # no fleet data: the engine keeps free flow (or the last profile)
        measured = traffic.measure(bureau_id, now=now)  # seconds of reading: outside the write
        with transactions.entry():
            traffic.store(bureau_id, measured, now=now)
        learned += 1
    work.result = {
        "learned": learned,
        "purged": purged,
        "message": _(
            "Traffic profiles learned: %(learned)s; old position pings removed: %(purged)s."
        )
        % {"learned": learned, "purged": purged},
    }
