"""Account administration for system administrators: accounts, roles, units, lockouts, tokens.
The sysadmin sees no business data and no audit log."""

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from precinct.common.admin import RoleScopedAdmin
from precinct.core import clock
from precinct.core.scoping import Role

from . import services
from .models import ApiToken, User

ACCOUNT_ADMINS = frozenset({Role.SYSADMIN})

admin.site.unregister(Group)
for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class UserAdmin(RoleScopedAdmin, BaseUserAdmin):
    roles = ACCOUNT_ADMINS
    list_display = ("username", "first_name", "role", "unit", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "first_name")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (_("Access"), {"fields": ("role", "bureau", "unit", "officer", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "bureau", "unit"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    raw_id_fields = ("officer",)
    actions = ["unlock"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.is_staff = obj.role in {Role.SYSADMIN, Role.POLITICAL_DEPT}
        obj.is_superuser = False
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            reset(username=user.username)
            services.record(
                "account_unlocked",
                object_type="identity.user",
                object_id=str(user.pk),
                detail={"username": user.username},
            )
        messages.success(request, _("Unlocked."))


@admin.register(ApiToken)
class ApiTokenAdmin(RoleScopedAdmin):
    roles = ACCOUNT_ADMINS
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "prefix", "name")
    readonly_fields = ("prefix", "user", "created_at", "last_used_at")
    fields = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # tokens are issued by `precinct token create`, shown once

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
        messages.success(request, _("Revoked."))


@admin.register(AccessAttempt)
class LockoutAdmin(RoleScopedAdmin):
    """Failed sign-in records; deleting one unlocks the account."""

    roles = ACCOUNT_ADMINS
    can_delete = True
    read_only = True
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username",)
