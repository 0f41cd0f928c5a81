"""Account lockout policy for django-axes (ADR 0035): 5 failures within 15 minutes lock the account
for 15 minutes; each further lock within a week lasts twice as long as the one before, at most a
day; the system administrator unlocks sooner (the accounts page, ``precinct accounts unlock``).

Every count and every lock is keyed on the user name as the sign-in form normalises it (surrounding
space stripped, Unicode NFKC: AXES_USERNAME_CALLABLE), so " victim" and "victim" are one account
for the failures, the lock and the lock's length alike; nothing here reads the raw form field.

How it sits on axes: axes counts failures in a sliding 15-minute window (``cool_off``) and, at the
fifth, records the failure that locked in its failure log (AXES_ENABLE_ACCESS_FAILURE_LOG). The
lock's length comes from that log: the locking failures of the week before it (``locked_until``).
:class:`LockoutHandler` holds the lock for that long and keeps the account's failure records as
long (the accounts page reads them); tries during a lock are refused without being recorded
(AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off), so they do not prolong it.
"""

import datetime as dt
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from django.conf import settings
from django.contrib.auth.forms import UsernameField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .rules import FIRST_LOCK, lock_delay

WINDOW = dt.timedelta(minutes=15)  # failures within this count towards a lock
MEMORY = dt.timedelta(days=7)  # earlier locks within this make the next one longer


def normal_username(raw: object) -> str:
    """The user name as the sign-in form reads it (Django's UsernameField: stripped, NFKC)."""
    if raw is None:
        return ""
    return str(UsernameField().to_python(str(raw)) or "")


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the name axes counts and locks, normalised."""
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    if credentials:
        return normal_username(credentials.get(field))
    return normal_username((getattr(request, "POST", None) or {}).get(field))


def cool_off(request: Any = None) -> dt.timedelta:
    """AXES_COOLOFF_TIME: the window in which failures count (the same for every account)."""
    return WINDOW


def _now(request: Any = None) -> dt.datetime:
    return getattr(request, "axes_attempt_time", None) or timezone.now()


def locked_until(username: str, now: dt.datetime) -> dt.datetime | None:
    """When the account's lock ends, or None when it is not locked now."""
    username = normal_username(username)
    if not username:
        return None
    # (the log stamps a failure when it writes it, a little after axes's attempt time)
    locks = AccessFailureLog.objects.filter(username=username, locked_out=True)
    last = locks.order_by("-attempt_time").first()
    if last is None:
        return None
    started = last.attempt_time
    earlier = locks.filter(attempt_time__lt=started, attempt_time__gte=started - MEMORY).count()
    until = started + lock_delay(earlier)
    if now >= until:
        return None
    # the lock's failure records are kept while it lasts: gone, an administrator reset them
    if not AccessAttempt.objects.filter(username=username).exists():
        return None
    return until


class LockoutHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes's database handler, with the lock held as long as ``locked_until`` says."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return locked_until(axes_username(request, credentials), _now(request)) is not None

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        refused_while_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request, **kwargs)
        if (
            request is None
            or refused_while_locked
            or not getattr(request, "axes_locked_out", False)
        ):
            return
        # this failure locked the account: its failure records are kept while the lock lasts
        username = axes_username(request, credentials)
        until = locked_until(username, timezone.now())
        if until is not None:
            AccessAttemptExpiration.objects.filter(access_attempt__username=username).update(
                expires_at=until
            )


def forget(username: str) -> int:
    """An administrator's unlock: the account's failures and its earlier locks are forgotten (the
    audit chain keeps every one), so the next lock is a first lock again. Returns the failures
    forgotten."""
    username = normal_username(username)
    attempts = AccessAttempt.objects.filter(username=username)
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    attempts.delete()
    AccessFailureLog.objects.filter(username=username, locked_out=True).delete()
    return failures


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the locked page, saying until when (in the bureau's time), 429 with
    Retry-After. It names neither the account nor whether it exists."""
    now = _now(request)
    until = locked_until(axes_username(request, credentials), now)
    wait = (until - now) if until is not None else FIRST_LOCK
    response = render(
        request,
        "web/locked_out.html",
        {"until": timezone.localtime(until) if until is not None else None},
        status=int(getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)),
    )
    response["Retry-After"] = str(max(int(wait.total_seconds()), 1))
    return response
