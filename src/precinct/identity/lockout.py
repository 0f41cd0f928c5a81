"""Account lockout policy for django-axes: 5 failures within 15 minutes lock the account until an
administrator unlocks it.

Axes counts failures per username and forgets them once they expire. Failures expire 15 minutes
after the latest one while the account is below the limit (a sliding window); once the limit is
reached the expiry is pushed out of reach, so the lock holds until someone unlocks it.
"""

import datetime as dt
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

WINDOW = dt.timedelta(minutes=15)
UNTIL_UNLOCKED = dt.timedelta(days=365 * 100)


def cool_off(request: Any = None) -> dt.timedelta:
    username = ""
    if request is not None:
        username = (getattr(request, "POST", None) or {}).get("username", "") or ""
    if not username:
        return WINDOW
    failures = (
        AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))[
            "n"
        ]
        or 0
    )
    return UNTIL_UNLOCKED if failures >= settings.AXES_FAILURE_LIMIT else WINDOW
