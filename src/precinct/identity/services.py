"""Identity use cases: the caller's scope, API tokens, and the audit chain.

Services never open transactions of their own except the audit writer's savepoint, which makes
an audit entry commit or roll back together with the write it records.
"""

import contextlib
import contextvars
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Max, Q, QuerySet

from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role, Scope
from precinct.org import services as org_services

from . import rules
from .models import ApiToken, AuditEntry, AuditHead, OtpDevice, RecoveryCode, User


# --- who is acting ------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    username: str = ""
    user_id: str = ""
    role: str = ""
    bureau_id: str = ""
    ip: str = ""


SYSTEM_ACTOR = Actor(username="system", role="system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "precinct_actor", default=SYSTEM_ACTOR
)


def actor_for(user: Any, ip: str = "") -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(username="anonymous", ip=ip)
    return Actor(
        username=user.username,
        user_id=str(user.pk),
        role=user.role,
        bureau_id=str(user.bureau_id or ""),
        ip=ip,
    )


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get()


def scope_for(user: User) -> Scope:
    role = Role(user.role)
    path = org_services.unit_path(user.unit_id) if user.unit_id else None
    if role == Role.UNIT_CHIEF and path is None:
        # A unit chief without a unit sees nothing rather than everything.
        path = "\x00nothing/"
    return Scope(
        user_id=user.pk,
        role=role,
        bureau_id=user.bureau_id,
        unit_id=user.unit_id,
        unit_path=path,
        officer_id=user.officer_id,
        today=clock.today(settings.TIME_ZONE),
    )


def scope_for_username(username: str) -> Scope:
    """The scope of an active account, for work done on its behalf outside a request (the demo
    replay acts as the command centre's dispatcher)."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("user")
    return scope_for(user)


# --- audit --------------------------------------------------------------------------------
# Secrets, citizens' identity numbers and callers' telephone numbers appear in the log only as
# fingerprints.
REDACTED_FIELDS = {"password", "digest", "secret", "id_number", "caller_phone"}
# Bulky derived content the audit log refers to instead of copying (its digest is recorded).
SUMMARISED_FIELDS = {("merit.monthclose", "data"), ("geo.roadnetwork", "data")}


def _fingerprint(value: object) -> str:
    """A secret's stand-in in the log: shows that it changed, reveals nothing of it. Keyed (HMAC
    under the audit key, kept outside the database): a telephone or identity number has so few
    possible values that a plain hash of it is reversed by hashing them all."""
    digest = hmac.new(audit_key(), str(value).encode(), hashlib.sha256).hexdigest()
    return "<redacted:" + digest[:12] + ">"


def snapshot(instance: models.Model) -> dict[str, Any]:
    """JSON-safe values of a row's concrete fields; secrets replaced by a marker."""
    out: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        value = f.value_from_object(instance)
        if (instance._meta.label_lower, f.name) in SUMMARISED_FIELDS:
            value = "(not copied: identified by the row's digest)"
        elif f.name in REDACTED_FIELDS:
            value = _fingerprint(value) if value else ""
        elif isinstance(value, models.fields.files.FieldFile):
            value = value.name or ""
        out[f.attname] = value
    return json.loads(json.dumps(out, cls=DjangoJSONEncoder))


def audit_key() -> bytes:
    """The chain's MAC key. It lives outside the database (environment or var/), never in it."""
    return settings.AUDIT_KEY


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    bureau_id: str = "",
    actor: Actor | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction (so it commits or rolls back with the
    change it records) and link it into the chain once that transaction commits. No lock is taken
    here: business transactions never wait on the audit chain, and cannot deadlock on it."""
    return record_many(
        action,
        object_type=object_type,
        items=[(object_id, detail or {})],
        bureau_id=bureau_id,
        actor=actor,
    )[0]


def record_many(
    action: str,
    *,
    object_type: str,
    items: list[tuple[str, dict[str, Any]]],
    bureau_id: str = "",
    actor: Actor | None = None,
) -> list[AuditEntry]:
    """:func:`record` for many objects of one kind at once, (object id, detail) each: one
    statement, for the bulk passes (a sweep opening tickets)."""
    if not items:
        return []
    who = actor or current_actor()
    at = clock.now()
    entries = AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                at=at,
                actor=who.username,
                actor_id=who.user_id,
                role=who.role,
                bureau_id=bureau_id or who.bureau_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                ip=who.ip,
                detail=json.loads(json.dumps(detail, cls=DjangoJSONEncoder)),
            )
            for object_id, detail in items
        ],
        batch_size=500,
    )
    transaction.on_commit(link_pending, robust=True)
    return entries


class AuditChainBroken(Exception):
    """The chain cannot be extended because its head is gone."""


def link_pending(batch: int = 2000) -> int:
    """Link every committed, unlinked entry into the chain, in the order they were written.
    Serialised by the head row lock; safe to run from any process at any time."""
    key, linked = audit_key(), 0
    while True:
        with transaction.atomic():
            head = AuditHead.objects.select_for_update().filter(pk=1).first()
            if head is None:
                if AuditEntry.objects.filter(seq__isnull=False).exists():
                    raise AuditChainBroken("the chain head is missing: deleted?")
                head = AuditHead.objects.create(pk=1, seq=0, hash=rules.GENESIS)
            pending = list(AuditEntry.objects.filter(seq__isnull=True).order_by("at", "id")[:batch])
            seq, prev = head.seq, head.hash
            for entry in pending:
                seq += 1
                entry.seq, entry.prev_hash = seq, prev
                entry.hash = rules.entry_hash(key, prev, entry.chain_fields())
                entry.save(update_fields=["seq", "prev_hash", "hash"])
                prev = entry.hash
            if pending:
                AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
        linked += len(pending)
        if len(pending) < batch:
            return linked


def record_write(
    action: str, instance: models.Model, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    changes = rules.diff(before, after)
    changes.pop("updated_at", None)  # bookkeeping, not a change of substance
    if action == "update" and not changes:
        return
    bureau = (after or before or {}).get("bureau_id") or ""
    record(
        action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        detail={"changes": changes} if action == "update" else {"row": after or before},
        bureau_id=str(bureau),
    )


def verify_audit_chain(batch: int = 5000) -> tuple[int, rules.ChainBreak | None]:
    """Link what is pending, then walk the chain up to the head read at the start; return (entries
    checked, first break or None). Entries written while it runs are left for the next run."""
    try:
        link_pending()
    except AuditChainBroken as exc:
        return 0, rules.ChainBreak(1, str(exc))
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        return 0, rules.ChainBreak(1, "the chain head is missing: deleted?")
    key, checked, seq, prev = audit_key(), 0, 1, rules.GENESIS
    while seq <= head.seq:
        rows = list(
            AuditEntry.objects.filter(seq__gte=seq, seq__lte=head.seq).order_by("seq")[:batch]
        )
        if not rows:
            break
        chain = [rules.ChainRow(r.seq or 0, r.prev_hash, r.hash, r.chain_fields()) for r in rows]
        broken = rules.verify_chain(chain, key, start_seq=seq, start_hash=prev)
        if broken is not None:
            return checked + (broken.seq - seq), broken
        checked += len(rows)
        seq, prev = (rows[-1].seq or 0) + 1, rows[-1].hash
    if seq <= head.seq or prev != head.hash:
        return checked, rules.ChainBreak(
            seq, f"the chain head says #{head.seq} but the log ends at #{seq - 1}: entries removed"
        )
    return checked, None


def audit_entries(
    *,
    object_id: str = "",
    actor: str = "",
    action: str = "",
    limit: int = 100,
    before_seq: int | None = None,
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.order_by("-at", "-id")
    if object_id:
        qs = qs.filter(Q(object_id=object_id) | Q(detail__icontains=object_id))
    if actor:
        qs = qs.filter(actor=actor)
    if action:
        qs = qs.filter(action=action)
    if before_seq is not None:
        qs = qs.filter(seq__lt=before_seq)
    return qs[:limit]


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
) -> User:
    user = User(
        username=username,
        role=role.value,
        bureau_id=bureau_id,
        unit_id=unit_id,
        officer_id=officer_id,
        first_name=display_name,
        is_staff=role in {Role.SYSADMIN, Role.POLITICAL_DEPT},
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed([FieldError("password", m) for m in exc.messages]) from exc
    user.set_password(password)
    user.save()
    return user


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


# --- second factor, password age, re-authentication --------------------------------------------
def otp_required(user: User, ip: str) -> bool:
    """Whether this sign-in needs a second factor: every account, unless the bureau exempts the
    user's role when it signs in from the secured room's networks."""
    if not settings.OTP_REQUIRED:
        return False
    return not rules.otp_exempt(
        Role(user.role), ip, settings.OTP_EXEMPT_ROLES, settings.OTP_EXEMPT_NETWORKS
    )


def confirmed_device(user: User) -> OtpDevice | None:
    return OtpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def start_enrolment(user: User) -> OtpDevice:
    """The authenticator being enrolled: a new secret, or the one shown before and not yet
    confirmed. A confirmed authenticator is replaced only by an administrator's reset."""
    device = OtpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise ValidationFailed([FieldError("code", _("an authenticator is already enrolled"))])
    if device is None:
        device = OtpDevice.objects.create(user=user, secret=rules.new_totp_secret())
    return device


def provisioning_uri(device: OtpDevice) -> str:
    return rules.provisioning_uri(device.secret, device.user.username, settings.OTP_ISSUER)


WRONG_CODE = _("the code is not right (or was used already): wait for the next code and try again")
LOCKED = _("too many wrong codes: the authenticator is locked; ask the system administrator")


def confirm_enrolment(user: User, code: str, *, now: dt.datetime) -> list[str]:
    """Confirm the authenticator with its first code; returns the recovery codes, shown once."""
    with transaction.atomic():
        device = OtpDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is not None:
            raise ValidationFailed([FieldError("code", _("no authenticator is being enrolled"))])
        check = rules.check_totp(device.secret, code, now, device.last_step)
        if check.ok:
            assert check.step is not None
            device.confirmed_at, device.last_step, device.failures = now, check.step, 0
            device.save(update_fields=["confirmed_at", "last_step", "failures"])
            record("otp_enrolled", object_type="identity.user", object_id=str(user.pk))
            return _replace_recovery_codes(user)
    raise ValidationFailed([FieldError("code", WRONG_CODE)])


def _replace_recovery_codes(user: User) -> list[str]:
    codes = rules.new_recovery_codes()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, digest=rules.recovery_digest(c)) for c in codes]
    )
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """A fresh set of recovery codes (the old ones stop working); a privileged action."""
    if confirmed_device(user) is None:
        raise ValidationFailed([FieldError("code", _("enrol an authenticator first"))])
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        record("recovery_codes_renewed", object_type="identity.user", object_id=str(user.pk))
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def verify_second_factor(user: User, code: str, *, now: dt.datetime) -> str:
    """Check a code from the user's authenticator, or one of his recovery codes. Returns "totp" or
    "recovery". A TOTP code is accepted once only; wrong codes in a row lock the authenticator.
    Every outcome is audited; a failure is recorded before the error is raised."""
    problem = ""
    with transaction.atomic():
        device = (
            OtpDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            raise ValidationFailed([FieldError("code", _("no authenticator is enrolled"))])
        if device.failures >= rules.OTP_MAX_FAILURES:
            raise ValidationFailed([FieldError("code", LOCKED)])
        if rules.looks_like_recovery_code(code):
            used = (
                RecoveryCode.objects.select_for_update()
                .filter(user=user, digest=rules.recovery_digest(code), used_at__isnull=True)
                .first()
            )
            if used is not None:
                used.used_at = now
                used.save(update_fields=["used_at"])
                device.failures = 0
                device.save(update_fields=["failures"])
                record(
                    "recovery_code_used",
                    object_type="identity.user",
                    object_id=str(user.pk),
                    detail={"left": recovery_codes_left(user)},
                )
                return "recovery"
            problem = "wrong recovery code"
        else:
            check = rules.check_totp(device.secret, code, now, device.last_step)
            if check.ok:
                assert check.step is not None
                device.last_step, device.failures = check.step, 0
                device.save(update_fields=["last_step", "failures"])
                record("otp_verified", object_type="identity.user", object_id=str(user.pk))
                return "totp"
            problem = check.problem
        device.failures += 1
        device.save(update_fields=["failures"])
        record(
            "otp_failed",
            object_type="identity.user",
            object_id=str(user.pk),
            detail={"problem": problem, "failures": device.failures},
        )
        locked = device.failures >= rules.OTP_MAX_FAILURES
        if locked:
            record("otp_locked", object_type="identity.user", object_id=str(user.pk))
    raise ValidationFailed([FieldError("code", LOCKED if locked else WRONG_CODE)])


def reset_second_factor(user: User) -> None:
    """An administrator's reset after a lost phone or a lock: the user enrols again at next
    sign-in. Recovery codes go with the authenticator."""
    with transaction.atomic():
        OtpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        record("otp_reset", object_type="identity.user", object_id=str(user.pk))


def password_expired(user: User, *, now: dt.datetime) -> bool:
    return rules.password_expired(
        user.password_changed_at, user.date_joined, now, settings.PASSWORD_MAX_AGE_DAYS
    )


def caller(request: Any) -> Scope:
    """The signed-in caller's scope, set by the access middleware before any view runs."""
    scope = getattr(request, "caller", None)
    if not isinstance(scope, Scope):
        raise PermissionError(
            "no caller scope on this request: is the access middleware installed?"
        )
    return scope
