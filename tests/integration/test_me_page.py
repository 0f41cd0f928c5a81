"""我的 (issue 17, officers serve themselves): the officer's own record — stars and points by
month, each month's explanation, awards, bonus received, warnings and sanctions, mentor and
mentees, his unit's campaign items, findings on his cases — and nothing of another officer's;
an achievement of his own submitted with its evidence, decided by the political department,
the decision and its reason back on his page. Never for another officer, never deciding his own."""

import datetime as dt
import json
import re
import time
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from precinct.campaigns import services as campaigns
from precinct.common import transactions
from precinct.core.errors import PermissionDenied, ValidationFailed
from precinct.identity.models import AuditEntry
from precinct.merit import rules, services
from precinct.merit.models import Achievement, Induction, MonthClose
from precinct.merit.services.achievements import submit_own_achievement
from precinct.org.models import Officer
from precinct.supervision import services as supervision


@pytest.fixture
def me(city):
    return Officer.objects.get(pk=city.user("officer").officer_id)


@pytest.fixture
def other(city, me):
    """Another officer of the same station: nothing of his may show on the officer's page."""
    return (
        Officer.objects.filter(current_unit_id=me.current_unit_id, status="active")
        .exclude(pk=me.pk)
        .exclude(pk=city.user("chief").officer_id)
        .first()
    )


def _page(city, username="officer") -> str:
    r = city.client(username).get("/me/")
    assert r.status_code == 200
    return r.content.decode()


def _rows(html: str, section: str, attr: str) -> set[str]:
    """The ``data-<attr>`` values of the rows of one section of the page."""
    part = re.search(rf'<section class="card" id="{section}">(.*?)</section>', html, re.S)
    assert part, section
    return set(re.findall(rf'data-{attr}="([^"]+)"', part.group(1)))


def _submit(client, **fields):
    body = {"kind": "rescue", "occurred_on": "", "quantity": "1", "role": "", "evidence": ""}
    return client.post("/me/achievements/", {**body, **fields})


def _case(city, number: str, lead) -> None:
    """A case of the officer's lead, detained two days ago and never delivered: overdue."""
    from precinct.core import clock

    at = (clock.now() - dt.timedelta(days=2)).isoformat()
    supervision.import_document(
        bureau_id=city.bureau_id,
        document={
            "case": {"id": number, "kind": "criminal", "title": "盗窃案",
                     "lead_officer": lead.police_number},
            "events": [{"type": "detained", "at": at, "subject": "p1"}],
        },
        default_unit="XY01",
    )  # fmt: skip


def test_the_officer_sees_his_own_record_and_nothing_of_another_officers(
    city, me, other, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _case(city, "XS-ME-MINE", me)
        _case(city, "XS-ME-THEIRS", other)
    political = city.scope("political")
    bureau, month = city.bureau_id, rules.Month.of(city.today)
    mine: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    for officer, out, tag in ((me, mine, "本人"), (other, theirs, "他人")):
        out["measure"] = services.add_discipline(
            political, officer_id=officer.pk, measure="talk_reminder", start=city.today,
            reason=f"{tag}谈话提醒事由",
        )  # fmt: skip
        out["award"] = services.propose_award(
            political, officer_id=officer.pk, level="commendation", deed=f"{tag}事迹"
        )
    services.fund_month(bureau, month, amount_fen=1_000_000, by="test")
    services.pay(bureau, key="test:me", memo="test", officer_id=me.pk, amount_fen=12_345,
                 month=month, by="test")  # fmt: skip
    services.pay(bureau, key="test:other", memo="test", officer_id=other.pk, amount_fen=67_891,
                 month=month, by="test")  # fmt: skip
    senior = Officer.objects.filter(bureau_id=bureau).exclude(pk__in=[me.pk, other.pk]).first()
    assert senior is not None
    Induction.objects.update_or_create(
        officer=me, defaults={"bureau_id": bureau, "mentor": senior, "mentor_from": city.today}
    )
    Induction.objects.update_or_create(
        officer=other, defaults={"bureau_id": bureau, "mentor": me, "mentor_from": city.today}
    )
    services.record_achievement(
        city.scope("chief"),
        services.AchievementData(officer_id=other.pk, kind="rescue", occurred_on=city.today,
                                 evidence="OTHER-EVIDENCE-7"),
        today=city.today,
    )  # fmt: skip

    html = _page(city)
    assert me.name in html and me.police_number in html
    assert _rows(html, "my-measures", "measure") >= {str(mine["measure"].pk)}
    assert str(theirs["measure"].pk) not in html and "他人谈话提醒事由" not in html
    assert _rows(html, "my-awards", "award") >= {str(mine["award"].pk)}
    assert str(theirs["award"].pk) not in html and "他人事迹" not in html
    assert "¥123.45" in html and "¥678.91" not in html  # the ledger's money, formatted
    assert senior.police_number in html  # my mentor
    assert other.police_number in html  # my mentee (his only trace on my page)
    assert "OTHER-EVIDENCE-7" not in html
    # the campaign items are my unit's, the findings on my cases
    items = _rows(html, "my-campaign-items", "item")
    owned = {
        str(pk)
        for pk in campaigns.scope_items(city.scope("officer"))
        .filter(owner_unit_id=me.current_unit_id)
        .values_list("pk", flat=True)
    }
    assert items and items <= owned
    cases = _rows(html, "my-findings", "case")
    my_cases = {
        str(f.case_id) for f in supervision.scope_findings(city.scope("officer")).only("case_id")
    }
    assert cases and cases <= my_cases
    assert "XS-ME-MINE" in html and "XS-ME-THEIRS" not in html


def _json(html: str, block: str) -> Any:
    found = re.search(rf'id="{block}"[^>]*>(.*?)</script>', html, re.S)
    assert found, block
    return json.loads(found.group(1))


def test_the_months_are_charted_and_each_opens_its_explanation(city, me):
    html = _page(city)
    stars, points = _json(html, "me-stars"), _json(html, "me-points")
    assert len(stars["labels"]) == 12 and stars["labels"][-1] == str(rules.Month.of(city.today))
    assert points["labels"] == stars["labels"]
    closed = MonthClose.objects.filter(bureau_id=city.bureau_id, month__in=stars["labels"])
    assert closed.exists()  # the demo city closed its last months
    for close in closed:
        row = next(o for o in close.data["officers"] if o["officer"] == str(me.pk))
        at = stars["labels"].index(close.month)
        assert stars["values"][at] == row["stars"]
        assert points["series"][0]["values"][at] == row["points"]
        link = f"/merit/months/{close.month}/officers/{me.pk}/"
        assert f'href="{link}"' in html
        assert city.client("officer").get(link).status_code == 200
    assert 'data-chart="bars" data-source="me-stars"' in html


def test_an_officer_submits_his_own_and_sees_the_decision_and_its_reason(city, me):
    officer = city.client("officer")
    r = _submit(officer, occurred_on=city.today.isoformat(), evidence="XS-2026-ME-1")
    assert r.status_code == 302 and r["Location"] == "/me/#my-achievements"
    a = Achievement.objects.get(officer=me, evidence="XS-2026-ME-1")
    assert (a.state, a.unit_id, a.entered_by) == (
        "submitted",
        me.current_unit_id,
        str(city.user("officer").pk),
    )
    assert AuditEntry.objects.filter(
        object_type="merit.achievement", object_id=str(a.pk), action="create"
    ).exists()  # audited as every achievement write
    html = _page(city)
    assert f'data-achievement="{a.pk}" data-state="submitted"' in html

    r = city.client("political").post(
        "/merit/achievements/decide/",
        {"ids": [str(a.pk)], "decision": "reject", "reason": "佐证不足，请补充案件编号"},
    )
    assert r.status_code == 302
    html = _page(city)
    row = re.search(rf'<tr data-achievement="{a.pk}" data-state="(\w+)">(.*?)</tr>', html, re.S)
    assert row and row.group(1) == "rejected"
    assert "佐证不足，请补充案件编号" in row.group(2)


def test_an_officer_never_submits_for_another_officer(city, me, other):
    officer = city.client("officer")
    before = Achievement.objects.filter(officer=other).count()
    # the page's form has no officer: one named in the post is not read
    r = _submit(officer, occurred_on=city.today.isoformat(), evidence="XS-NOT-HIS",
                police_number=other.police_number, officer=str(other.pk))  # fmt: skip
    assert r.status_code == 302
    assert Achievement.objects.get(evidence="XS-NOT-HIS").officer_id == me.pk
    # the service refuses another officer's, and the unit's entry and the API are not his
    data = services.AchievementData(officer_id=other.pk, kind="rescue", occurred_on=city.today)
    with pytest.raises(PermissionDenied), transactions.entry():
        submit_own_achievement(city.scope("officer"), data, today=city.today)
    body = {"police_number": other.police_number, "kind": "rescue",
            "occurred_on": city.today.isoformat()}  # fmt: skip
    assert officer.post("/merit/achievements/", body).status_code == 403
    assert (
        officer.post("/api/v1/merit/achievements", body, content_type="application/json")
    ).status_code == 403
    assert Achievement.objects.filter(officer=other).count() == before
    # nor may an account without an officer record submit one: the system administrator's role
    # may not; the leader's may, but has no record of his own to add to
    total = Achievement.objects.count()
    r = _submit(city.client("sysadmin"), occurred_on=city.today.isoformat())
    assert r.status_code == 403
    r = _submit(city.client("leader"), occurred_on=city.today.isoformat())
    assert r.status_code == 404
    assert Achievement.objects.count() == total


def test_no_one_decides_his_own_achievement(city, me):
    officer = city.client("officer")
    _submit(officer, occurred_on=city.today.isoformat(), evidence="XS-OWN-1")
    a = Achievement.objects.get(evidence="XS-OWN-1")
    r = officer.post("/merit/achievements/decide/", {"ids": [str(a.pk)], "decision": "approve"})
    assert r.status_code == 403
    # the political department's own officer submits his own: he may not approve it either
    political = city.client("political")
    assert city.user("political").officer_id is not None
    _submit(political, occurred_on=city.today.isoformat(), evidence="XS-OWN-2")
    b = Achievement.objects.get(evidence="XS-OWN-2")
    assert b.officer_id == city.user("political").officer_id
    r = political.post("/merit/achievements/decide/", {"ids": [str(b.pk)], "decision": "approve"})
    assert r.status_code == 400
    with pytest.raises(ValidationFailed) as exc:
        services.decide_achievements(city.scope("political"), [b.pk], approve=True)
    assert [e.field for e in exc.value.errors] == ["ids"]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, b.state) == ("submitted", "submitted")
    # his list offers no box to tick beside his own
    listed = political.get("/merit/achievements/?state=submitted").content.decode()
    assert f'value="{b.pk}"' not in listed


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="error" role="alert" id="(\w+)-errors">(.*?)</div>', html))


def test_bad_input_names_the_field(city, me):
    officer = city.client("officer")
    before = Achievement.objects.filter(officer=me).count()
    with translation.override("zh-hans"):
        label = {f: gettext(t) for f, t in (("kind", "Kind"), ("occurred_on", "Date"),
                                            ("role", "Role in the case"),
                                            ("evidence", "Evidence"))}  # fmt: skip
    r = _submit(officer, kind="no-such-kind", occurred_on="next tuesday")
    assert r.status_code == 400
    errors = _errors(r.content.decode())
    assert set(errors) == {"kind", "occurred_on"}
    for field, text in errors.items():
        assert text.startswith(label[field] + "："), text
    tomorrow = (city.today + dt.timedelta(days=1)).isoformat()
    r = _submit(officer, kind="case_solved", occurred_on=tomorrow)  # no role, no case named
    errors = _errors(r.content.decode())
    assert r.status_code == 400 and set(errors) == {"occurred_on", "role", "evidence"}
    assert errors["evidence"].startswith(label["evidence"] + "：")
    r = _submit(officer, occurred_on=city.today.isoformat(), evidence="X" * 81)
    assert r.status_code == 400 and set(_errors(r.content.decode())) == {"evidence"}
    assert Achievement.objects.filter(officer=me).count() == before


@pytest.mark.parametrize("username", ["political", "legal", "command", "chief"])
def test_other_roles_with_an_officer_record_see_their_own(city, username):
    html = _page(city, username)
    officer = Officer.objects.get(pk=city.user(username).officer_id)
    assert officer.police_number in html and 'data-source="me-stars"' in html


@pytest.mark.parametrize("username", ["sysadmin", "auditor", "leader"])
def test_an_account_without_an_officer_record_keeps_its_account_page(city, username):
    html = _page(city, username)
    assert username in html and "me-stars" not in html and "submit-achievement" not in html


def test_me_is_in_the_menu_and_answers_quickly_enough(city):
    home = city.client("officer").get("/").content.decode()
    nav = re.search(r'<nav id="main-nav".*?</nav>', home, re.S)
    assert nav and 'href="/me/"' in nav.group(0)
    c = city.client("officer")
    c.get("/me/")
    started = time.perf_counter()
    assert c.get("/me/").status_code == 200
    assert time.perf_counter() - started < 5


def test_the_homes_my_record_button_opens_my_page(city, me):
    """The officer's home links 我的档案 to his whole record (我的), not the personnel card."""
    html = city.client("officer").get("/").content.decode()
    button = re.search(r'<a class="button primary" href="([^"]+)">', html)
    assert button is not None and button.group(1) == "/me/"
