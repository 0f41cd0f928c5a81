"""Account administration for system administrators: accounts, lockouts, tokens, and requests for
roles and passwords. The sysadmin sees no business data and no audit log; he gives no role and
sets no password of anybody's alone: a change of an account's role, bureau, unit or officer, a new
account and a password reset are requests a security administrator decides (三员分立, issue 18,
V7, ADR 0036; ``services.grants``)."""

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from precinct.common import transactions
from precinct.common.admin import RoleScopedAdmin
from precinct.common.pages import reasons
from precinct.core import clock
from precinct.core.capabilities import ACCOUNT_ADMINS, ADMIN_SITE
from precinct.core.errors import DomainError
from precinct.org import services as org_services

from . import services
from .models import AccessRequest, ApiToken, User
from .services import grants
from .services.accounts import with_locked

admin.site.unregister(Group)
for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class OfficerLinkMixin(forms.Form):
    """Links an account to an officer by police number, so the form never lists officers (the
    sysadmin reads no business data); the number must belong to the account's bureau."""

    police_number = forms.CharField(
        label=_("police number"),
        required=False,
        max_length=16,
        help_text=_("The officer this account belongs to (leave empty for none)."),
    )

    def link_officer(self, instance: Any) -> None:
        number = (self.cleaned_data.get("police_number") or "").strip()
        bureau = self.cleaned_data.get("bureau") or getattr(instance, "bureau", None)
        if not number:
            instance.officer_id = None
            return
        found = org_services.officer_ids_by_number(bureau.pk, [number]) if bureau else {}
        if number not in found:
            self.add_error("police_number", _("No officer with this police number in the bureau."))
            return
        taken = User.objects.filter(officer_id=found[number]).exclude(pk=instance.pk).exists()
        if taken:
            self.add_error("police_number", _("This officer has an account of his own already."))
            return
        instance.officer_id = found[number]

    def _drop_unshown_number(self) -> None:
        # The admin shows the number read-only on one's own account (``officer_number``) and
        # leaves the field out of the form: never read it there as "no officer".
        if "police_number" in (self._meta.exclude or ()):  # type: ignore[attr-defined]
            self.fields.pop("police_number", None)


class AccountChangeForm(OfficerLinkMixin, UserChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drop_unshown_number()
        if self.instance.officer_id and "police_number" in self.fields:
            self.fields["police_number"].initial = org_services.police_number_of(
                self.instance.officer_id
            )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if "police_number" in self.fields:
            self.link_officer(self.instance)
        return data


class AccountCreationForm(OfficerLinkMixin, forms.ModelForm):
    """A new account: its name and the access asked for it. No password: the account stays
    closed until a security administrator approves its access, and gets its first password then
    (shown once to him, never to the system administrator)."""

    class Meta:
        model = User
        fields = ("username", "first_name", "role", "bureau", "unit")

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        self.link_officer(self.instance)
        return data


class LockedFilter(admin.SimpleListFilter):
    """The accounts locked by failed sign-ins now: the list the sysadmin unlocks from."""

    title = _("locked")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() not in ("yes", "no"):
            return queryset
        return queryset.filter(Q(is_locked=self.value() == "yes"))  # annotated by the admin


@admin.register(User)
class UserAdmin(RoleScopedAdmin, BaseUserAdmin):
    roles = ACCOUNT_ADMINS
    form = AccountChangeForm
    add_form = AccountCreationForm
    # Django's own add form says "after you've created a user…", a sentence its Chinese
    # catalogues lack; this one says it in words they have.
    add_form_template = "identity/admin/add_form.html"
    list_display = (
        "username", "first_name", "role", "unit", "is_active", "locked", "awaiting", "last_login",
    )  # fmt: skip
    list_filter = ("role", "is_active", LockedFilter)
    search_fields = ("username", "first_name")
    ordering = ("username",)
    ACCESS_NOTE = _(
        "A change of role, bureau, unit or police number is a request: it takes effect when a "
        "security administrator approves it."
    )
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Access"),
            {
                "fields": ("role", "bureau", "unit", "police_number", "is_active"),
                "description": ACCESS_NOTE,
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "first_name", "role", "bureau", "unit", "police_number"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["unlock", "reset_second_factor", "request_password_reset"]

    @admin.display(boolean=True, description=_("locked"), ordering="is_locked")
    def locked(self, obj: User) -> bool:
        return bool(getattr(obj, "is_locked", False))

    @admin.display(boolean=True, description=_("awaiting approval"), ordering="is_awaiting")
    def awaiting(self, obj: User) -> bool:
        return bool(getattr(obj, "is_awaiting", False))

    @admin.display(description=_("police number"))
    def officer_number(self, obj: User) -> str:
        return org_services.police_number_of(obj.officer_id) if obj.officer_id else ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        mine = super().get_queryset(request).filter(bureau_id=request.user.bureau_id)  # type: ignore[union-attr]
        waiting = AccessRequest.objects.filter(user=OuterRef("pk"), state="pending")
        return with_locked(mine, now=clock.now()).annotate(is_awaiting=Exists(waiting))

    def _own(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and obj.pk == request.user.pk

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if self._own(request, obj):
            # Separation of duties: nobody changes their own role, bureau, unit or activation,
            # nor asks for it (issue 18, V10: the police number shown, not the form's field).
            fields += ("role", "bureau", "unit", "officer_number", "police_number", "is_active")
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        sets = super().get_fieldsets(request, obj)
        if not self._own(request, obj):
            return sets
        own = ("role", "bureau", "unit", "officer_number", "is_active")
        return [
            (name, {**opts, "fields": own} if "police_number" in opts["fields"] else opts)
            for name, opts in sets
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        bureau_id = request.user.bureau_id  # type: ignore[union-attr]
        if db_field.name == "unit":
            kwargs["queryset"] = org_services.unit_choices(bureau_id)
        elif db_field.name == "bureau":
            kwargs["queryset"] = org_services.bureau_choices(bureau_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The account's name and activation are saved; its access (role, bureau, unit, officer)
        only as a request for a security administrator to decide. A new account is closed, with
        no password, until he approves."""
        wanted = grants.access_of(obj)
        ask, opens = not change, not change
        if change:
            before = User.objects.get(pk=obj.pk)
            current = grants.access_of(before)
            # an account still closed (its first request rejected, say) opens with the approval;
            # saved again with nothing waiting, it asks again
            opens = not before.has_usable_password()
            waiting = AccessRequest.objects.filter(user=before, kind="access", state="pending")
            if wanted != current:
                obj.role, obj.bureau_id = current.role, current.bureau_id
                obj.unit_id, obj.officer_id = current.unit_id, current.officer_id
            ask = wanted != current or (opens and not waiting.exists())
        else:
            obj.is_active = False
            obj.set_unusable_password()
        obj.is_staff = change and obj.role in ADMIN_SITE
        obj.is_superuser = False
        super().save_model(request, obj, form, change)
        if ask:
            grants.request_access(
                services.scope_for(request.user),  # type: ignore[arg-type]
                user_id=obj.pk,
                access=wanted,
                new_account=opens,
                now=clock.now(),
            )
            messages.warning(
                request,
                _("The account's access awaits a security administrator's approval."),
            )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Nobody sets another account's password here: ask for a reset (the list's action),
        which a security administrator approves; one's own is changed on one's own page."""
        raise PermissionDenied

    @admin.action(description=_("Ask for a password reset (a security administrator approves)"))
    def request_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        scope = services.scope_for(request.user)  # type: ignore[arg-type]
        asked = 0
        for user in queryset:
            try:
                with transactions.entry():
                    grants.request_password_reset(scope, user_id=user.pk, now=clock.now())
                asked += 1
            except DomainError as exc:
                for line in reasons(exc):
                    messages.error(request, f"{user.username}: {line}")
        if asked:
            messages.success(
                request,
                gettext("%(n)s password reset(s) await a security administrator's approval.")
                % {"n": asked},
            )

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transactions.entry():  # the one unlock (as the accounts page and the command line)
            for user in queryset:
                services.unlock_account(username=user.username, bureau_id=user.bureau_id)
        messages.success(request, _("Unlocked."))

    @admin.action(description=_("Reset the second factor (the user enrols again)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transactions.entry():
            for user in queryset:
                services.reset_second_factor(user)
        messages.success(request, _("Second factor reset."))


@admin.register(AccessRequest)
class AccessRequestAdmin(RoleScopedAdmin):
    """The requests the system administrators made and how they were decided, read-only: the
    security administrators decide them on their own page."""

    roles = ACCOUNT_ADMINS
    read_only = True
    list_display = (
        "user", "kind", "role", "state", "requested_by", "requested_at", "decided_by",
        "decided_at", "reason",
    )  # fmt: skip
    list_filter = ("state", "kind")
    search_fields = ("user__username",)
    fields = list_display

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessRequest]:
        bureau_id = request.user.bureau_id  # type: ignore[union-attr]
        return (
            super()
            .get_queryset(request)
            .filter(user__bureau_id=bureau_id)
            .select_related("user", "requested_by", "decided_by")
        )


@admin.register(ApiToken)
class ApiTokenAdmin(RoleScopedAdmin):
    roles = ACCOUNT_ADMINS
    # the columns named here: the model's fields have no words of their own
    list_display = ("token", "account", "name", "issued_at", "last_used_at_", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "prefix", "name")
    readonly_fields = ("token", "account", "issued_at", "last_used_at_", "revoked_at")
    fields = ("token", "account", "name", "issued_at", "last_used_at_", "revoked_at")
    actions = ["revoke"]

    @admin.display(description=_("token"), ordering="prefix")
    def token(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…"

    @admin.display(description=_("Account"), ordering="user__username")
    def account(self, obj: ApiToken) -> str:
        return obj.user.username

    @admin.display(description=_("issued at"), ordering="created_at")
    def issued_at(self, obj: ApiToken) -> Any:
        return obj.created_at

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_used_at_(self, obj: ApiToken) -> Any:
        return obj.last_used_at

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        bureau_id = request.user.bureau_id  # type: ignore[union-attr]
        return (
            super().get_queryset(request).filter(user__bureau_id=bureau_id).select_related("user")
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # tokens are issued by `precinct token create`, shown once

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        with transactions.entry():  # the use case's own; each revocation is audited
            for pk in queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True):
                services.revoke_token(token_id=pk)
        messages.success(request, _("Revoked."))


@admin.register(AccessAttempt)
class LockoutAdmin(RoleScopedAdmin):
    """Failed sign-in records, read-only."""

    roles = ACCOUNT_ADMINS
    read_only = True  # unlock with the audited action on the account list, never by deleting
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username",)
