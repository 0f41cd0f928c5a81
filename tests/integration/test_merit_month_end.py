"""Issue 17 part 3, the month end on the page: the month closed from its page (privileged,
re-authenticated), an open month provisional and ranking only officers with points, a rejection
with its reason, award proposals checked against every rule when proposed and edited until
decided, and a closed month that says when and by whom it was closed instead of a bare hash."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from precinct.core import clock
from precinct.core.scoping import Role
from precinct.identity import rules as access
from precinct.identity.middleware import SESSION_AUTH_AT
from precinct.jobs import services as jobs
from precinct.merit import services
from precinct.merit.models import Achievement, AwardProposal, MonthClose
from precinct.merit.rules import Month
from precinct.org.models import Officer

MONTH = Month(2025, 3)  # a month the demo city does not touch: open, and over


@pytest.fixture
def close_route():
    """The close route as the policy names it (kept as a fixture: the tests of the page ask
    for it by name)."""
    assert access.has_rule("merit:month_close")


def _english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _officer(city):
    chief = city.user("chief")
    return Officer.objects.filter(current_unit_id=chief.unit_id, status="active").first()


def test_the_political_department_closes_the_month_from_its_page(city, close_route):
    political = _english(city.client("political"))
    page = political.get(f"/merit/months/{MONTH}/")
    assert page.context["close_form"] is not None and b'id="close"' in page.content
    assert city.client("leader").get(f"/merit/months/{MONTH}/").context["close_form"] is None
    for role in ("chief", "leader", "officer"):
        r = city.client(role).post(f"/merit/months/{MONTH}/close/", {"confirm": "on"})
        assert r.status_code == 403, role
    # re-authenticated like paying: a stale confirmation sends to the password page, not closed
    session = political.session
    session[SESSION_AUTH_AT] = (clock.now() - dt.timedelta(minutes=11)).isoformat()
    session.save()
    stale = political.post(f"/merit/months/{MONTH}/close/", {"confirm": "on"})
    assert stale.status_code == 302 and stale["Location"].startswith("/login/confirm/")
    assert not MonthClose.objects.filter(month=str(MONTH)).exists()
    session[SESSION_AUTH_AT] = clock.now().isoformat()
    session.save()
    assert political.get(f"/merit/months/{MONTH}/close/").status_code in (403, 405)  # POST only
    unticked = political.post(f"/merit/months/{MONTH}/close/", {})
    assert unticked.status_code == 400 and unticked.context["close_form"].errors["confirm"]
    assert "Tick this box" in unticked.content.decode()
    assert not MonthClose.objects.filter(month=str(MONTH)).exists()
    # a month not over yet: the service's refusal in words, on the form
    this = Month.of(clock.today(django_settings.TIME_ZONE))
    early = political.post(f"/merit/months/{this}/close/", {"confirm": "on"})
    assert early.status_code == 400 and f"{this} is not over yet" in early.content.decode()
    assert not MonthClose.objects.filter(month=str(this)).exists()

    started = political.post(f"/merit/months/{MONTH}/close/", {"confirm": "on"}, follow=True)
    assert started.status_code == 200 and started.context["close_job"]["job"].live
    assert not MonthClose.objects.filter(month=str(MONTH)).exists()  # a job, not the click
    jobs.work()
    close = MonthClose.objects.get(month=str(MONTH))
    assert close.closed_by == city.user("political").username
    done = political.get(f"/merit/months/{MONTH}/")
    assert "is closed" in done.context["close_job"]["job"].message
    assert done.context["close_form"] is None and done.context["closed"]["by"]


def test_an_open_month_is_provisional_and_ranks_only_officers_with_points(city):
    officer = _officer(city)
    a = services.record_achievement(
        city.scope("chief"),
        services.AchievementData(
            officer_id=officer.pk, kind="arrest", occurred_on=dt.date(2025, 3, 9)
        ),
        today=dt.date(2025, 4, 7),
    )
    services.decide_achievements(city.scope("political"), [a.pk], approve=True)
    page = _english(city.client("political")).get(f"/merit/months/{MONTH}/")
    rows = page.context["page"].object_list
    assert rows and all(r["points"] or r["lines"] for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert str(officer.pk) in {r["officer"] for r in rows}
    assert page.context["provisional"]
    text = page.content.decode()
    assert "Provisional: not closed yet" in text and "only the officers with points" in text


def test_a_closed_month_says_when_and_by_whom_not_a_bare_hash(city):
    closed = MonthClose.objects.filter(bureau_id=city.bureau_id).order_by("-month").first()
    page = _english(city.client("political")).get(f"/merit/months/{closed.month}/")
    text = page.content.decode()
    assert not page.context["provisional"] and page.context["close_form"] is None
    heading = text[text.index('id="month-closed"') :].split("</span></span>")[0]
    assert "Closed" in heading and closed.digest[:16] not in heading
    assert timezone.localtime(closed.created_at).strftime("%Y-%m-%d") in heading
    assert "by the demo data" in heading  # the demo loader closed it, said in words
    seal = text[text.index('id="month-seal"') :]
    assert "Integrity seal" in seal.split("</summary>")[0] and closed.digest in seal


def test_a_rejection_needs_a_reason_stored_and_shown(city):
    officer = _officer(city)
    a = services.record_achievement(
        city.scope("chief"),
        services.AchievementData(
            officer_id=officer.pk, kind="arrest", occurred_on=dt.date(2025, 3, 9)
        ),
        today=dt.date(2025, 4, 7),
    )
    political = _english(city.client("political"))
    r = political.post("/merit/achievements/decide/", {"ids": [str(a.pk)], "decision": "reject"})
    assert r.status_code == 400 and r.context["decide_form"].errors["reason"]
    text = r.content.decode()  # the field's label, beside its error
    assert "Reason for rejecting" in text and "say why the achievements are rejected" in text
    a.refresh_from_db()
    assert a.state == "submitted"
    reason = "证据不足，未附案件编号"
    r = political.post(
        "/merit/achievements/decide/",
        {"ids": [str(a.pk)], "decision": "reject", "reason": reason},
    )
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.state == "rejected" and a.reason == reason
    assert reason in political.get("/merit/achievements/?state=rejected").content.decode()
    assert Achievement.objects.filter(reason=reason).count() == 1


def test_an_award_proposal_is_checked_when_proposed_and_edited_until_decided(city):
    officer = _officer(city)
    chief = city.client("chief")
    deed = "破获跨省盗窃团伙"
    r = chief.post(
        "/merit/awards/", {"officer": officer.police_number, "level": "merit_3", "deed": deed}
    )
    assert r.status_code == 400 and not AwardProposal.objects.filter(deed=deed).exists()
    text = r.content.decode()
    assert "三等功及以上须经不少于 7 个工作日的公示" in text and "notice:" not in text
    today = clock.today(django_settings.TIME_ZONE)
    r = chief.post(
        "/merit/awards/",
        {"officer": officer.police_number, "level": "commendation", "deed": "  "},
    )
    assert r.status_code == 400 and r.context["form"].errors["deed"] == ["请填写受奖事迹"]
    ok = chief.post(
        "/merit/awards/",
        {"officer": officer.police_number, "level": "commendation", "deed": deed},
    )
    assert ok.status_code == 302
    award = AwardProposal.objects.get(deed=deed)
    edit = chief.get(f"/merit/awards/?edit={award.pk}")
    assert edit.status_code == 200 and edit.context["editing"]
    assert edit.context["form"]["deed"].value() == deed
    # raised to 三等功 without a notice: refused as when proposed, unchanged
    r = chief.post("/merit/awards/", {"award": str(award.pk), "level": "merit_3", "deed": deed})
    assert r.status_code == 400 and "公示" in r.content.decode()
    award.refresh_from_db()
    assert award.level == "commendation"
    r = chief.post(
        "/merit/awards/",
        {"award": str(award.pk), "level": "merit_3", "deed": deed,
         "notice_start": (today - dt.timedelta(days=20)).isoformat(),
         "notice_end": today.isoformat()},
    )  # fmt: skip
    assert r.status_code == 302
    award.refresh_from_db()
    assert award.level == "merit_3" and award.bonus_fen == 500_000
    AwardProposal.objects.filter(pk=award.pk).update(state="rejected")
    assert chief.get(f"/merit/awards/?edit={award.pk}").status_code == 404
    r = chief.post(
        "/merit/awards/", {"award": str(award.pk), "level": "commendation", "deed": deed}
    )
    assert r.status_code == 400 and "该奖励提请已处理" in r.content.decode()


def test_the_access_policy_names_the_close_and_asks_to_reauthenticate():
    assert access.decide("merit:month_close", "POST", Role.POLITICAL_DEPT).allowed
    assert access.needs_reauth("merit:month_close", "POST")


def test_an_open_months_budget_is_funded_so_its_awards_can_be_approved(city):
    """An award approved in an open month is paid from that month's budget: the month page
    lets the political department fund it before the month is closed, and a budget too small
    says so in words (no field code, no account code)."""
    officer = _officer(city)
    today = clock.today(django_settings.TIME_ZONE)
    this = Month.of(today)
    political = city.client("political")
    award = services.propose_award(
        city.scope("political"), officer_id=officer.pk, level="commendation", deed="抓获逃犯"
    )
    refused = political.post(f"/merit/awards/{award.pk}/decide/", {"approve": "1"}, follow=True)
    text = " ".join(str(m) for m in refused.context["messages"])
    assert f"{this} 奖励金预算" in text and "budget:" not in text and "amount" not in text
    award.refresh_from_db()
    assert award.state == "proposed"
    page = political.get(f"/merit/months/{this}/").content.decode()
    assert 'id="budget"' in page and f'action="/merit/months/{this}/fund/"' in page
    assert political.post(f"/merit/months/{this}/fund/", {"yuan": "5000"}).status_code == 302
    political.post(f"/merit/awards/{award.pk}/decide/", {"approve": "1"})
    award.refresh_from_db()
    assert award.state == "approved"
