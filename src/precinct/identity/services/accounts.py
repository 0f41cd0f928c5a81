"""Accounts and API tokens: created, disabled when idle, enabled again; tokens issued and revoked."""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from precinct.core import capabilities as can
from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role

from .. import rules
from ..models import ApiToken, User


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


def user_for_token(secret: str) -> User | None:
    if not secret.startswith(rules.TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=rules.token_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if rules.token_use_to_record(token.last_used_at, now):  # not a write on every read
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


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


def _locked_attempts(now: dt.datetime) -> QuerySet[Any]:
    from axes.models import AccessAttempt
    from django.conf import settings

    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).filter(Q(expiration__isnull=True) | Q(expiration__expires_at__gt=now))


def with_locked(users: QuerySet[User], *, now: dt.datetime) -> QuerySet[User]:
    """The accounts annotated ``is_locked``: locked by failed sign-ins now (five in the window,
    ADR 0023), which the system administrator unlocks."""
    return users.annotate(
        is_locked=Exists(_locked_attempts(now).filter(username=OuterRef("username")))
    )


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
