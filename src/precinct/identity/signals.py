"""Every write and every login goes into the audit chain."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from precinct.common.audit import record_exported, record_viewed

from . import services
from .middleware import client_ip, mark_authenticated

AUDITED_APPS = {
    "org",
    "identity",
    "cases",
    "merit",
    "supervision",
    "command",
    "campaigns",
    "planning",
    "geo",
    "jobs",  # who started which long work (its effects are audited as they are written)
}
# The audit chain itself, and derived data that the engine recomputes from audited events.
NOT_AUDITED = {
    "identity.auditentry",
    "identity.audithead",
    "supervision.finding",
    "supervision.findingdigest",
    "command.incidentcounter",  # bookkeeping of numbers; the incident itself is audited
    "identity.recoverycode",  # audited as recovery_codes_renewed / recovery_code_used / otp_reset
    "identity.enrolmentcode",  # audited as enrolment_code_issued / _refused / otp_enrolled
    "geo.trackpoint",  # telemetry (ADR 0015): the profile learned from it is audited
}
QUIET_UPDATES = {
    frozenset({"last_login"}),
    frozenset({"last_used_at"}),
    # an authenticator's step and failure count: each check is audited as otp_verified/otp_failed
    frozenset({"last_step", "failures"}),
    frozenset({"failures"}),
}


# What an API token's account is read with (services.user_for_token keeps it a second): a write
# to any of them in this process is seen by the next request at once.
TOKEN_ACCOUNT_MODELS = {"identity.user", "identity.apitoken", "org.unit"}


@receiver(post_save)
@receiver(post_delete)
def _forget_tokens(sender: type[models.Model], **kwargs: Any) -> None:
    if sender._meta.label_lower in TOKEN_ACCOUNT_MODELS:
        services.forget_tokens()


def _audited(sender: type[models.Model]) -> bool:
    meta = sender._meta
    return meta.app_label in AUDITED_APPS and meta.label_lower not in NOT_AUDITED


@receiver(pre_save)
def _remember_before(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _audited(sender) or kwargs.get("raw"):
        return
    before = None
    if not instance._state.adding and instance.pk is not None:
        old = sender._default_manager.filter(pk=instance.pk).first()
        before = services.snapshot(old) if old is not None else None
    instance._audit_before = before  # type: ignore[attr-defined]


@receiver(post_save)
def _record_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if not _audited(sender) or kwargs.get("raw"):
        return
    fields = kwargs.get("update_fields")
    if fields and frozenset(fields) in QUIET_UPDATES:
        return
    before = getattr(instance, "_audit_before", None)
    services.record_write(
        "create" if created else "update", instance, before, services.snapshot(instance)
    )


@receiver(post_delete)
def _record_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if _audited(sender):
        services.record_write("delete", instance, services.snapshot(instance), None)


def _ip(request: HttpRequest | None) -> str:
    return client_ip(request) if request is not None else ""


@receiver(user_logged_in)
def _login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mark_authenticated(request, second_factor=False)
    services.record(
        "login",
        object_type="identity.user",
        object_id=str(user.pk),
        actor=services.actor_for(user, _ip(request)),
    )


@receiver(user_logged_out)
def _logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.record(
            "logout",
            object_type="identity.user",
            object_id=str(user.pk),
            actor=services.actor_for(user, _ip(request)),
        )


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    services.record(
        "login_failed",
        object_type="identity.user",
        detail={"username": username},
        actor=services.Actor(username=username or "anonymous", ip=_ip(request)),
    )


@receiver(user_locked_out)
def _locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    services.record(
        "account_locked",
        object_type="identity.user",
        detail={"username": username or ""},
        actor=services.Actor(username=username or "anonymous", ip=_ip(request)),
    )


@receiver(record_viewed)
def _record_view(
    sender: Any, object_type: str, object_id: str, bureau_id: str, **kwargs: Any
) -> None:
    services.record("view", object_type=object_type, object_id=object_id, bureau_id=bureau_id)


@receiver(record_exported)
def _record_export(
    sender: Any, object_type: str, bureau_id: str, detail: dict[str, Any], **kwargs: Any
) -> None:
    """An app exported records (common/audit.py): one entry naming what the export held."""
    services.record("export", object_type=object_type, detail=detail, bureau_id=bureau_id)
