"""Who can see what: the caller's scope, computed once per request, used by every service.

A :class:`Scope` is pure data. Each app's services turn it into a query filter in one helper
(e.g. ``org.services.scope_officers``); templates and views never filter by role themselves.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from precinct.core.capabilities import PEOPLE_EDITORS
from precinct.core.roles import ALL_ROLES, BUREAU_WIDE, BUSINESS_ROLES, Role

__all__ = [
    "ALL_ROLES",
    "BUREAU_WIDE",
    "BUSINESS_ROLES",
    "Role",
    "Scope",
    "account_scope",
    "caller",
    "provide_account_scopes",
]


@dataclass(frozen=True)
class Scope:
    """The caller as the services see them."""

    user_id: uuid.UUID | None
    role: Role
    bureau_id: uuid.UUID | None
    unit_id: uuid.UUID | None = None
    unit_path: str | None = None
    officer_id: uuid.UUID | None = None
    today: dt.date | None = None  # the bureau's date when the scope was made (postings in force)

    @property
    def reads_business_data(self) -> bool:
        return self.role in BUSINESS_ROLES

    @property
    def whole_bureau(self) -> bool:
        return self.role in BUREAU_WIDE

    @property
    def unit_subtree(self) -> str | None:
        """Materialised path prefix of the unit subtree a unit chief sees."""
        return self.unit_path if self.role == Role.UNIT_CHIEF else None

    @property
    def self_only(self) -> bool:
        return self.role == Role.OFFICER

    @property
    def can_edit_people(self) -> bool:
        return self.role in PEOPLE_EDITORS


NOTHING = "\x00nothing/"  # a unit path no unit has


def scoped_unit_path(role: Role, unit_path: str | None) -> str | None:
    """The unit path a scope keeps: a unit chief without a unit sees nothing rather than
    everything."""
    if role == Role.UNIT_CHIEF and unit_path is None:
        return NOTHING
    return unit_path


def caller(request: object) -> Scope:
    """The signed-in caller's scope, set by the access middleware before any view runs."""
    scope = getattr(request, "caller", None)
    if not isinstance(scope, Scope):
        raise PermissionError(
            "no caller scope on this request: is the access middleware installed?"
        )
    return scope


_account_scopes: list[Callable[[str], Scope]] = []


def provide_account_scopes(scope_of: Callable[[str], Scope]) -> None:
    """Say how an account's scope is found (the identity app does, when it is ready): work done
    on a user's behalf outside a request (a background job) acts in his scope as it is now."""
    _account_scopes[:] = [scope_of]


def account_scope(username: str) -> Scope:
    """The scope of an active account, for an app below identity (its jobs): an account that is
    gone or disabled is refused (``NotFound``)."""
    if not _account_scopes:
        raise RuntimeError("no account scopes: is the identity app installed?")
    return _account_scopes[0](username)
