"""Django admin, scoped like everything else: each ModelAdmin names the roles that may use it."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from precinct.core.scoping import Role


def _role(request: HttpRequest) -> Role | None:
    user: Any = request.user
    return Role(user.role) if user.is_authenticated and user.is_active else None


class RoleScopedAdmin(admin.ModelAdmin):
    """Deny by default: only ``roles`` see the model; nobody deletes unless ``can_delete``."""

    roles: frozenset[Role] = frozenset()
    can_delete = False
    read_only = False

    def _allowed(self, request: HttpRequest) -> bool:
        return _role(request) in self.roles

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request) and not self.read_only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and not self.read_only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and self.can_delete
