"""Identity use cases: the caller's scope, API tokens, and the audit chain.

Services never open transactions of their own except the audit writer's savepoint, which makes
an audit entry commit or roll back together with the write it records.
"""

import contextlib
import contextvars
import datetime as dt
import hashlib
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
from django.db.models import Q, QuerySet

from precinct.core import clock
from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role, Scope
from precinct.org import services as org_services

from . import rules
from .models import ApiToken, AuditEntry, AuditHead, User


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
REDACTED_FIELDS = {"password", "digest", "id_number", "caller_phone"}
# Bulky derived content the audit log refers to instead of copying (its digest is recorded).
SUMMARISED_FIELDS = {("merit.monthclose", "data"), ("geo.roadnetwork", "data")}


def _fingerprint(value: object) -> str:
    """A secret's stand-in in the log: shows that it changed, reveals nothing of it."""
    return "<redacted:" + hashlib.sha256(str(value).encode()).hexdigest()[:12] + ">"


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
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
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
    use are closed); each change is audited like any write. Returns the usernames, sorted."""
    out = []
    for user in User.objects.filter(is_active=True).order_by("username"):
        if rules.is_idle(user.last_login, user.date_joined, now, days):
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


def caller(request: Any) -> Scope:
    """The signed-in caller's scope, set by the access middleware before any view runs."""
    scope = getattr(request, "caller", None)
    if not isinstance(scope, Scope):
        raise PermissionError(
            "no caller scope on this request: is the access middleware installed?"
        )
    return scope
