"""Units and bureaus: the unit tree, creating units and bureaus, lookups for other apps."""

import uuid
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from .. import rules
from ..models import Bureau, Unit
from ._common import scope_officers, scope_units


# --- units ------------------------------------------------------------------------------
def unit_path(unit_id: uuid.UUID) -> str | None:
    return Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first()


@dataclass
class UnitNode:
    unit: Unit
    officers: int
    children: list["UnitNode"] = field(default_factory=list)

    @property
    def total_officers(self) -> int:
        return self.officers + sum(c.total_officers for c in self.children)


def unit_tree(scope: Scope) -> list[UnitNode]:
    """The visible units as a forest (roots: the topmost visible units), with officer counts."""
    units = list(scope_units(scope).order_by("path", "sort_order"))
    counts = dict(
        scope_officers(scope)
        .exclude(status=rules.OfficerStatus.RETIRED)
        .values_list("current_unit")
        .annotate(n=Count("id"))
        .values_list("current_unit", "n")
    )
    nodes = {u.pk: UnitNode(u, counts.get(u.pk, 0)) for u in units}
    roots: list[UnitNode] = []
    for u in units:
        parent = nodes.get(u.parent_id) if u.parent_id else None
        (parent.children if parent else roots).append(nodes[u.pk])
    for node in nodes.values():
        node.children.sort(key=lambda n: (n.unit.sort_order, n.unit.code))
    return roots


def list_units(scope: Scope) -> QuerySet[Unit]:
    return scope_units(scope).order_by("path")


def create_unit(
    *,
    bureau_id: uuid.UUID,
    kind: rules.UnitKind,
    code: str,
    name: str,
    parent_id: uuid.UUID | None,
    area_km2: float | None = None,
    sort_order: int = 0,
) -> Unit:
    parent = Unit.objects.filter(pk=parent_id, bureau_id=bureau_id).first() if parent_id else None
    errors = rules.check_unit_parent(kind, rules.UnitKind(parent.kind) if parent else None)
    if not rules.UNIT_CODE.match(code):
        errors.append(FieldError("code", _("letters, digits, '-' and '_' only (1–32)")))
    if Unit.objects.filter(bureau_id=bureau_id, code=code).exists():
        errors.append(FieldError("code", _("unit code %(code)s is taken"), params={"code": code}))
    if errors:
        raise ValidationFailed(errors)
    return Unit.objects.create(
        bureau_id=bureau_id,
        kind=kind.value,
        code=code,
        name=name,
        parent=parent,
        path=rules.child_path(parent.path if parent else "/", code),
        area_km2=area_km2,
        sort_order=sort_order,
    )


def create_bureau(*, code: str, name: str, time_zone: str = "Asia/Shanghai") -> Bureau:
    return Bureau.objects.create(code=code, name=name, time_zone=time_zone)


def bureau_id_by_code(code: str) -> uuid.UUID | None:
    return Bureau.objects.filter(code=code).values_list("pk", flat=True).first()


def bureau_ids() -> list[uuid.UUID]:
    return list(Bureau.objects.order_by("pk").values_list("pk", flat=True))


def bureau_names() -> dict[uuid.UUID, str]:
    """Every bureau in the database by name (a province's: its cities, received by replication)."""
    return dict(Bureau.objects.order_by("name").values_list("pk", "name"))


def first_bureau() -> Bureau | None:
    return Bureau.objects.order_by("created_at").first()


def unit_choices(bureau_id: uuid.UUID | None) -> QuerySet[Unit]:
    """Units an account may be attached to (names only; for account administration)."""
    if bureau_id is None:
        return Unit.objects.none()
    return Unit.objects.filter(bureau_id=bureau_id).order_by("path")


def bureau_choices(bureau_id: uuid.UUID | None) -> QuerySet[Bureau]:
    return Bureau.objects.filter(pk=bureau_id) if bureau_id else Bureau.objects.none()


def units_by_code(bureau_id: uuid.UUID) -> dict[str, Unit]:
    return {u.code: u for u in Unit.objects.filter(bureau_id=bureau_id)}
