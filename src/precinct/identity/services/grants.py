"""三员分立, separation of duties (issue 18, V7, ADR 0036): who may get which access is decided by
two people.

A system administrator keeps the accounts; he *asks* for a role, a bureau, a unit or an officer
link for an account, or for a reset of its password. A security administrator decides: only his
approval changes the account. Nobody asks for his own account, nobody decides a request about his
own account or one he made himself; so no single account can make itself, or another account,
able to read citizens' data.

A password that an approval sets (a new account's first one, a reset) is made here and shown once
to the approving security administrator, who hands it to the holder: the system administrator who
asked never knows it, and the second factor (re-enrolled only with the system administrator's
enrolment code) is not in the security administrator's hands — it takes both to sign in as
somebody else.
"""

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet

from precinct.common import transactions
from precinct.core import capabilities as can
from precinct.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role, Scope

from ..models import AccessRequest, User

REASON_MAX = 200
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - letters, not a secret
PASSWORD_GROUPS = 4  # k7hq-2mx4-ptab-9wzr: 19 characters, about 79 random bits


@dataclass(frozen=True)
class Access:
    """What an account may reach: its role, and the bureau, unit and officer it is scoped by."""

    role: str
    bureau_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    officer_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Decided:
    request: AccessRequest
    password: str = ""  # the one-time password the approval set, to be shown once; else ""


def access_of(user: User) -> Access:
    return Access(user.role, user.bureau_id, user.unit_id, user.officer_id)


def one_time_password() -> str:
    return "-".join(
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4))
        for _ in range(PASSWORD_GROUPS)
    )


def _require(scope: Scope, capability: frozenset[Role]) -> tuple[uuid.UUID, uuid.UUID]:
    """The caller's bureau and account, when his role has the capability."""
    if scope.role not in capability or scope.bureau_id is None or scope.user_id is None:
        raise PermissionDenied("this role may not ask for or decide access")
    return scope.bureau_id, scope.user_id


def _account(bureau_id: uuid.UUID, me: uuid.UUID, user_id: uuid.UUID) -> User:
    user = User.objects.filter(pk=user_id, bureau_id=bureau_id).first()
    if user is None:
        raise NotFound("user")
    if user.pk == me:
        raise PermissionDenied("nobody asks for access for his own account")
    return user


def _check_access(user: User, access: Access) -> None:
    errors = []
    if access.role not in {r.value for r in Role}:
        errors.append(FieldError("role", _("unknown role")))
    if (
        access.officer_id is not None
        and User.objects.filter(officer_id=access.officer_id).exclude(pk=user.pk).exists()
    ):
        errors.append(
            FieldError("police_number", _("this officer has an account of his own already"))
        )
    if errors:
        raise ValidationFailed(errors)


def _withdraw(user: User, kind: str, *, now: dt.datetime) -> None:
    """A new request replaces the one still waiting for the same account and kind."""
    for old in AccessRequest.objects.filter(user=user, kind=kind, state="pending"):
        old.state, old.decided_at = "withdrawn", now
        old.save(update_fields=["state", "decided_at"])


@transactions.inside
def request_access(
    scope: Scope, *, user_id: uuid.UUID, access: Access, new_account: bool = False, now: dt.datetime
) -> AccessRequest:
    """Ask that an account get ``access`` (its role, bureau, unit, officer). Nothing changes on
    the account until a security administrator approves; a new account stays closed until then."""
    bureau_id, me = _require(scope, can.ACCESS_REQUESTERS)
    user = _account(bureau_id, me, user_id)
    _check_access(user, access)
    _withdraw(user, "access", now=now)
    return AccessRequest.objects.create(
        user=user,
        kind="access",
        role=access.role,
        bureau_id=access.bureau_id,
        unit_id=access.unit_id,
        officer_id=access.officer_id,
        new_account=new_account,
        requested_by_id=me,
        requested_at=now,
    )


def request_password_reset(scope: Scope, *, user_id: uuid.UUID, now: dt.datetime) -> AccessRequest:
    """Ask for a new password for an account (its holder forgot his). The password changes only
    when a security administrator approves, and only he sees the new one."""
    bureau_id, me = _require(scope, can.ACCESS_REQUESTERS)
    user = _account(bureau_id, me, user_id)
    if not user.has_usable_password():
        raise ValidationFailed(
            [FieldError("password", _("the account gets its first password when its access is approved"))]
        )  # fmt: skip
    waiting = AccessRequest.objects.filter(user=user, kind="password", state="pending").first()
    if waiting is not None:
        return waiting
    return AccessRequest.objects.create(
        user=user,
        kind="password",
        bureau_id=user.bureau_id,
        requested_by_id=me,
        requested_at=now,
    )


def access_requests(scope: Scope) -> QuerySet[AccessRequest]:
    """The requests about the accounts of the caller's bureau, newest first: for those who ask
    and those who decide."""
    bureau_id, _me = _require(scope, can.ACCESS_REQUESTERS | can.ACCESS_APPROVERS)
    return (
        AccessRequest.objects.filter(user__bureau_id=bureau_id)
        .select_related("user", "unit", "requested_by", "decided_by")
        .order_by("-requested_at", "id")
    )


def pending_count(scope: Scope) -> dict[str, int]:
    """The security administrator's home: requests waiting, of each kind."""
    waiting = access_requests(scope).filter(state="pending")
    return {
        "access": waiting.filter(kind="access").count(),
        "password": waiting.filter(kind="password").count(),
    }


@transactions.inside
def decide(
    scope: Scope, request_id: uuid.UUID, *, approve: bool, reason: str = "", now: dt.datetime
) -> Decided:
    """Approve or reject a waiting request. Only a security administrator decides, never about his
    own account nor a request he made; a rejection says why. The decision is audited with the
    request (and the account's change with the account)."""
    bureau_id, me = _require(scope, can.ACCESS_APPROVERS)
    request = (
        AccessRequest.objects.select_for_update()
        .filter(pk=request_id, state="pending", user__bureau_id=bureau_id)
        .first()
    )
    if request is None:
        raise NotFound("access request")
    if me in (request.user_id, request.requested_by_id):
        raise PermissionDenied("nobody decides a request about his own account or his own request")
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationFailed([FieldError("reason", _("say why the request is rejected"))])
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            [FieldError("reason", _("at most %(n)s characters"), params={"n": REASON_MAX})]
        )
    password = _carry_out(request) if approve else ""
    request.state = "approved" if approve else "rejected"
    request.decided_by_id, request.decided_at, request.reason = me, now, reason
    request.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    return Decided(request, password)


def _carry_out(request: AccessRequest) -> str:
    """The approved change, made on the account; the one-time password it sets, if any."""
    user = User.objects.select_for_update().get(pk=request.user_id)
    password = ""
    if request.kind == "access":
        access = Access(request.role, request.bureau_id, request.unit_id, request.officer_id)
        _check_access(user, access)
        user.role, user.bureau_id = access.role, access.bureau_id
        user.unit_id, user.officer_id = access.unit_id, access.officer_id
        user.is_staff = Role(access.role) in can.ADMIN_SITE
        user.is_superuser = False
        if request.new_account:
            user.is_active = True
            password = one_time_password()
    else:
        if not user.has_usable_password():
            raise ValidationFailed(
                [FieldError("password", _("the account gets its first password when its access is approved"))]
            )  # fmt: skip
        password = one_time_password()
    if password:
        validate_password(password, user)
        user.set_password(password)
        user.password_temporary = True  # its holder chooses his own at the first sign-in
    user.save()
    return password
