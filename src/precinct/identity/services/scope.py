"""The caller's scope for an account. Who is acting (the audit log's actor) and reading the
request's scope live in core, so that every app can use them without importing identity; they
are named here too for the callers of old."""

from django.conf import settings

from precinct.core import clock
from precinct.core.actors import SYSTEM_ACTOR, Actor, acting_as, actor_for, current_actor
from precinct.core.errors import NotFound
from precinct.core.scoping import Role, Scope, caller, scoped_unit_path

from ..models import User

__all__ = [
    "SYSTEM_ACTOR",
    "Actor",
    "acting_as",
    "actor_for",
    "caller",
    "current_actor",
    "scope_for",
    "scope_for_username",
]


def scope_for(user: User) -> Scope:
    role = Role(user.role)
    # the unit's path through the account's own link to it: identity asks nothing of org
    unit = user.unit if user.unit_id else None
    path = scoped_unit_path(role, unit.path if unit is not None else None)
    return Scope(
        user_id=user.pk,
        role=role,
        bureau_id=user.bureau_id,
        unit_id=user.unit_id,
        unit_path=path,
        officer_id=user.officer_id,
        today=clock.today(settings.TIME_ZONE),
    )


def scope_for_username(username: str) -> Scope:
    """The scope of an active account, for work done on its behalf outside a request (the demo
    replay acts as the command centre's dispatcher)."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("user")
    return scope_for(user)
