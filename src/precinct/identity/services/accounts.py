"""Accounts and API tokens: created, disabled when idle, enabled again; tokens issued and revoked."""

import copy
import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from precinct.core import capabilities as can
from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role

from .. import rules
from ..models import ApiToken, User
from .audit import record


# --- API tokens ---------------------------------------------------------------------------
def create_token(*, username: str, name: str = "") -> tuple[ApiToken, str]:
    """Issue a token; the plaintext is returned once and never stored."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(
            [
                FieldError(
                    "username", _("no active user %(username)s"), params={"username": username}
                )
            ]
        )
    secret, prefix, digest = rules.new_token()
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=digest)
    return token, secret


def revoke_token(*, token_id: uuid.UUID) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


# A token's account, as read from the database, kept this long by each server process: an API
# client asks several times a second, and reading the token, its account and the account's unit
# cost a millisecond of each request (issue 19). A token revoked, or an account disabled or
# changed, in this process is forgotten at once (signals.py); in another process within this
# long, as the live streams notice a sign-out (ADR 0040).
TOKEN_CACHE_SECONDS = 1.0
_TOKENS_KEPT = 10_000
_tokens: dict[str, tuple[float, User]] = {}  # digest -> (when read, monotonic; the account)
_tokens_lock = threading.Lock()


def user_for_token(secret: str) -> User | None:
    """The active account of an unrevoked token, or None. Each caller gets its own copy."""
    if not secret.startswith(rules.TOKEN_PREFIX):
        return None
    digest = rules.token_digest(secret)
    now_m = time.monotonic()
    kept = _tokens.get(digest)
    if kept is not None and now_m - kept[0] < TOKEN_CACHE_SECONDS:
        return copy.copy(kept[1])
    token = (
        ApiToken.objects.select_related("user", "user__unit")  # the unit: for its scope
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if rules.token_use_to_record(token.last_used_at, now):  # not a write on every read
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    with _tokens_lock:
        if len(_tokens) >= _TOKENS_KEPT:
            _tokens.clear()
        _tokens[digest] = (now_m, copy.copy(token.user))
    return token.user


def forget_tokens() -> None:
    """Read every token's account from the database again (a token, an account or a unit was
    written in this process)."""
    with _tokens_lock:
        _tokens.clear()


# --- accounts -----------------------------------------------------------------------------
def create_user(
    *,
    username: str,
    password: str,
    role: Role,
    bureau_id: uuid.UUID | None,
    unit_id: uuid.UUID | None = None,
    officer_id: uuid.UUID | None = None,
    display_name: str = "",
    password_hash: str | None = None,
) -> User:
    """A new account. ``password_hash`` (from ``make_password``) stands for ``password`` when
    many accounts share one password already checked (the demo's crews): hashed once, not
    validated and hashed again for each."""
    user = User(
        username=username,
        role=role.value,
        bureau_id=bureau_id,
        unit_id=unit_id,
        officer_id=officer_id,
        first_name=display_name,
        is_staff=role in can.ADMIN_SITE,
    )
    if password_hash is not None:
        user.password, user.password_changed_at = password_hash, clock.now()
        user.save()
        return user
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed([FieldError("password", m) for m in exc.messages]) from exc
    user.set_password(password)
    user.save()
    return user


def display_names(usernames: Iterable[str]) -> dict[str, str]:
    """What a page shows for each account (its display name, else the username)."""
    wanted = set(usernames) - {""}
    found = dict(User.objects.filter(username__in=wanted).values_list("username", "first_name"))
    return {name: found.get(name) or name for name in wanted}


def disable_idle_accounts(*, now: dt.datetime, days: int) -> list[str]:
    """Disable the active accounts unused for ``days`` days (CJIS 5.5.1, MLPS: accounts not in
    use are closed): neither signed in nor used through an API token (a gateway account never signs
    in on a page). Each change is audited like any write. Returns the usernames, sorted."""
    out = []
    users = User.objects.filter(is_active=True).annotate(token_used=Max("api_tokens__last_used_at"))
    for user in users.order_by("username"):
        last_used = max((t for t in (user.last_login, user.token_used) if t), default=None)
        if rules.is_idle(last_used, user.date_joined, now, days):
            user.is_active = False
            user.save(update_fields=["is_active"])
            out.append(user.username)
    return out


def enable_account(*, username: str) -> User:
    """Enable a disabled account again (a sysadmin's decision, from the command line)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound("user")
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def with_locked(users: QuerySet[User], *, now: dt.datetime) -> QuerySet[User]:
    """The accounts annotated ``is_locked``: locked by failed sign-ins now (five in the window;
    the lock lasts 15 minutes, longer when repeated, ADR 0035), which the system administrator
    may unlock sooner. The failure records of a lock are kept while it lasts
    (identity.lockout.LockoutHandler): an account is locked while the live ones reach the limit."""
    from axes.models import AccessAttempt
    from django.conf import settings

    live = (
        AccessAttempt.objects.filter(username=OuterRef("username"))
        .filter(Q(expiration__isnull=True) | Q(expiration__expires_at__gt=now))
        .order_by()
        .values("username")
        .annotate(n=Sum("failures_since_start"))
        .values("n")
    )
    return users.annotate(live_failures=Coalesce(Subquery(live), 0)).annotate(
        is_locked=ExpressionWrapper(
            Q(live_failures__gte=settings.AXES_FAILURE_LIMIT), output_field=BooleanField()
        )
    )


@dataclass(frozen=True)
class AccountRow:
    """One account as the system administrator's accounts page lists it (no business data)."""

    user: User
    enrolled: bool
    locked_until: dt.datetime | None
    authenticator_locked_until: dt.datetime | None
    code_expires_at: dt.datetime | None  # an enrolment code outstanding, until then


def account_rows(
    *, bureau_id: uuid.UUID | None, now: dt.datetime, text: str = "", locked_only: bool = False
) -> list[AccountRow]:
    """The accounts of the administrator's bureau, by user name: whether each has enrolled an
    authenticator, is locked (until when), has an enrolment code outstanding (until when)."""
    from .. import lockout
    from ..models import EnrolmentCode, OtpDevice

    users = with_locked(User.objects.filter(bureau_id=bureau_id), now=now)  # type: ignore[misc]
    if text:
        users = users.filter(Q(username__icontains=text) | Q(first_name__icontains=text))
    devices = {
        d.user_id: d
        for d in OtpDevice.objects.filter(user__in=users, confirmed_at__isnull=False).only(
            "user_id", "locked_until", "confirmed_at"
        )
    }
    codes = dict(
        EnrolmentCode.objects.filter(user__in=users, used_at__isnull=True, expires_at__gt=now)
        .order_by("user_id", "expires_at")
        .values_list("user_id", "expires_at")
    )
    rows = []
    for user in users.order_by("username")[:500]:
        device = devices.get(user.pk)
        held = (
            device.locked_until
            if device and device.locked_until and device.locked_until > now
            else None
        )
        until = lockout.locked_until(user.username, now) if user.is_locked else None  # type: ignore[attr-defined]
        if locked_only and until is None and held is None:
            continue
        rows.append(
            AccountRow(
                user=user,
                enrolled=device is not None,
                locked_until=until,
                authenticator_locked_until=held,
                code_expires_at=codes.get(user.pk),
            )
        )
    return rows


def unlock_account(*, username: str, bureau_id: uuid.UUID | None = None) -> User:
    """The system administrator's unlock (the accounts page, ``precinct accounts unlock``): the
    account's failed sign-ins and earlier locks are forgotten, and an authenticator locked by
    wrong codes opens again. Audited. ``bureau_id``: only an account of that bureau (a page's)."""
    from .. import lockout
    from .second_factor import unlock_second_factor

    name = lockout.normal_username(username)
    users = User.objects.filter(username=name)
    if bureau_id is not None:
        users = users.filter(bureau_id=bureau_id)
    user = users.first()
    if user is None:
        raise NotFound("user")
    failures = lockout.forget(name)
    authenticator = unlock_second_factor(user)
    record(
        "account_unlocked",
        object_type="identity.user",
        object_id=str(user.pk),
        detail={"username": user.username, "failures": failures, "authenticator": authenticator},
    )
    return user


def account_counts(*, now: dt.datetime, bureau_id: uuid.UUID | None = None) -> dict[str, int]:
    """The system administrator's home: active accounts, accounts locked by failed sign-ins
    (five in the window, ADR 0023), API tokens in use — of one bureau's accounts when given (the
    lists the admin shows him)."""
    users = User.objects.all() if bureau_id is None else User.objects.filter(bureau_id=bureau_id)
    tokens = ApiToken.objects.filter(revoked_at__isnull=True, user__in=users)
    return {
        "active": users.filter(is_active=True).count(),
        "locked": with_locked(users, now=now).filter(Q(is_locked=True)).count(),
        "tokens": tokens.count(),
    }
