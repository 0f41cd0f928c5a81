"""V4 (issue 18): bodies are bounded before they are read. Under uvicorn, Django's ASGI handler
reads the whole body (spooling it to a temporary file) before any middleware runs, so the limit
sits in front of Django (``precinct.config.body_limit``): a ``Content-Length`` over the limit is
refused with 413 at once, and a body without one (chunked) is counted as it arrives and refused
at the limit. Proved on a real `precinct serve` with a raw socket: the 413 arrives before 1 MiB
of the body has been sent."""

import asyncio
import json
import select
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from bench import faults
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext

MiB = 1024 * 1024
LIMIT = 256 * 1024  # the served app's PRECINCT_MAX_BODY_BYTES: a bureau's tighter setting
CHUNK = 64 * 1024
WAIT_S = 60.0  # an upper bound on a loaded machine; the answer normally comes in milliseconds


def _arun(coroutine: Any) -> None:
    """Run a coroutine to its end in a thread of its own: a browser test earlier in the same
    process (Playwright's sync API) may have left this thread's event loop running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[faults.Server]:
    """`precinct serve` on a scratch SQLite database, migrated and empty."""
    tmp = tmp_path_factory.mktemp("bodies")
    env = faults.app_env(
        f"sqlite:///{tmp / 'bodies.sqlite3'}", tmp, PRECINCT_MAX_BODY_BYTES=str(LIMIT)
    )
    faults.run_cli(env, "db", "upgrade")
    server = faults.Server(env, tmp / "serve.log")
    server.start(timeout=120)
    try:
        yield server
    finally:
        server.stop()


def _connect(server: faults.Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S)


def _answered(sock: socket.socket, timeout: float) -> bool:
    return bool(select.select([sock], [], [], timeout)[0])


def _read_answer(sock: socket.socket) -> bytes:
    """What the server said until it closed the connection (a reset after its answer counts as
    closed: the kernel resets a connection closed with unread data)."""
    data = b""
    while True:
        try:
            part = sock.recv(65536)
        except ConnectionResetError:
            break
        if not part:
            break
        data += part
    return data


def _send_slowly(sock: socket.socket, chunks: Iterator[bytes], limit: int) -> tuple[int, bool]:
    """Send the chunks one by one, looking after each whether the server has answered; stop at
    its answer. Once more than ``limit`` bytes are sent the server must answer: it is given
    WAIT_S to do so. The bytes sent and whether it answered."""
    sent = 0
    for chunk in chunks:
        if sent > limit:
            break
        if _answered(sock, 0.02):
            return sent, True
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):  # it answered and closed meanwhile
            return sent, True
        sent += len(chunk)
    return sent, _answered(sock, WAIT_S)


def _login_headers(extra: str) -> bytes:
    return (
        "POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n" + extra + "\r\n"
    ).encode()


def test_a_declared_512_mib_body_is_refused_before_any_of_it_is_read(served) -> None:
    with _connect(served) as sock:
        sock.sendall(_login_headers(f"Content-Length: {512 * MiB}\r\n"))
        body = ((b"username=x&password=" + b"a" * CHUNK)[:CHUNK] for _ in iter(int, 1))
        sent, answered = _send_slowly(sock, body, limit=0)
        assert answered, f"no answer after {sent} bytes of a 512 MiB body"
        answer = _read_answer(sock)
    assert sent < MiB
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Traceback" not in answer
    assert b"connection: close" in answer.lower()


def test_a_chunked_body_is_refused_at_the_limit_not_spooled_to_its_end(served) -> None:
    with _connect(served) as sock:
        sock.sendall(_login_headers("Transfer-Encoding: chunked\r\n"))
        size = 60_000  # the limit falls inside the fifth chunk
        chunk = f"{size:x}\r\n".encode() + b"a" * size + b"\r\n"
        sent, answered = _send_slowly(sock, (chunk for _ in iter(int, 1)), limit=LIMIT)
        assert answered, f"no answer after {sent} bytes of an endless chunked body"
        answer = _read_answer(sock)
    assert LIMIT < sent < MiB  # the limit was reached, and no more than a chunk past it
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Traceback" not in answer


def test_a_declared_upload_over_the_upload_limit_is_refused_at_once_and_in_json_on_the_api(
    served,
) -> None:
    with _connect(served) as sock:
        sock.sendall(
            b"POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {11 * MiB}\r\n\r\n".encode()
        )
        assert _answered(sock, WAIT_S)
        answer = _read_answer(sock)
    head, _sep, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"application/json" in head.lower()
    assert "10 MB" in json.loads(body)["detail"]


def test_a_small_body_still_reaches_the_app(served) -> None:
    with _connect(served) as sock:
        form = b"username=nobody&password=wrong"
        sock.sendall(_login_headers(f"Content-Length: {len(form)}\r\n") + form)
        assert _answered(sock, WAIT_S)
        status = sock.recv(65536).split(b"\r\n", 1)[0]
    assert b" 413 " not in status and status.startswith(b"HTTP/1.1 "), status  # 200, or 403 CSRF


# --- the ASGI layer in-process: which limit applies, what the app sees --------------------------
def _run(
    headers: list[tuple[bytes, bytes]], messages: list[dict[str, Any]], path: str = "/login/"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The limit around a Django-like app that reads the whole body and answers 200: what was
    sent to the client, what the app received, and how many messages were taken from the
    client."""
    from precinct.config.body_limit import BodyLimit

    seen: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []
    pending = list(messages)
    taken = 0

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        if seen[-1]["type"] == "http.disconnect":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, Any]:
        nonlocal taken
        taken += 1
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    _arun(BodyLimit(app)(scope, receive, send))
    return sent, seen, taken


def _body(n: int, more: bool = True) -> dict[str, Any]:
    return {"type": "http.request", "body": b"a" * n, "more_body": more}


@override_settings(MAX_BODY_BYTES=1000, MAX_UPLOAD_BYTES=5000)
def test_the_limit_is_the_upload_limit_for_multipart_and_the_body_limit_otherwise() -> None:
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    upload = [(b"content-type", b"multipart/form-data; boundary=x")]
    sent, _seen, taken = _run([*form, (b"content-length", b"1001")], [_body(1001, False)])
    assert sent[0]["status"] == 413 and taken == 0  # refused without reading the body
    sent, _seen, _taken = _run([*upload, (b"content-length", b"1001")], [_body(1001, False)])
    assert sent[0]["status"] == 200
    sent, _seen, taken = _run([*upload, (b"content-length", b"5001")], [])
    assert sent[0]["status"] == 413 and taken == 0
    sent, seen, _taken = _run(form, [_body(600), _body(400, False)])  # exactly the limit
    assert sent[0]["status"] == 200 and sum(len(m["body"]) for m in seen) == 1000


@override_settings(MAX_BODY_BYTES=1000)
def test_a_body_past_the_limit_is_refused_and_the_app_sees_a_disconnect() -> None:
    sent, seen, taken = _run([], [_body(600), _body(600), _body(600), _body(10, False)])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 413
    assert dict(sent[0]["headers"])[b"connection"] == b"close"
    assert seen[-1] == {"type": "http.disconnect"} and taken == 2  # not a byte more was asked


@override_settings(MAX_BODY_BYTES=10, LANGUAGE_CODE="zh-hans")
def test_the_refusal_is_short_text_in_the_users_language() -> None:
    sent, _seen, _taken = _run([(b"content-length", b"11")], [])
    assert dict(sent[0]["headers"])[b"content-type"].startswith(b"text/plain")
    text = sent[1]["body"].decode()
    with translation.override("zh-hans"):  # 请求过大… from the catalogue
        chinese = gettext("The request is too large (at most %(size)s).") % {"size": "1 KB"}
    assert text == chinese
    assert len(text) < 200 and "Traceback" not in text
    english = [(b"content-length", b"11"), (b"cookie", b"precinct_language=en")]
    sent, _seen, _taken = _run(english, [])
    assert "too large" in sent[1]["body"].decode()


def test_websockets_and_lifespan_pass_through() -> None:
    from precinct.config.body_limit import BodyLimit

    called: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope["type"])

    async def nothing() -> dict[str, Any]:
        return {}

    async def ignore(message: dict[str, Any]) -> None:
        return None

    for kind in ("lifespan", "websocket"):
        _arun(BodyLimit(app)({"type": kind}, nothing, ignore))
    assert called == ["lifespan", "websocket"]
