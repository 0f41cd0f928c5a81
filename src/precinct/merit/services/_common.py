"""Shared by the merit use cases: who enters and approves, a snapshot line's fields, role checks."""

from precinct.core import capabilities as can
from precinct.core.errors import PermissionDenied
from precinct.core.scoping import Role, Scope

from .. import rules

# who enters and who approves: the names of core.capabilities (kept here for the pages)
ENTERERS = can.MERIT_ENTERERS
LINE_FIELDS = rules.Line._fields  # a snapshot stores each line as a list in this order
APPROVERS = can.MERIT_APPROVERS


# --- helpers ------------------------------------------------------------------------------------
def _require(scope: Scope, roles: frozenset[Role]) -> None:
    if scope.role not in roles:
        raise PermissionDenied()


def _who(scope: Scope) -> str:
    return str(scope.user_id or "system")
