"""Users (linked to officers), API tokens, and the hash-chained audit log."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from precinct.common.fields import EncryptedCharField
from precinct.core import clock
from precinct.core.ids import uuid7
from precinct.core.scoping import Role

ROLE_LABELS = {
    Role.LEADERSHIP: _("Bureau leadership"),
    Role.POLITICAL_DEPT: _("Political department"),
    Role.LEGAL_SUPERVISION: _("Legal / supervision"),
    Role.COMMAND_CENTRE: _("Command centre"),
    Role.UNIT_CHIEF: _("Unit chief"),
    Role.OFFICER: _("Officer"),
    Role.SYSADMIN: _("System administrator"),
    Role.AUDITOR: _("Auditor"),
    Role.SECURITY_ADMIN: _("Security administrator"),
}


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=[(r.value, ROLE_LABELS[r]) for r in Role],
        default=Role.OFFICER.value,
    )
    bureau = models.ForeignKey(
        "org.Bureau",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bureau"),
    )
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
        help_text=_("The unit whose subtree a unit chief sees."),
    )
    officer = models.OneToOneField(
        "org.Officer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("officer"),
    )

    password_changed_at = models.DateTimeField(
        _("password changed at"), null=True, blank=True, editable=False
    )
    # a one-time password an approval set (known to the security administrator who handed it
    # on): its holder changes it at his first sign-in, before any page opens
    password_temporary = models.BooleanField(
        _("password to be changed at the next sign-in"), default=False, editable=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = clock.now()  # for the password's maximum age
        self.password_temporary = False  # his own now (an approval marks its one-time password)


ACCESS_KINDS = {"access": _("role and scope"), "password": _("password reset")}
ACCESS_STATES = {
    "pending": _("awaiting approval"),
    "approved": _("approved"),
    "rejected": _("rejected"),
    "withdrawn": _("withdrawn"),
}


class AccessRequest(models.Model):
    """三员分立 (issue 18, V7, ADR 0036): a change of an account's access (its role, bureau, unit
    and officer) or a reset of its password, asked for by a system administrator and carried out
    only when a security administrator approves it — never the one who asked, never the holder of
    the account. Kept for good: who asked, who decided, when and why."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="access_requests", verbose_name=_("account")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=list(ACCESS_KINDS.items()), default="access"
    )
    role = models.CharField(
        _("role"), max_length=20, blank=True, choices=[(r.value, ROLE_LABELS[r]) for r in Role]
    )
    bureau = models.ForeignKey(
        "org.Bureau",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bureau"),
    )
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    officer = models.ForeignKey(
        "org.Officer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("officer"),
    )
    new_account = models.BooleanField(_("new account"), default=False)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=list(ACCESS_STATES.items()),
        default="pending",
        db_index=True,
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "id"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")

    def __str__(self) -> str:
        return f"{self.user.username} · {ACCESS_KINDS.get(self.kind, self.kind)}"


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only the sha256 digest is stored."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("label"), max_length=80, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        # its label and its holder: the admin's recent actions list it so (the prefix is a
        # code; the token pages show it where it identifies the token)
        return f"{self.name or _('API token')} · {self.user.username}"


class AuditEntry(models.Model):
    """One entry of the append-only audit log. It is written (without ``seq`` and ``hash``) in the
    same transaction as the change it records, and linked into the chain right after that commits.
    Once linked it is never updated or deleted (a PostgreSQL trigger refuses both)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, blank=True)
    actor_id = models.CharField(max_length=36, blank=True)
    role = models.CharField(max_length=20, blank=True)
    bureau_id = models.CharField(max_length=36, blank=True, db_index=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.CharField(max_length=45, blank=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}"

    def chain_fields(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "actor_id": self.actor_id,
            "role": self.role,
            "bureau_id": self.bureau_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "ip": self.ip,
            "detail": self.detail,
        }


class AuditHead(models.Model):
    """The chain's head, one row, locked (SELECT … FOR UPDATE) by the linker only: one chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class OtpDevice(models.Model):
    """A user's TOTP authenticator (RFC 6238, 30 s steps, 6 digits). One per user; unconfirmed
    until the first code from it is accepted. ``last_step`` is the newest time step accepted, so a
    code can never be used twice; ``failures`` counts wrong codes in a row and locks the device."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="otp_device")
    secret = EncryptedCharField(max_length=64)  # sealed at rest like citizens' numbers (ADR 0022)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0)
    # wrong codes lock the authenticator until then (ADR 0035: a lock that expires)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")

    def __str__(self) -> str:
        return f"TOTP {self.user.username}"


class RecoveryCode(models.Model):
    """A one-time recovery code for a lost authenticator. Only the sha256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_once_per_user")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user.username}"


class EnrolmentCode(models.Model):
    """A one-time code the system administrator issues so that one person can enrol an
    authenticator: the first one, or a new one after a lost phone (ADR 0035). Shown once, only its
    sha256 digest stored; it expires, is spent by the enrolment it opens, and wrong guesses at it
    spend it too. Issuing a new code withdraws the account's earlier unused ones."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    digest = models.CharField(max_length=64, editable=False)
    issued_by = models.CharField(max_length=150, blank=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")

    def __str__(self) -> str:
        return f"enrolment code of {self.user.username}"
