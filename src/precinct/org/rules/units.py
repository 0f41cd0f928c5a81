"""Units: their kinds, which kind may sit under which, codes and materialised paths."""

import re
from enum import StrEnum

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _


class UnitKind(StrEnum):
    BUREAU = "bureau"
    DEPARTMENT = "department"
    SUB_BUREAU = "sub_bureau"
    STATION = "station"
    BRIGADE = "brigade"


# Which kinds may sit under which: bureau → departments, sub-bureaus, brigades; sub-bureau → stations.
ALLOWED_PARENTS: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.BUREAU: frozenset(),
    UnitKind.DEPARTMENT: frozenset({UnitKind.BUREAU, UnitKind.DEPARTMENT}),
    UnitKind.SUB_BUREAU: frozenset({UnitKind.BUREAU}),
    UnitKind.STATION: frozenset({UnitKind.SUB_BUREAU, UnitKind.BUREAU}),
    UnitKind.BRIGADE: frozenset({UnitKind.BUREAU, UnitKind.DEPARTMENT, UnitKind.SUB_BUREAU}),
}


UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def child_path(parent_path: str, code: str) -> str:
    """Materialised path of a unit: the codes from the root, each closed by '/'."""
    return f"{parent_path}{code}/"


def check_unit_parent(kind: UnitKind, parent_kind: UnitKind | None) -> list[FieldError]:
    if parent_kind is None:
        if kind != UnitKind.BUREAU:
            return [FieldError("parent", _("only the bureau itself has no parent unit"))]
        return []
    if parent_kind not in ALLOWED_PARENTS[kind]:
        return [
            FieldError(
                "parent",
                _("a %(kind)s cannot be placed under a %(parent)s"),
                params={"kind": str(kind), "parent": str(parent_kind)},
            )
        ]
    return []
