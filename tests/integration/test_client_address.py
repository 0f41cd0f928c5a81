"""The real client behind a trusted reverse proxy (issue 18, item 6 and V8): the sign-in budget, the
audit log and the secured-room exemption see the address the proxy saw, never one a client wrote
into X-Forwarded-For itself; a rate-limited sign-in leaves an audit entry; the counters live in a
store every server process shares."""

import ipaddress

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings

from precinct.identity.middleware import client_ip
from precinct.identity.models import AuditEntry

PROXY = [ipaddress.ip_network("10.9.0.0/16"), ipaddress.ip_network("fd00::/8")]


def _ip(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("remote", "forwarded", "seen"),
    [
        ("10.9.0.2", "203.0.113.7", "203.0.113.7"),  # the proxy says who connected to it
        ("10.9.0.2", "1.1.1.1, 203.0.113.7", "203.0.113.7"),  # a client's own claim is ignored
        ("10.9.0.2", "1.1.1.1, 203.0.113.7, 10.9.0.3", "203.0.113.7"),  # two proxies of ours
        ("10.9.0.2", "203.0.113.7:5555", "203.0.113.7"),  # with a port
        ("10.9.0.2", "[2001:db8::5]:443", "2001:db8::5"),
        ("10.9.0.2", "not-an-address", "10.9.0.2"),  # nonsense: the proxy itself
        ("10.9.0.2", "", "10.9.0.2"),
        ("10.9.0.2", "10.9.0.4, 10.9.0.3", "10.9.0.4"),  # all ours: the farthest
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not through the proxy: never trusted
        ("fd00::1", "2001:db8::9", "2001:db8::9"),
    ],
)
def test_the_client_is_the_right_most_address_not_of_a_trusted_proxy(
    remote: str, forwarded: str, seen: str
) -> None:
    with override_settings(TRUSTED_PROXIES=PROXY):
        assert _ip(remote, forwarded) == seen


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    with override_settings(TRUSTED_PROXIES=[]):
        assert _ip("10.9.0.2", "203.0.113.7") == "10.9.0.2"


@override_settings(LOGIN_RATE_PER_MINUTE=3, TRUSTED_PROXIES=PROXY)
def test_each_client_behind_the_proxy_has_its_own_sign_in_budget(city, monkeypatch) -> None:
    from precinct.web import middleware

    monkeypatch.setattr(middleware, "_now", lambda: 600_000.0)  # one fixed minute
    a = Client(REMOTE_ADDR="10.9.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    b = Client(REMOTE_ADDR="10.9.0.2", HTTP_X_FORWARDED_FOR="203.0.113.8")
    codes = [
        a.post("/login/", {"username": f"n{i}", "password": "x"}).status_code for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert b.post("/login/", {"username": "n9", "password": "x"}).status_code == 200
    # a client behind the proxy cannot buy a fresh budget by writing the header himself
    spoof = Client(REMOTE_ADDR="10.9.0.2", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
    assert spoof.post("/login/", {"username": "n10", "password": "x"}).status_code == 429
    # the audit log records the client's address, not the proxy's
    failed = AuditEntry.objects.filter(action="login_failed", detail__username="n9").get()
    assert failed.ip == "203.0.113.8"


@override_settings(LOGIN_RATE_PER_MINUTE=2)
def test_a_rate_limited_sign_in_is_audited_once_a_minute(city, monkeypatch) -> None:
    """V8: a 429 at sign-in left no entry."""
    from precinct.web import middleware

    monkeypatch.setattr(middleware, "_now", lambda: 900_000.0)
    c = Client(REMOTE_ADDR="192.0.2.44")
    codes = [
        c.post("/login/", {"username": "chief", "password": f"guess-{i}"}).status_code
        for i in range(6)
    ]
    assert codes[2:] == [429] * 4
    entries = AuditEntry.objects.filter(action="login_rate_limited")
    assert entries.count() == 1  # one per address and minute: a flood does not flood the log
    entry = entries.get()
    assert entry.ip == "192.0.2.44" and entry.detail["username"] == "chief"


def test_the_rate_counters_are_shared_between_processes() -> None:
    """Item 6: the counters were in each worker's memory (LocMemCache)."""
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }


@override_settings(TRUSTED_PROXIES=PROXY)
def test_https_is_believed_from_the_proxy_only_when_one_is_trusted(db) -> None:
    from precinct.config import settings as config

    assert config._proxy_ssl_header([]) is None
    assert config._proxy_ssl_header(PROXY) == ("HTTP_X_FORWARDED_PROTO", "https")
    cache.clear()
