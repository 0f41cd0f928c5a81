"""Against real server processes (issue 18): the live board's stream ends when its session does
(V6), and the sign-in budget is one budget however many server processes answer (item 6)."""

import http.client
import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from precinct.demo.services import DEMO_PASSWORD

from .conftest import start_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


class Browserless:
    """A client with a cookie jar that signs in through the real form (CSRF token and all)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def _token(self, path: str) -> str:
        with self.opener.open(f"{self.url}{path}", timeout=30) as r:
            html = r.read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def post(self, path: str, form: dict[str, str], token_from: str = "/login/") -> int:
        data = {"csrfmiddlewaretoken": self._token(token_from), **form}
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": f"{self.url}{token_from}"},
        )
        try:
            with self.opener.open(request, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def sign_in(self, username: str) -> None:
        self.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert self.cookie("sessionid")


@pytest.mark.parametrize(
    ("username", "path", "event"),
    [("command", "/command/stream", b"event: board"), ("crew30", "/crew/stream", b"event: crew")],
)
def test_the_board_stream_ends_when_its_session_signs_out(
    app_server, username: str, path: str, event: bytes
) -> None:
    """V6: events kept arriving on an open /command/stream (and a car terminal's /crew/stream)
    after POST /logout/."""
    who = Browserless(app_server.url)
    who.sign_in(username)
    host, port = urllib.parse.urlsplit(app_server.url).netloc.split(":")
    stream = http.client.HTTPConnection(host, int(port), timeout=60)
    stream.request(
        "GET",
        path,
        headers={"Cookie": f"sessionid={who.cookie('sessionid')}", "Accept": "text/event-stream"},
    )
    response = stream.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
    assert response.readline().startswith(b"retry:")
    while not response.readline().startswith(event):
        pass  # the first board arrives
    # the same session signs out in another tab (its page's sign-out form)
    assert who.post("/logout/", {}, token_from="/") in (200, 302)
    # the stream ends at its next session check (a few seconds), well before two keep-alives
    started = time.monotonic()
    ended = False
    while time.monotonic() - started < 45:
        line = response.readline()
        if line == b"":
            ended = True
            break
        assert not line.startswith(event), "a board arrived after signing out"
    stream.close()
    assert ended, "the stream outlived its session"


def _login_status(url: str, n: int, client: str) -> int:
    request = urllib.request.Request(
        f"{url}/login/",
        data=urllib.parse.urlencode({"username": f"nobody{n}", "password": "x"}).encode(),
        headers={"X-Forwarded-For": client},  # as a proxy of ours says (PRECINCT_TRUSTED_PROXIES)
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_two_server_processes_share_one_sign_in_budget(app_server, tmp_path) -> None:
    """Item 6: each worker counted for itself (LocMemCache), so N processes allowed N times the
    limit."""
    env = {
        **app_server.env,
        "PRECINCT_LOGIN_RATE_PER_MINUTE": "3",
        "PRECINCT_TRUSTED_PROXIES": "127.0.0.1/32",  # a client of its own, whoever else signs in
    }
    url_a, a = start_server(env, tmp_path / "a.log")
    url_b, b = start_server(env, tmp_path / "b.log")
    try:
        for attempt in range(3):
            client = f"198.51.100.{attempt + 10}"  # a fresh budget for each try
            minute = int(time.time() // 60)
            # alternate between the processes; CSRF refuses these posts (403), after counting
            codes = [
                _login_status((url_a, url_b)[i % 2], attempt * 10 + i, client) for i in range(6)
            ]
            if int(time.time() // 60) == minute:  # the burst stayed within one window
                break
        assert codes[:3] == [403, 403, 403] and codes[3:] == [429, 429, 429], codes
    finally:
        for p in (a, b):
            p.terminate()
            p.wait(timeout=20)
