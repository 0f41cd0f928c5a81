"""The scoping helpers every org use case goes through, and the editor's checks."""

import uuid

from django.db.models import Exists, OuterRef, Q, QuerySet

from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from ..models import Assignment, Officer, Unit


# --- scoping: the one helper ------------------------------------------------------------
def scope_units(scope: Scope) -> QuerySet[Unit]:
    if not scope.reads_business_data or scope.bureau_id is None:
        return Unit.objects.none()
    qs = Unit.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        return qs.filter(path__startswith=scope.unit_subtree)
    return qs.none()


def scope_officers(scope: Scope) -> QuerySet[Officer]:
    if not scope.reads_business_data or scope.bureau_id is None:
        return Officer.objects.none()
    qs = Officer.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        if scope.today is None:
            return qs.filter(current_unit__path__startswith=scope.unit_subtree)
        # Everyone with a posting in the subtree that has not ended: current staff and incoming
        # officers whose posting starts later; those posted away leave on the day it ends.
        postings = Assignment.objects.filter(
            officer=OuterRef("pk"), unit__path__startswith=scope.unit_subtree
        ).filter(Q(end__isnull=True) | Q(end__gt=scope.today))
        return qs.filter(Exists(postings))
    if scope.self_only and scope.officer_id is not None:
        return qs.filter(pk=scope.officer_id)
    return qs.none()


def _require_editor(scope: Scope) -> None:
    if not scope.can_edit_people:
        raise PermissionDenied("this role may not change officers' records")


def _editable_unit(scope: Scope, unit_id: uuid.UUID) -> Unit:
    unit = scope_units(scope).filter(pk=unit_id).first()
    if unit is None:
        raise ValidationFailed([FieldError("unit", _("unknown unit, or outside your scope"))])
    return unit
