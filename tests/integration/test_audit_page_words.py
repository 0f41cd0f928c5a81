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
    assert shown["Password"] == ("(redacted)", "(redacted)")
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


def test_every_record_and_field_the_log_can_show_has_chinese_words() -> None:
    """Whatever row the log shows, created, changed or deleted: its type and every field it
    lists are named in words in 简体 and 繁體 (Django's default label is the code's name)."""
    from django.apps import apps

    from precinct.identity.signals import _audited

    latin = re.compile(r"[A-Za-z]")
    for language in ("zh-hans", "zh-hant"):
        with override(language):
            for model in apps.get_models():
                if not model.__module__.startswith("precinct.") or not _audited(model):
                    continue
                name = model._meta.label_lower
                assert not latin.search(labels.object_label(name)), (language, name)
                for field in model._meta.concrete_fields:
                    if field.attname in labels._QUIET_FIELDS:
                        continue
                    label = labels._field_label(model, field.attname)
                    assert not latin.search(label), (language, name, field.attname, label)


def test_system_accounts_and_structured_values_read_as_words() -> None:
    with override("zh-hans"):
        assert labels.actor_label("demo", "system") == "系统（演示数据）"
        assert labels.actor_label("scheduler", "system") == "系统（定时任务）"
        assert labels.actor_label("anonymous", "") == "未知用户"
        assert labels.actor_label("leader", "leader") == "leader"  # a person: his user name
        # a user who happens to be called "demo" is a person, not the demo loader
        assert labels.actor_label("demo", "officer") == "demo"
        lines = labels.detail_lines(
            "campaigns.campaign",
            {"row": {"created_by": "demo", "id": "x", "key": "k"}},
        )
        assert [(x.label, x.after.text) for x in lines] == [("创建人", "系统（演示数据）")]
        job = labels.detail_lines(
            "jobs.job",
            {"row": {"kind": "merit.pay", "params": {"month": "2026-11"}, "key": "merit.pay:1"}},
        )
        assert [x.after.text for x in job] == ["发放本月奖金", "（1 项）"]
        linked = labels.detail_lines("merit.achievement", {"changes": {"officer_id": ["a", "b"]}})
        assert linked[0].label == "民警"
        assert (linked[0].before.linked, linked[0].after.linked) == ("a", "b")
        assert not linked[0].after.title  # no raw id on hover


def test_codes_of_other_apps_and_ids_read_as_words() -> None:
    """A case event's type and subject are supervision's words (registered at start-up); a
    ticket's steps, an incident's events and a planning run use their labelled choices; an id
    held in a plain field is a link, not a uuid."""
    with override("zh-hans"):
        event = labels.detail_lines(
            "cases.caseevent", {"row": {"type": "detained", "subject": "p2", "case_id": "c"}}
        )
        shown = {x.label: x.after.text for x in event}
        assert shown["类型"] == "刑事拘留" and shown["对象"] == "当事人2"
        step = labels.detail_lines(
            "supervision.ticketstep", {"row": {"from_state": "open", "to_state": "rectifying"}}
        )
        assert [x.after.text for x in step] == ["待整改", "整改中"]
        kind = labels.detail_lines("command.incidentevent", {"row": {"kind": "on_scene"}})
        assert kind[0].after.text == "到达现场"
        held = "01a246f5-76f6-7f1c-8dc9-4b1f208ceaa4"
        linked = labels.detail_lines(
            "merit.warningitem", {"changes": {"proposal_id": [None, held]}}
        )
        assert linked[0].after.linked == held and held not in linked[0].after.text


def test_a_ledger_memo_reads_as_words() -> None:
    """The payout rules write memos as codes ("case case:XS-…"); merit registers their words."""
    with override("zh-hans"):
        memo = labels.detail_lines(
            "merit.ledgertransaction", {"row": {"memo": "case case:XS-2026-57804", "key": "k"}}
        )
        assert [x.after.text for x in memo] == ["破案奖励：案件 XS-2026-57804"]
        budget = labels.detail_lines(
            "merit.ledgertransaction", {"row": {"memo": "bonus budget 2026-11"}}
        )
        assert budget[0].after.text == "2026-11 奖励金预算"


def test_an_account_and_an_achievements_part_read_as_words() -> None:
    with override("zh-hans"):
        account = labels.detail_lines(
            "merit.account", {"row": {"code": "budget:2023-12", "kind": "budget"}}
        )
        assert [x.after.text for x in account] == ["2023-12 奖励金预算", "月度奖励金预算"]
        part = labels.detail_lines("merit.achievement", {"row": {"role": "lead"}})
        assert part[0].after.text == "主办"
