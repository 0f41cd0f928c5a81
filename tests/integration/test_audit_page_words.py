"""Issue 17 part 5: the audit log in words, its plain-words search, and words that shared a
translation with another meaning (planning minutes, a closed campaign)."""

import re

import pytest
from django.utils.translation import override

from precinct.identity import labels
from precinct.identity import services as identity

ACTIONS = [
    "create", "update", "delete", "view", "login", "logout", "login_failed", "account_locked",
    "account_unlocked", "reauthenticated", "otp_enrolled", "otp_verified", "otp_failed",
    "otp_locked", "otp_reset", "recovery_codes_renewed", "recovery_code_used", "backup_created",
    "field_keys_rotated", "stats_imported", "demo_loaded",
]  # fmt: skip


def test_every_recorded_action_has_its_own_label_and_an_unknown_one_a_generic_label() -> None:
    with override("en"):
        shown = {code: labels.action_label(code) for code in ACTIONS}
        assert all(code != label and "_" not in label for code, label in shown.items())
        assert len(set(shown.values())) == len(ACTIONS)
        assert labels.action_label("something_new") == "Other action"
        assert labels.object_label("org.officer") == "officer"
        assert labels.object_label("no.such") == "Other record"


def test_a_change_reads_as_field_label_before_and_after() -> None:
    with override("en"):
        lines = labels.detail_lines(
            "identity.user",
            {
                "changes": {
                    "password": ["<redacted:ab>", "<redacted:cd>"],
                    "is_active": [True, False],
                }
            },
        )
    shown = {
        line.label: (line.before.text if line.before else None, line.after.text) for line in lines
    }
    assert shown["password"] == ("(redacted)", "(redacted)")
    assert shown["active"] == ("yes", "no")


def test_the_page_shows_words_not_codes(city) -> None:
    identity.record("otp_failed", object_type="identity.user", object_id=str(city.user("officer").pk),
                    detail={"problem": "wrong", "failures": 1})  # fmt: skip
    c = city.client("auditor")
    c.cookies["precinct_language"] = "en"
    html = c.get("/audit/").content.decode()
    body = re.sub(r"<(script|option|select)[^>]*>.*?</\1>", "", html, flags=re.S)
    cells = " ".join(re.findall(r"<td[^>]*>(.*?)</td>", body, flags=re.S))
    assert "identity.user" not in cells
    assert "{&#x27;" not in cells and "{'" not in cells
    for code in ("otp_failed", "login_failed", "demo_loaded"):
        assert f">{code}<" not in cells
    assert ">demo_loaded<" not in html


@pytest.mark.parametrize("how", ["police_number", "username", "action"])
def test_the_search_finds_entries_in_plain_words(city, how) -> None:
    user = city.user("officer")
    identity.record("view", object_type="org.officer", object_id=str(user.officer_id))
    identity.record("otp_reset", object_type="identity.user", object_id=str(user.pk))
    number = user.officer.police_number if user.officer_id else ""
    q = {"police_number": number, "username": user.username, "action": "reset"}[how]
    assert q
    with override("en"):
        rows = city.client("auditor").get("/audit/", {"q": q}).context["rows"]
    assert rows
    actions = {r.entry.action for r in rows}
    assert "otp_reset" in actions
    if how == "police_number":
        assert "view" in actions


def test_the_search_finds_a_case_by_its_number(city) -> None:
    from precinct.cases import services as cases

    scope = city.scope("leader")
    case = cases.scope_cases(scope).first()
    identity.record("view", object_type="cases.case", object_id=str(case.pk))
    rows = city.client("auditor").get("/audit/", {"q": case.number}).context["rows"]
    assert any(r.entry.object_id == str(case.pk) and r.entry.action == "view" for r in rows)


def test_the_planning_minutes_are_not_meeting_minutes(city) -> None:
    html = city.client("command").get("/planning/").content.decode()
    assert "会议纪要" not in html


def test_a_closed_campaign_is_not_a_closed_month(city) -> None:
    from precinct.campaigns.models import PHASE_LABELS

    with override("zh-hans"):
        assert str(PHASE_LABELS["closed"]) != "已结账"
    html = city.client("legal").get("/campaigns/").content.decode()
    assert "已结账" not in html
