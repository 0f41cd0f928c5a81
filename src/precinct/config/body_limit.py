"""Request bodies bounded before they are read (ADR 0021, issue 18 V4).

Django's ASGI handler reads a request's whole body (spooling it to a temporary file past
``FILE_UPLOAD_MAX_MEMORY_SIZE``) before the first middleware runs, so a limit inside Django comes
too late: an anonymous ``POST /login/`` claiming 512 MiB was read whole before its 413. This ASGI
layer sits in front of Django: a ``Content-Length`` over the limit is answered with 413 at once,
without reading a byte of the body; a body without one (chunked) is counted as it arrives and
refused as soon as it passes the limit. The limit is ``MAX_UPLOAD_BYTES`` for multipart uploads
and ``MAX_BODY_BYTES`` for every other body, the settings ``web.middleware.LimitsMiddleware``
checks again inside Django.
"""

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.translation import gettext

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MiB = 1024 * 1024


class BodyLimit:
    """ASGI middleware: 413 for a body over its limit, before the application reads it."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        limit = _limit(headers)
        declared = headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            await _refuse(scope, headers, send, limit)
            return
        received = 0
        refused = started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(scope, headers, send, limit)
                    return {"type": "http.disconnect"}  # the application stops reading
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:  # the 413 is the answer; the application was told the client left
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, guarded)


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


def _limit(headers: dict[str, str]) -> int:
    multipart = headers.get("content-type", "").lower().startswith("multipart/form-data")
    return int(settings.MAX_UPLOAD_BYTES if multipart else settings.MAX_BODY_BYTES)


def _size(limit: int) -> str:
    if limit >= MiB:
        return f"{limit / MiB:.3g} MB"
    return f"{max(1, limit // 1024)} KB"


def _language(headers: dict[str, str]) -> str:
    chosen = parse_cookie(headers.get("cookie", "")).get(settings.LANGUAGE_COOKIE_NAME, "")
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


async def _refuse(scope: Scope, headers: dict[str, str], send: Send, limit: int) -> None:
    """413 with a short text (JSON under the API) in the user's language; the connection is
    closed after it, so the rest of the body is never read."""
    with translation.override(_language(headers)):
        text = gettext("The request is too large (at most %(size)s).") % {"size": _size(limit)}
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": text}, ensure_ascii=False).encode()
        kind = b"application/json"
    else:
        body = text.encode()
        kind = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
