"""Shared by the merit use cases: who enters and approves, a snapshot line's fields, role checks."""

from precinct.core.errors import PermissionDenied
from precinct.core.scoping import Role, Scope

from .. import rules

ENTERERS = frozenset({Role.UNIT_CHIEF, Role.POLITICAL_DEPT})
LINE_FIELDS = rules.Line._fields  # a snapshot stores each line as a list in this order
APPROVERS = frozenset({Role.POLITICAL_DEPT})


# --- helpers ------------------------------------------------------------------------------------
def _require(scope: Scope, roles: frozenset[Role]) -> None:
    if scope.role not in roles:
        raise PermissionDenied()


def _who(scope: Scope) -> str:
    return str(scope.user_id or "system")
