"""Who is acting: the actor the audit log names for work done now (a request's user, a command
line's operator, a scheduled job). A context variable, so every app can say who acts without
knowing the accounts app, and threads and tasks keep their own."""

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


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
