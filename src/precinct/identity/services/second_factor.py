"""The second factor (an authenticator and recovery codes, enrolment codes), password age."""

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from precinct.common import transactions
from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role

from .. import lockout, rules
from ..models import EnrolmentCode, OtpDevice, RecoveryCode, User
from .audit import record


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


# --- enrolment codes (ADR 0035) -------------------------------------------------------------
ENROLMENT_CODE_VALID = dt.timedelta(hours=72)
ENROLMENT_CODE_TRIES = 5  # wrong guesses that spend the account's outstanding code
NO_ENROLMENT_CODE = _(
    "the enrolment code is not right, used already or expired: ask the system administrator "
    "for a new one"
)


def _local(when: dt.datetime) -> str:
    """A time as the audit log shows it: the bureau's, to the minute."""
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def _enrolment_digest(code: str) -> str:
    return rules.recovery_digest(code)  # the same shape and normalisation as a recovery code


def _live_codes(user: User, now: dt.datetime) -> Any:
    return EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now)


@transactions.inside
def issue_enrolment_code(user: User, *, now: dt.datetime, issued_by: str = "") -> str:
    """A new enrolment code for ``user`` (the system administrator's, on the accounts page or the
    command line), valid for 72 hours; earlier unused codes are withdrawn. The plaintext is
    returned once and never stored."""
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
    code = rules.new_recovery_codes(1)[0]
    issued = EnrolmentCode.objects.create(
        user=user,
        digest=_enrolment_digest(code),
        issued_by=issued_by,
        issued_at=now,
        expires_at=now + ENROLMENT_CODE_VALID,
    )
    record(
        "enrolment_code_issued",
        object_type="identity.user",
        object_id=str(user.pk),
        detail={"username": user.username, "expires_at": _local(issued.expires_at)},
    )
    return code


def pending_enrolment_code(user: User, *, now: dt.datetime) -> EnrolmentCode | None:
    """The account's outstanding enrolment code (its expiry is shown; the code never is)."""
    return _live_codes(user, now).order_by("-issued_at").first()


@dataclass(frozen=True)
class EnrolmentStart:
    """What typing an enrolment code gave: the code's id (the enrolment it opens), or the
    ``refusal`` to show."""

    code_id: str = ""
    refusal: ValidationFailed | None = None


@transactions.inside
def open_enrolment(user: User, code: str, *, now: dt.datetime) -> EnrolmentStart:
    """Check an enrolment code typed at the set-up step. A wrong one counts against the account's
    outstanding code, which five wrong guesses spend; each refusal is audited. The refusal is
    returned, not raised, so that the count commits with the caller's transaction."""
    live = list(_live_codes(user, now).select_for_update())
    digest = _enrolment_digest(code)
    for candidate in live:
        if hmac.compare_digest(candidate.digest, digest):
            return EnrolmentStart(code_id=str(candidate.pk))
    for candidate in live:
        candidate.failures += 1
        if candidate.failures >= ENROLMENT_CODE_TRIES:
            candidate.used_at = now  # spent by guessing: the administrator issues another
        candidate.save(update_fields=["failures", "used_at"])
    record(
        "enrolment_code_refused",
        object_type="identity.user",
        object_id=str(user.pk),
        detail={"username": user.username},
    )
    return EnrolmentStart(
        refusal=ValidationFailed([FieldError("enrolment_code", NO_ENROLMENT_CODE)])
    )


def new_secret() -> str:
    """A new authenticator secret, for one session's enrolment only (kept in that session)."""
    return rules.new_totp_secret()


def provisioning_uri(secret: str, username: str) -> str:
    return rules.provisioning_uri(secret, username, settings.OTP_ISSUER)


WRONG_CODE = _("the code is not right (or was used already): wait for the next code and try again")
LOCKED = _(
    "too many wrong codes: the authenticator is locked for a while; try again later or ask the "
    "system administrator"
)


@transactions.inside
def confirm_enrolment(
    user: User, *, code_id: str, secret: str, code: str, now: dt.datetime
) -> list[str]:
    """Enrol the authenticator whose ``secret`` this session showed, with its first ``code``,
    spending the enrolment code ``code_id`` that opened the enrolment. The new authenticator
    replaces any earlier one, and new recovery codes (returned, shown once) the earlier ones."""
    issued = (
        EnrolmentCode.objects.select_for_update()
        .filter(pk=code_id, user=user, used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if issued is None:
        raise ValidationFailed([FieldError("code", NO_ENROLMENT_CODE)])
    check = rules.check_totp(secret, code, now, 0)
    if not check.ok:
        raise ValidationFailed([FieldError("code", WRONG_CODE)])
    assert check.step is not None
    issued.used_at = now
    issued.save(update_fields=["used_at"])
    replaced = OtpDevice.objects.filter(user=user).exists()
    OtpDevice.objects.filter(user=user).delete()
    OtpDevice.objects.create(user=user, secret=secret, confirmed_at=now, last_step=check.step)
    record(
        "otp_enrolled",
        object_type="identity.user",
        object_id=str(user.pk),
        detail={"replaced": replaced},
    )
    return _replace_recovery_codes(user)


def _replace_recovery_codes(user: User) -> list[str]:
    codes = rules.new_recovery_codes()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, digest=rules.recovery_digest(c)) for c in codes]
    )
    return codes


@transactions.inside
def new_recovery_codes(user: User) -> list[str]:
    """A fresh set of recovery codes (the old ones stop working); a privileged action."""
    if confirmed_device(user) is None:
        raise ValidationFailed([FieldError("code", _("enrol an authenticator first"))])
    codes = _replace_recovery_codes(user)
    record("recovery_codes_renewed", object_type="identity.user", object_id=str(user.pk))
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@dataclass(frozen=True)
class Verdict:
    """What a second-factor code was: ``how`` it signed in ("totp", "recovery"), or the
    ``refusal`` to show."""

    how: str = ""
    refusal: ValidationFailed | None = None


@transactions.inside
def verify_second_factor(user: User, code: str, *, now: dt.datetime) -> Verdict:
    """Check a code from the user's authenticator, or one of his recovery codes. A TOTP code is
    accepted once only; every fifth wrong code in a row locks the authenticator for a while (15
    minutes, doubled for each lock since the last code accepted, at most a day: ADR 0035). Every
    outcome is audited. A refusal is returned, not raised: the failure it counts commits with the
    caller's transaction (a raised error would undo the count, and the lock with it)."""
    device = (
        OtpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        return Verdict(
            refusal=ValidationFailed([FieldError("code", _("no authenticator is enrolled"))])
        )
    if device.locked_until is not None and now < device.locked_until:
        return Verdict(refusal=ValidationFailed([FieldError("code", LOCKED)]))
    if rules.looks_like_recovery_code(code):
        used = (
            RecoveryCode.objects.select_for_update()
            .filter(user=user, digest=rules.recovery_digest(code), used_at__isnull=True)
            .first()
        )
        if used is not None:
            used.used_at = now
            used.save(update_fields=["used_at"])
            _accepted(device)
            record(
                "recovery_code_used",
                object_type="identity.user",
                object_id=str(user.pk),
                detail={"left": recovery_codes_left(user)},
            )
            return Verdict(how="recovery")
        problem = "wrong recovery code"
    else:
        check = rules.check_totp(device.secret, code, now, device.last_step)
        if check.ok:
            assert check.step is not None
            device.last_step = check.step
            _accepted(device, "last_step")
            record("otp_verified", object_type="identity.user", object_id=str(user.pk))
            return Verdict(how="totp")
        problem = check.problem
    device.failures += 1
    locked = device.failures % rules.OTP_MAX_FAILURES == 0
    if locked:
        earlier = device.failures // rules.OTP_MAX_FAILURES - 1
        device.locked_until = now + lockout.lock_delay(earlier)
        device.save(update_fields=["failures", "locked_until"])
    else:
        device.save(update_fields=["failures"])
    record(
        "otp_failed",
        object_type="identity.user",
        object_id=str(user.pk),
        detail={"problem": problem, "failures": device.failures},
    )
    if locked:
        assert device.locked_until is not None
        record(
            "otp_locked",
            object_type="identity.user",
            object_id=str(user.pk),
            detail={"until": _local(device.locked_until)},
        )
    return Verdict(refusal=ValidationFailed([FieldError("code", LOCKED if locked else WRONG_CODE)]))


def _accepted(device: OtpDevice, *fields: str) -> None:
    """A right code: the wrong ones in a row are forgotten, and so is a lock that has run out."""
    device.failures = 0
    changed = ["failures", *fields]
    if device.locked_until is not None:
        device.locked_until = None
        changed.append("locked_until")
    device.save(update_fields=changed)


@transactions.inside
def unlock_second_factor(user: User) -> bool:
    """An administrator's unlock of an authenticator locked by wrong codes (the phone is not lost:
    no new enrolment). Returns whether it was locked."""
    device = OtpDevice.objects.select_for_update().filter(user=user).first()
    if device is None or (device.failures == 0 and device.locked_until is None):
        return False
    device.failures, device.locked_until = 0, None
    device.save(update_fields=["failures", "locked_until"])
    return True


@transactions.inside
def reset_second_factor(user: User) -> None:
    """An administrator's reset after a lost phone: the user enrols again, with an enrolment code
    the administrator issues. Recovery codes go with the authenticator."""
    OtpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record("otp_reset", object_type="identity.user", object_id=str(user.pk))


def password_expired(user: User, *, now: dt.datetime) -> bool:
    """Whether the password must be changed before any page opens: older than the bureau
    allows, or a one-time password an approval set."""
    return user.password_temporary or rules.password_expired(
        user.password_changed_at, user.date_joined, now, settings.PASSWORD_MAX_AGE_DAYS
    )
