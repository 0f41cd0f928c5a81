"""Account administration for system administrators: accounts, roles, units, lockouts, tokens.
The sysadmin sees no business data and no audit log."""

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from precinct.common import transactions
from precinct.common.admin import RoleScopedAdmin
from precinct.core import clock
from precinct.core.capabilities import ACCOUNT_ADMINS, ADMIN_SITE
from precinct.org import services as org_services

from . import services
from .models import ApiToken, User
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
        instance.officer_id = found[number]


class AccountChangeForm(OfficerLinkMixin, UserChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.officer_id and "police_number" in self.fields:
            self.fields["police_number"].initial = org_services.police_number_of(
                self.instance.officer_id
            )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if "police_number" in self.fields:
            self.link_officer(self.instance)
        return data


class AccountCreationForm(OfficerLinkMixin, UserCreationForm):
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
    list_display = ("username", "first_name", "role", "unit", "is_active", "locked", "last_login")
    list_filter = ("role", "is_active", LockedFilter)
    search_fields = ("username", "first_name")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (_("Access"), {"fields": ("role", "bureau", "unit", "police_number", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "password1",
                    "password2",
                    "role",
                    "bureau",
                    "unit",
                    "police_number",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["unlock", "reset_second_factor"]

    @admin.display(boolean=True, description=_("locked"), ordering="is_locked")
    def locked(self, obj: User) -> bool:
        return bool(getattr(obj, "is_locked", False))

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        mine = super().get_queryset(request).filter(bureau_id=request.user.bureau_id)  # type: ignore[union-attr]
        return with_locked(mine, now=clock.now())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            # Separation of duties: nobody changes their own role, bureau, unit or activation.
            fields += ("role", "bureau", "unit", "police_number", "is_active")
        return fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        bureau_id = request.user.bureau_id  # type: ignore[union-attr]
        if db_field.name == "unit":
            kwargs["queryset"] = org_services.unit_choices(bureau_id)
        elif db_field.name == "bureau":
            kwargs["queryset"] = org_services.bureau_choices(bureau_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.is_staff = obj.role in ADMIN_SITE
        obj.is_superuser = False
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transactions.entry():
            for user in queryset:
                reset(username=user.username)
                services.record(
                    "account_unlocked",
                    object_type="identity.user",
                    object_id=str(user.pk),
                    detail={"username": user.username},
                )
        messages.success(request, _("Unlocked."))

    @admin.action(description=_("Reset the second factor (the user enrols again)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transactions.entry():
            for user in queryset:
                services.reset_second_factor(user)
        messages.success(request, _("Second factor reset."))


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
