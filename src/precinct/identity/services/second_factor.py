"""The second factor (an authenticator and recovery codes), password age."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from precinct.common import transactions
from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role

from .. import rules
from ..models import OtpDevice, RecoveryCode, User
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


@transactions.inside
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


@transactions.inside
def confirm_enrolment(user: User, code: str, *, now: dt.datetime) -> list[str]:
    """Confirm the authenticator with its first code; returns the recovery codes, shown once."""
    device = OtpDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise ValidationFailed([FieldError("code", _("no authenticator is being enrolled"))])
    check = rules.check_totp(device.secret, code, now, device.last_step)
    if not check.ok:
        raise ValidationFailed([FieldError("code", WRONG_CODE)])
    assert check.step is not None
    device.confirmed_at, device.last_step, device.failures = now, check.step, 0
    device.save(update_fields=["confirmed_at", "last_step", "failures"])
    record("otp_enrolled", object_type="identity.user", object_id=str(user.pk))
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
    accepted once only; wrong codes in a row lock the authenticator. Every outcome is audited. A
    refusal is returned, not raised: the failure it counts commits with the caller's transaction
    (a raised error would undo the count, and the lock with it)."""
    device = (
        OtpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        return Verdict(
            refusal=ValidationFailed([FieldError("code", _("no authenticator is enrolled"))])
        )
    if device.failures >= rules.OTP_MAX_FAILURES:
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
            device.failures = 0
            device.save(update_fields=["failures"])
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
            device.last_step, device.failures = check.step, 0
            device.save(update_fields=["last_step", "failures"])
            record("otp_verified", object_type="identity.user", object_id=str(user.pk))
            return Verdict(how="totp")
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
    return Verdict(refusal=ValidationFailed([FieldError("code", LOCKED if locked else WRONG_CODE)]))


@transactions.inside
def reset_second_factor(user: User) -> None:
    """An administrator's reset after a lost phone or a lock: the user enrols again at next
    sign-in. Recovery codes go with the authenticator."""
    OtpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record("otp_reset", object_type="identity.user", object_id=str(user.pk))


def password_expired(user: User, *, now: dt.datetime) -> bool:
    return rules.password_expired(
        user.password_changed_at, user.date_joined, now, settings.PASSWORD_MAX_AGE_DAYS
    )
