"""A request with an API token finds its account and the account's unit in one query, and a
client asking several times a second not even that (issue 19: every recommendation request of a
dispatch client paid for it). What is kept is forgotten when a token, an account or a unit is
written in the process, and read again after a second whatever happened elsewhere (ADR 0040)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from precinct.identity import services
from precinct.identity.models import User
from precinct.identity.services import accounts


def _queries(secret: str) -> tuple[User | None, int]:
    with CaptureQueriesContext(connection) as seen:
        user = services.user_for_token(secret)
    return user, len(seen.captured_queries)


def test_a_token_gives_its_account_and_scope_in_one_query(city, monkeypatch) -> None:
    monkeypatch.setattr(accounts, "TOKEN_CACHE_SECONDS", 0.0)  # every lookup asks
    _token, secret = services.create_token(username="command", name="110 gateway")
    assert services.user_for_token(secret) is not None  # its first use is recorded
    with CaptureQueriesContext(connection) as seen:
        user = services.user_for_token(secret)
        assert user is not None
        scope = services.scope_for(user)
    assert scope.unit_id == user.unit_id and scope.role.value == "command_centre"
    assert len(seen.captured_queries) == 1, [q["sql"][:80] for q in seen.captured_queries]


def test_a_token_asked_again_within_a_second_needs_no_query(city) -> None:
    _token, secret = services.create_token(username="command", name="110 gateway")
    first, asked = _queries(secret)
    assert first is not None and asked >= 1
    again, asked = _queries(secret)
    assert again is not None and asked == 0
    assert again.pk == first.pk and again is not first  # each request its own copy
    again.first_name = "changed by one request"
    assert services.user_for_token(secret).first_name != "changed by one request"


def test_a_revoked_token_is_refused_at_once(city) -> None:
    token, secret = services.create_token(username="command", name="110 gateway")
    assert services.user_for_token(secret) is not None
    services.revoke_token(token_id=token.pk)
    assert services.user_for_token(secret) is None


@pytest.mark.parametrize("change", ["disabled", "role"])
def test_an_account_changed_in_this_process_is_read_again_at_once(city, change) -> None:
    _token, secret = services.create_token(username="command", name="110 gateway")
    assert services.user_for_token(secret) is not None
    user = User.objects.get(username="command")
    if change == "disabled":
        user.is_active = False
        user.save()
        assert services.user_for_token(secret) is None
    else:
        user.role = "leadership"
        user.save()
        assert services.user_for_token(secret).role == "leadership"


def test_a_change_made_elsewhere_is_seen_within_a_second(city, monkeypatch) -> None:
    """Another server process disables the account (here: an update that sends no signal, as
    a write in another process sends none to this one)."""
    now = [1000.0]
    monkeypatch.setattr(accounts.time, "monotonic", lambda: now[0])
    _token, secret = services.create_token(username="command", name="110 gateway")
    assert services.user_for_token(secret) is not None
    User.objects.filter(username="command").update(is_active=False)
    now[0] += accounts.TOKEN_CACHE_SECONDS / 2
    assert services.user_for_token(secret) is not None  # kept: at most a second late
    now[0] += accounts.TOKEN_CACHE_SECONDS
    assert services.user_for_token(secret) is None
