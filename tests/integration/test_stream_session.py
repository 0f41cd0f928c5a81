"""The check a live stream asks between events (issue 18, V6): it holds while the session that
opened the stream does, and no longer once it is signed out, expired, its password changed, the
account disabled or given another role; an API token's, until it is revoked. (The stream ending on
sign-out against a real server: tests/e2e/test_session_ends.py.)"""

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.test import Client, RequestFactory

from precinct.core import clock
from precinct.demo.services import DEMO_PASSWORD
from precinct.identity import services
from precinct.identity.models import User


def _check_for(client: Client, username: str):
    request = RequestFactory().get("/command/stream")
    request.user = User.objects.get(username=username)
    request.by_token = False
    store = import_module(settings.SESSION_ENGINE).SessionStore
    request.session = store(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    return services.session_check(request)


def _signed_in(username: str) -> Client:
    c = Client()
    assert c.post("/login/", {"username": username, "password": DEMO_PASSWORD}).status_code == 302
    return c


def test_the_check_ends_with_sign_out_role_change_password_and_disabling(city) -> None:
    c = _signed_in("command")
    holds = _check_for(c, "command")
    assert holds()
    User.objects.filter(username="command").update(role="leadership")
    assert not holds()  # another role: what the stream shows is no longer his to see
    User.objects.filter(username="command").update(role="command_centre")
    assert holds()
    User.objects.filter(username="command").update(is_active=False)
    assert not holds()
    User.objects.filter(username="command").update(is_active=True)
    assert holds()
    user = User.objects.get(username="command")
    user.set_password("Another-Long-Password-42")
    user.save()
    assert not holds()  # a new password ends the account's other sessions

    other = _signed_in("leader")
    holds = _check_for(other, "leader")
    assert holds()
    other.post("/logout/")
    assert not holds()


def test_the_check_ends_when_the_session_expires(city, monkeypatch) -> None:
    from django.utils import timezone

    c = _signed_in("command")
    holds = _check_for(c, "command")
    assert holds()
    later = clock.now() + dt.timedelta(minutes=settings.SESSION_COOKIE_AGE // 60 + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert not holds()


def test_an_api_tokens_check_ends_when_it_is_revoked(city) -> None:
    token, secret = services.create_token(username="command")
    request = RequestFactory().get("/command/stream", HTTP_AUTHORIZATION=f"Bearer {secret}")
    request.user = User.objects.get(username="command")
    request.by_token = True
    holds = services.session_check(request)
    assert holds()
    services.revoke_token(token_id=token.pk)
    assert not holds()
