"""Dynamic deployment (动态用警): secondments planned, approved, ended or turned into a posting at
the officer's request; the live seconded share against the goal; the page, the API, the audit."""

import datetime as dt
import uuid

import pytest

from precinct.command.models import CrewShift
from precinct.core.errors import NotFound, PermissionDenied, ValidationFailed
from precinct.identity.models import AuditEntry
from precinct.org import services
from precinct.org.models import Assignment, Officer, Secondment, Unit

NOW = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)


def _free_hq_officer(exclude: tuple[uuid.UUID, ...] = ()) -> Officer:
    """An officer in active service posted in a headquarters department, with no open
    secondment and no secondment at all (so his history is only what the test makes)."""
    busy = Secondment.objects.values("officer_id")
    return (
        Officer.objects.filter(current_unit__kind="department", status="active")
        .exclude(pk__in=busy)
        .exclude(pk__in=exclude)
        .exclude(current_position__in=["支队长", "副支队长", "教导员"])
        .order_by("police_number")
        .first()
    )


def _plan(city, officer: Officer, *, to: str = "XY02", start=None, **over):
    today = city.today
    args = dict(
        officer_id=officer.pk,
        from_unit_id=officer.current_unit_id,
        to_unit_id=Unit.objects.get(code=to).pk,
        start=start or today,
        planned_end=(start or today) + dt.timedelta(days=3 * 365),
        purpose="充实派出所警力",
        today=today,
    )
    args.update(over)
    return services.plan_secondment(city.scope("political"), **args)


def _share(city, **kw):
    return services.deployment_summary(city.scope("leader"), today=city.today, **kw)


# --- the demo city ---------------------------------------------------------------------------
def test_the_demo_seconds_about_62_percent_of_headquarters(city) -> None:
    s = _share(city)
    assert s.goal == 0.6
    assert 0.60 <= s.share <= 0.64, s.share
    assert len(s.by_department) == 11
    assert s.short_of_goal == 0
    hq = Officer.objects.filter(current_unit__kind="department", status="active").count()
    assert s.hq_officers == hq


def test_the_demo_has_every_kind_of_secondment(city) -> None:
    counts = {
        status: Secondment.objects.filter(status=status).count()
        for status in ("planned", "active", "returned", "stayed", "cancelled")
    }
    assert all(n > 0 for n in counts.values()), counts
    waiting = Secondment.objects.filter(status="active", stay_requested=True, stay_decision="")
    assert waiting.exists()
    for s in Secondment.objects.filter(status="stayed").select_related("officer")[:10]:
        assert s.officer.current_unit_id == s.to_unit_id  # posted where he asked to stay
        posting = Assignment.objects.get(officer=s.officer, end__isnull=True)
        assert (posting.unit_id, posting.start) == (s.to_unit_id, s.ended_on)
        assert Assignment.objects.filter(officer=s.officer, unit_id=s.from_unit_id, end=s.ended_on)


def test_every_demo_secondment_passes_the_rules(city) -> None:
    """The loader writes in bulk: the rows must still be what the services would accept."""
    from precinct.org import rules

    for s in Secondment.objects.select_related("officer", "from_unit", "to_unit"):
        draft = services._draft(
            s.officer,
            s.from_unit,
            s.to_unit,
            start=s.start,
            planned_end=s.planned_end,
            purpose=s.purpose,
        )
        if s.status == "stayed":  # his posting there has since ended
            draft = rules.SecondmentDraft(**{**draft.__dict__, "posted_unit": s.from_unit_id})
        errors = rules.check_secondment(draft, [], today=max(s.start, city.today))
        assert errors == [], (s.status, errors)
    for officer_id in Secondment.objects.values_list("officer_id", flat=True).distinct():
        periods = [
            rules.Period(a, b or c)
            for a, b, c in Secondment.objects.filter(officer_id=officer_id)
            .exclude(status="cancelled")
            .values_list("start", "ended_on", "planned_end")
        ]
        for i, p in enumerate(periods):
            assert not any(p.overlaps(q) for q in periods[i + 1 :])


def test_the_patrol_roster_counts_on_24_seconded_public_order_officers(city) -> None:
    to_patrol = Secondment.objects.filter(
        status="active", from_unit__code="ZA", to_unit__code="XFDD"
    )
    rostered = set(CrewShift.objects.values_list("officer_id", flat=True))
    outsiders = rostered - set(
        Officer.objects.filter(current_unit__code="XFDD").values_list("pk", flat=True)
    )
    assert len(outsiders) == 24
    assert outsiders <= set(to_patrol.values_list("officer_id", flat=True))


# --- services --------------------------------------------------------------------------------
def test_a_plan_counts_once_approved_and_stops_on_return(city) -> None:
    officer = _free_hq_officer()
    before = _share(city)
    s = _plan(city, officer)
    assert s.status == "planned" and _share(city).seconded == before.seconded
    services.approve_secondment(city.scope("leader"), s.pk, today=city.today, now=NOW)
    s.refresh_from_db()
    assert s.status == "active" and s.approved_at == NOW and s.approved_by
    after = _share(city)
    assert after.seconded == before.seconded + 1
    dept = next(d for d in after.by_department if d.unit_id == officer.current_unit_id)
    was = next(d for d in before.by_department if d.unit_id == officer.current_unit_id)
    assert dept.seconded == was.seconded + 1
    services.record_return(
        city.scope("political"), s.pk, on=city.today, note="期满返回", today=city.today
    )
    s.refresh_from_db()
    assert (s.status, s.ended_on) == ("returned", city.today)
    assert _share(city).seconded == before.seconded
    officer.refresh_from_db()
    assert officer.current_unit.kind == "department"  # his posting never moved


def test_the_what_if_counts_plans_without_approving_them(city) -> None:
    a = _free_hq_officer()
    b = _free_hq_officer(exclude=(a.pk,))
    later = city.today + dt.timedelta(days=30)
    plans = [_plan(city, a), _plan(city, b, start=later)]
    before = _share(city)
    after = _share(city, what_if=[p.pk for p in plans])
    assert after.seconded == before.seconded + 2
    assert set(after.what_if) == {p.pk for p in plans}
    statuses = Secondment.objects.filter(pk__in=[p.pk for p in plans]).values_list("status")
    assert set(statuses) == {("planned",)}
    # an approved or unknown id is not a plan: the what-if ignores it
    active = Secondment.objects.filter(status="active").first()
    assert _share(city, what_if=[active.pk, uuid.uuid4()]).seconded == before.seconded


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"to": "ZA"}, "to_unit"),  # a department is not a grassroots unit
        ({"planned_end": "before"}, "planned_end"),
        ({"planned_end": "six years"}, "planned_end"),
        ({"purpose": " "}, "purpose"),
        ({"from_unit": "JJ"}, "officer"),  # he is not posted in the traffic police
        ({"from_unit": "XY01"}, "from_unit"),
    ],
)
def test_a_bad_plan_names_the_field_and_writes_nothing(city, change, field) -> None:
    officer = _free_hq_officer()
    over: dict[str, object] = {}
    if "to" in change:
        over["to"] = change["to"]
    if change.get("planned_end") == "before":
        over["planned_end"] = city.today - dt.timedelta(days=1)
    if change.get("planned_end") == "six years":
        over["planned_end"] = city.today + dt.timedelta(days=6 * 365)
    if "purpose" in change:
        over["purpose"] = change["purpose"]
    if "from_unit" in change:
        unit = Unit.objects.get(code=change["from_unit"])
        if unit.pk == officer.current_unit_id:
            unit = Unit.objects.get(code="XZ")
        over["from_unit_id"] = unit.pk
    n = Secondment.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        _plan(city, officer, **over)
    assert field in {e.field for e in exc.value.errors}
    assert Secondment.objects.count() == n


def test_no_two_open_secondments_of_one_officer_overlap(city) -> None:
    officer = _free_hq_officer()
    _plan(city, officer)
    with pytest.raises(ValidationFailed) as exc:
        _plan(city, officer, to="GN01", start=city.today + dt.timedelta(days=100))
    assert [e.field for e in exc.value.errors] == ["start"]
    follow_on = city.today + dt.timedelta(days=3 * 365)  # the day the first one ends
    with pytest.raises(ValidationFailed):  # more than a year ahead, but not an overlap
        _plan(city, officer, to="GN01", start=follow_on)


def test_only_the_allowed_moves_are_made(city) -> None:
    officer = _free_hq_officer()
    s = _plan(city, officer)
    political, leader = city.scope("political"), city.scope("leader")
    with pytest.raises(ValidationFailed):
        services.record_return(political, s.pk, on=city.today, today=city.today)
    services.cancel_secondment(political, s.pk, note="工作需要")
    with pytest.raises(ValidationFailed) as exc:
        services.approve_secondment(leader, s.pk, today=city.today, now=NOW)
    assert exc.value.errors[0].field == "status"
    s.refresh_from_db()
    assert (s.status, s.end_note) == ("cancelled", "工作需要")


def test_planning_and_approving_are_different_hands(city) -> None:
    officer = _free_hq_officer()
    with pytest.raises(PermissionDenied):
        services.plan_secondment(
            city.scope("leader"),
            officer_id=officer.pk,
            from_unit_id=officer.current_unit_id,
            to_unit_id=Unit.objects.get(code="XY02").pk,
            start=city.today,
            planned_end=city.today + dt.timedelta(days=365),
            purpose="x",
            today=city.today,
        )
    s = _plan(city, officer)
    for username in ("political", "chief", "officer", "legal"):
        with pytest.raises((PermissionDenied, NotFound)):
            services.approve_secondment(city.scope(username), s.pk, today=city.today, now=NOW)


def test_a_granted_stay_posts_the_officer_to_the_receiving_unit(city) -> None:
    officer = _free_hq_officer()
    start = city.today - dt.timedelta(days=2 * 365)
    old = Assignment.objects.get(officer=officer, end__isnull=True)
    if old.start > start:  # the posting must be in force on the start date
        Assignment.objects.filter(pk=old.pk).update(start=start - dt.timedelta(days=10))
    s = _plan(city, officer, start=start, to="GN02")
    leader, political = city.scope("leader"), city.scope("political")
    services.approve_secondment(leader, s.pk, today=city.today, now=NOW)
    hq_before = _share(city).hq_officers
    with pytest.raises(ValidationFailed):  # nobody has asked yet
        services.decide_stay(
            leader, s.pk, grant=True, on=city.today, position="民警", today=city.today
        )
    with pytest.raises(ValidationFailed) as exc:
        services.request_stay(political, s.pk, on=city.today, note="", today=city.today)
    assert [e.field for e in exc.value.errors] == ["note"]
    services.request_stay(
        political, s.pk, on=city.today, note="熟悉辖区，申请留任", today=city.today
    )
    with pytest.raises(ValidationFailed):  # one request at a time
        services.request_stay(political, s.pk, on=city.today, note="再次申请", today=city.today)
    with pytest.raises(PermissionDenied):
        services.decide_stay(political, s.pk, grant=True, on=city.today, today=city.today)
    services.decide_stay(
        leader, s.pk, grant=True, on=city.today, position="社区民警", today=city.today
    )
    s.refresh_from_db()
    officer.refresh_from_db()
    assert (s.status, s.ended_on, s.stay_decision) == ("stayed", city.today, "granted")
    assert officer.current_unit.code == "GN02" and officer.current_position == "社区民警"
    closed = Assignment.objects.get(pk=old.pk)
    assert closed.end == city.today
    assert _share(city).hq_officers == hq_before - 1  # no longer a headquarters officer


def test_a_refused_stay_leaves_the_secondment_running(city) -> None:
    s = Secondment.objects.filter(status="active", stay_requested=True, stay_decision="").first()
    services.decide_stay(city.scope("leader"), s.pk, grant=False, on=city.today, today=city.today)
    s.refresh_from_db()
    assert (s.status, s.stay_decision) == ("active", "refused")
    posting = Assignment.objects.get(officer_id=s.officer_id, end__isnull=True)
    assert posting.unit_id == s.from_unit_id


def test_a_stay_granted_on_a_bad_day_names_the_date(city) -> None:
    s = Secondment.objects.filter(status="active", stay_requested=True, stay_decision="").first()
    with pytest.raises(ValidationFailed) as exc:
        services.decide_stay(
            city.scope("leader"),
            s.pk,
            grant=True,
            on=s.start - dt.timedelta(days=1),
            position="民警",
            today=city.today,
        )
    assert [e.field for e in exc.value.errors] == ["on"]
    s.refresh_from_db()
    assert s.status == "active"


def test_the_rotation_history_of_an_officer(city) -> None:
    officer_id = (
        Secondment.objects.filter(status="returned")
        .filter(officer__secondments__status="active")
        .values_list("officer_id", flat=True)
        .first()
    )
    history = services.officer_secondments(city.scope("political"), officer_id)
    assert [s.status for s in history][-1] == "active" and "returned" in {s.status for s in history}
    assert [s.start for s in history] == sorted(s.start for s in history)


# --- scoping ---------------------------------------------------------------------------------
def test_a_station_chief_sees_only_secondments_into_his_station(city) -> None:
    chief = city.user("chief")
    scope = city.scope("chief")
    visible = services.list_secondments(scope)
    assert visible.exists()
    assert set(visible.values_list("to_unit_id", flat=True)) == {chief.unit_id}
    summary = services.deployment_summary(scope, today=city.today)
    assert (summary.hq_officers, summary.by_department) == (0, [])
    other = Secondment.objects.exclude(to_unit_id=chief.unit_id).first()
    with pytest.raises(NotFound):
        services.get_secondment(scope, other.pk)


def test_a_department_chief_sees_his_departments_share(city) -> None:
    from precinct.core.scoping import Role, Scope

    za = Unit.objects.get(code="ZA")
    scope = Scope(
        user_id=None,
        role=Role.UNIT_CHIEF,
        bureau_id=city.bureau_id,
        unit_id=za.pk,
        unit_path=za.path,
        today=city.today,
    )
    summary = services.deployment_summary(scope, today=city.today)
    assert [d.unit_id for d in summary.by_department] == [za.pk]
    assert summary.seconded >= 24
    assert set(services.list_secondments(scope).values_list("from_unit_id", flat=True)) <= {
        za.pk
    } | set(Unit.objects.filter(kind__in=["station", "sub_bureau"]).values_list("pk", flat=True))


@pytest.mark.parametrize("username", ["sysadmin", "auditor"])
def test_no_business_role_sees_no_secondments(city, username) -> None:
    assert services.list_secondments(city.scope(username)).count() == 0


def test_an_officer_sees_his_own_secondments_only(city) -> None:
    scope = city.scope("officer")
    assert set(services.list_secondments(scope).values_list("officer_id", flat=True)) <= {
        scope.officer_id
    }


# --- pages -----------------------------------------------------------------------------------
def test_the_page_shows_the_share_against_the_goal(city) -> None:
    r = city.client("political").get("/org/deployment/")
    assert r.status_code == 200
    body = r.content.decode()
    s = _share(city)
    assert f"{round(s.share * 100, 1)}%" in body and "60.0%" in body
    assert 'data-chart="series"' in body and 'id="deployment-chart"' in body
    assert 'action="/org/deployment/plan/"' in body  # the political department plans
    assert "/approve/" not in body  # and does not approve
    leader = city.client("leader").get("/org/deployment/").content.decode()
    assert "/approve/" in leader and 'action="/org/deployment/plan/"' not in leader


def test_a_bad_plan_on_the_page_names_the_field_and_writes_nothing(city) -> None:
    officer = _free_hq_officer()
    n = Secondment.objects.count()
    r = city.client("political").post(
        "/org/deployment/plan/",
        {
            "officer": officer.police_number,
            "from_unit": str(officer.current_unit_id),
            "to_unit": str(Unit.objects.get(code="XY02").pk),
            "start": city.today.isoformat(),
            "planned_end": (city.today - dt.timedelta(days=1)).isoformat(),
            "purpose": "社区警务",
        },
    )
    assert r.status_code == 200
    form = r.context["plan_form"]
    assert list(form.errors) == ["planned_end"]
    assert "必须晚于起始日期" in r.content.decode()  # shown in Chinese, on the field
    assert Secondment.objects.count() == n
    r = city.client("political").post(
        "/org/deployment/plan/",
        {
            "officer": "999999",
            "from_unit": str(officer.current_unit_id),
            "to_unit": str(Unit.objects.get(code="XY02").pk),
            "start": city.today.isoformat(),
            "planned_end": (city.today + dt.timedelta(days=30)).isoformat(),
            "purpose": "社区警务",
        },
    )
    assert list(r.context["plan_form"].errors) == ["officer"]


def test_plan_then_approve_on_the_page_changes_the_share(city) -> None:
    officer = _free_hq_officer()
    before = _share(city)
    r = city.client("political").post(
        "/org/deployment/plan/",
        {
            "officer": officer.police_number,
            "from_unit": str(officer.current_unit_id),
            "to_unit": str(Unit.objects.get(code="XY02").pk),
            "start": city.today.isoformat(),
            "planned_end": (city.today + dt.timedelta(days=1000)).isoformat(),
            "purpose": "社区警务",
            "query": "status=planned",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/org/deployment/?status=planned"
    s = Secondment.objects.get(officer=officer)
    assert s.status == "planned" and _share(city).seconded == before.seconded
    what_if = city.client("leader").get(f"/org/deployment/?what_if={s.pk}")
    assert 'id="kpi-after"' in what_if.content.decode()
    assert what_if.context["after"].seconded == before.seconded + 1
    assert city.client("political").post(f"/org/deployment/{s.pk}/approve/").status_code == 403
    r = city.client("leader").post(f"/org/deployment/{s.pk}/approve/", {"query": ""})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == "active"
    assert _share(city).seconded == before.seconded + 1
    page = city.client("leader").get("/org/deployment/").content.decode()
    assert f"{round((before.seconded + 1) / before.hq_officers * 100, 1)}%" in page
    audit = AuditEntry.objects.filter(object_type="org.secondment", object_id=str(s.pk))
    assert set(audit.values_list("action", flat=True)) == {"create", "update"}
    update = audit.get(action="update")
    assert update.detail["changes"]["status"] == ["planned", "active"]
    assert update.actor == "leader"


def test_page_actions_return_and_explain_refusals(city) -> None:
    s = Secondment.objects.filter(status="active", stay_requested=False).first()
    client = city.client("political")
    future = (city.today + dt.timedelta(days=3)).isoformat()
    r = client.post(f"/org/deployment/{s.pk}/return/", {"on": future}, follow=True)
    assert "不能晚于今天" in r.content.decode()  # "is in the future", translated
    s.refresh_from_db()
    assert s.status == "active"
    client.post(f"/org/deployment/{s.pk}/stay-request/", {"note": "申请留任"})
    s.refresh_from_db()
    assert s.stay_requested and s.stay_note == "申请留任"
    r = city.client("leader").post(
        f"/org/deployment/{s.pk}/stay-decision/",
        {"decision": "refused", "on": city.today.isoformat()},
    )
    assert r.status_code == 302
    client.post(f"/org/deployment/{s.pk}/return/", {"on": city.today.isoformat(), "note": "返回"})
    s.refresh_from_db()
    assert (s.status, s.stay_decision, s.end_note) == ("returned", "refused", "返回")
    assert client.post(f"/org/deployment/{uuid.uuid4()}/return/").status_code == 404


def test_the_list_filters_by_status_and_department(city) -> None:
    za = Unit.objects.get(code="ZA")
    r = city.client("leader").get(f"/org/deployment/?status=active&department={za.pk}")
    rows = r.context["page"].object_list
    assert rows and all(s.status == "active" and s.from_unit_id == za.pk for s in rows)
    partial = city.client("leader").get("/org/deployment/?status=planned", HTTP_HX_REQUEST="true")
    assert b"<h1>" not in partial.content  # the list alone, for htmx
    assert (
        partial.content.count(b'<tr id="s-') == Secondment.objects.filter(status="planned").count()
    )


@pytest.mark.parametrize(
    ("username", "status"),
    [("leader", 200), ("political", 200), ("chief", 200), ("officer", 403), ("legal", 403)],
)
def test_who_opens_the_page(city, username, status) -> None:
    assert city.client(username).get("/org/deployment/").status_code == status


def test_the_officer_page_shows_the_rotation_history(city) -> None:
    s = Secondment.objects.filter(status="returned").select_related("to_unit").first()
    r = city.client("political").get(f"/org/officers/{s.officer_id}/")
    body = r.content.decode()
    assert 'id="secondments"' in body and s.to_unit.name in body


# --- API -------------------------------------------------------------------------------------
def test_the_summary_api(city) -> None:
    r = city.client("leader").get("/api/v1/deployment/summary")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"goal", "overall", "short_of_goal", "by_department", "what_if"}
    assert body["goal"] == 0.6
    assert set(body["overall"]) == {"hq_officers", "seconded", "share"}
    assert len(body["by_department"]) == 11
    assert set(body["by_department"][0]) == {"unit_id", "name", "hq_officers", "seconded", "share"}
    assert sum(d["seconded"] for d in body["by_department"]) == body["overall"]["seconded"]
    planned = Secondment.objects.filter(status="planned").values_list("pk", flat=True)[:2]
    query = "&".join(f"what_if={p}" for p in planned)
    after = city.client("leader").get(f"/api/v1/deployment/summary?{query}").json()
    assert after["overall"]["seconded"] >= body["overall"]["seconded"]
    assert set(after["what_if"]) == {str(p) for p in planned}


def test_the_summary_api_is_scoped(city) -> None:
    chief = city.client("chief").get("/api/v1/deployment/summary").json()
    assert chief["by_department"] == [] and chief["overall"]["hq_officers"] == 0
    assert city.client("officer").get("/api/v1/deployment/summary").status_code == 403
    assert city.client("legal").get("/api/v1/deployment/summary").status_code == 403


def test_the_secondment_list_api_is_paged_and_scoped(city) -> None:
    r = city.client("political").get("/api/v1/secondments?status=active&page_size=5")
    body = r.json()
    assert r.status_code == 200 and body["page_size"] == 5 and len(body["items"]) == 5
    assert body["total"] == Secondment.objects.filter(status="active").count()
    assert {i["status"] for i in body["items"]} == {"active"}
    chief_id = str(city.user("chief").unit_id)
    mine = city.client("chief").get("/api/v1/secondments?page_size=200").json()
    assert mine["total"] > 0 and {i["to_unit_id"] for i in mine["items"]} == {chief_id}
    own = city.client("officer").get("/api/v1/secondments").json()
    officer_id = str(city.user("officer").officer_id)
    assert all(i["officer_id"] == officer_id for i in own["items"])
    assert city.client("auditor").get("/api/v1/secondments").status_code == 403


ACTIONS = {
    "approve": {"leader"},
    "cancel": {"political"},
    "return": {"political"},
    "stay-request": {"political"},
    "stay-decision": {"leader"},
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_is_open_to_its_role_only(city, action) -> None:
    """Allowed roles reach the view (an unknown secondment: 404); every other role gets 403, and
    nobody may GET an action."""
    path = f"/org/deployment/{uuid.uuid4()}/{action}/"
    data = {"decision": "refused", "on": city.today.isoformat()}
    for username in ("leader", "political", "legal", "command", "chief", "officer", "sysadmin"):
        client = city.client(username)
        expected = 404 if username in ACTIONS[action] else 403
        assert client.post(path, data).status_code == expected, (username, action)
        assert client.get(path).status_code == 403, (username, action)
