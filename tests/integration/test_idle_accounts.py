"""Accounts unused for 90 days are disabled by the daily job, audited, and can no longer sign
in; a sysadmin enables one again from the command line."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client

from precinct.core import clock
from precinct.demo.services import DEMO_PASSWORD
from precinct.identity.models import AuditEntry, User


def _signs_in(username: str) -> bool:
    r = Client().post("/login/", {"username": username, "password": DEMO_PASSWORD})
    return r.status_code == 302


def test_idle_accounts_are_disabled_and_can_be_enabled_again(city, capsys) -> None:
    now = clock.now()
    User.objects.filter(username="auditor").update(last_login=now - dt.timedelta(days=120))
    User.objects.filter(username="officer").update(last_login=now - dt.timedelta(days=89))
    User.objects.filter(username="sysadmin").update(
        last_login=None, date_joined=now - dt.timedelta(days=200)
    )
    call_command("accounts", "disable-idle")
    out = capsys.readouterr().out
    assert "disabled auditor" in out and "disabled sysadmin" in out and "officer" not in out
    assert set(User.objects.filter(is_active=False).values_list("username", flat=True)) >= {
        "auditor", "sysadmin",
    }  # fmt: skip
    assert User.objects.get(username="officer").is_active
    auditor = User.objects.get(username="auditor")
    assert AuditEntry.objects.filter(object_id=str(auditor.pk), action="update").exists()
    assert _signs_in("officer")
    assert not _signs_in("auditor")
    call_command("accounts", "enable", "auditor")
    assert _signs_in("auditor")
    with pytest.raises(SystemExit):
        call_command("accounts", "enable", "nobody")


def test_an_account_used_through_its_api_token_is_not_idle(city) -> None:
    """A gateway account (the 110 desk's intake, say) never signs in on a page: its token's use
    counts, or the daily job would cut the bureau's intake off after 90 days."""
    from precinct.identity import services
    from precinct.identity.models import ApiToken

    now = clock.now()
    token, secret = services.create_token(username="command", name="110 gateway")
    User.objects.filter(username="command").update(
        last_login=None, date_joined=now - dt.timedelta(days=400)
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/incidents").status_code == 200
    call_command("accounts", "disable-idle")
    assert User.objects.get(username="command").is_active
    # a token last used 100 days ago keeps nobody's account alive
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now - dt.timedelta(days=100))
    call_command("accounts", "disable-idle")
    assert not User.objects.get(username="command").is_active
