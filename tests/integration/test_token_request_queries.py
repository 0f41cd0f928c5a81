"""A request with an API token finds its account and the account's unit in one query (issue 19:
every recommendation request of a dispatch client pays for it)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_a_token_gives_its_account_and_scope_in_one_query(city) -> None:
    from precinct.identity import services

    _token, secret = services.create_token(username="command", name="110 gateway")
    assert services.user_for_token(secret) is not None  # its first use is recorded
    with CaptureQueriesContext(connection) as seen:
        user = services.user_for_token(secret)
        assert user is not None
        scope = services.scope_for(user)
    assert scope.unit_id == user.unit_id and scope.role.value == "command_centre"
    assert len(seen.captured_queries) == 1, [q["sql"][:80] for q in seen.captured_queries]
