"""A small in-process domain-event dispatcher. Events are delivered after the transaction that
published them commits (never for a rolled-back change); handlers run in their own transaction.

    bus.subscribe("case_event_recorded", handler)      # in an AppConfig.ready()
    bus.publish("case_event_recorded", case_id=...)    # in a service, inside the entry point's atomic()
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger("precinct.bus")
Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _handlers.get(name, []):
        _handlers[name].remove(handler)


def publish(name: str, **payload: Any) -> None:
    transaction.on_commit(lambda: dispatch(name, **payload), robust=True)


def dispatch(name: str, **payload: Any) -> None:
    for handler in list(_handlers.get(name, ())):
        try:
            with transaction.atomic():
                handler(**payload)
        except Exception:  # one failing reaction must not stop the others; the sweep catches up
            log.exception("handler %s for %s failed", getattr(handler, "__name__", handler), name)
