"""Who is acting: the actor the audit log names, and the caller's scope."""

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from precinct.core import clock
from precinct.core.errors import NotFound
from precinct.core.scoping import Role, Scope
from precinct.org import services as org_services

from ..models import User


# --- who is acting ------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    username: str = ""
    user_id: str = ""
    role: str = ""
    bureau_id: str = ""
    ip: str = ""


SYSTEM_ACTOR = Actor(username="system", role="system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "precinct_actor", default=SYSTEM_ACTOR
)


def actor_for(user: Any, ip: str = "") -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(username="anonymous", ip=ip)
    return Actor(
        username=user.username,
        user_id=str(user.pk),
        role=user.role,
        bureau_id=str(user.bureau_id or ""),
        ip=ip,
    )


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get()


def scope_for(user: User) -> Scope:
    role = Role(user.role)
    path = org_services.unit_path(user.unit_id) if user.unit_id else None
    if role == Role.UNIT_CHIEF and path is None:
        # A unit chief without a unit sees nothing rather than everything.
        path = "\x00nothing/"
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


def caller(request: Any) -> Scope:
    """The signed-in caller's scope, set by the access middleware before any view runs."""
    scope = getattr(request, "caller", None)
    if not isinstance(scope, Scope):
        raise PermissionError(
            "no caller scope on this request: is the access middleware installed?"
        )
    return scope
