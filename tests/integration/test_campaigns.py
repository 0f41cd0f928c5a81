"""Special campaigns: scoped lists and API, ticking items off (evidence, owners, reopening),
all-or-nothing item lists, links counted into targets, the report files, the home page flag."""

import datetime as dt
import io

import pytest

from precinct.campaigns import services
from precinct.campaigns.models import Campaign, CampaignLink, ChecklistItem
from precinct.core.errors import ValidationFailed
from precinct.identity.models import AuditEntry


def _chief_item(city, *, status: str = "open") -> ChecklistItem:
    unit = city.user("chief").unit_id
    item = (
        ChecklistItem.objects.filter(
            owner_unit_id=unit,
            status=status,
            campaign__closed_at__isnull=True,
            campaign__starts__lte=city.today,
        )
        .order_by("due")
        .first()
    )
    assert item is not None, "the demo gives the chief's station open items"
    return item


def test_the_demo_runs_23_campaigns_with_checklists_targets_and_links(city) -> None:
    rows = services.list_campaigns(city.scope("legal"), today=city.today)
    assert len(rows) == 23
    phases = {r.phase for r in rows}
    assert {"active", "closed", "planned"} <= phases
    active = [r for r in rows if r.phase == "active"]
    assert sum(r.progress.total for r in active) > 100
    assert any(r.progress.overdue for r in active)
    assert any(r.links.get("case") for r in rows) and any(r.links.get("incident") for r in rows)
    counted = next(t for r in rows for t in r.targets if t.metric == "cases")
    assert counted.reached > 0


def test_a_unit_chief_sees_his_units_items_and_an_officer_his_units(city) -> None:
    chief = city.scope("chief")
    unit = city.user("chief").unit_id
    rows = services.list_campaigns(chief, today=city.today)
    mine = ChecklistItem.objects.filter(owner_unit__path__startswith=chief.unit_subtree)
    assert rows and sum(r.progress.total for r in rows) == mine.count()
    assert {r.campaign.pk for r in rows} == set(mine.values_list("campaign_id", flat=True))
    c = city.client("chief")
    elsewhere = Campaign.objects.exclude(pk__in=mine.values("campaign_id")).first()
    assert c.get(f"/api/v1/campaigns/{elsewhere.pk}/items").status_code == 404
    assert c.get(f"/campaigns/{elsewhere.pk}/").status_code == 404
    listed = c.get(f"/api/v1/campaigns/{rows[0].campaign.pk}/items").json()
    assert listed and all(i["owner_unit_id"] == str(unit) for i in listed)
    officer = city.client("officer").get("/api/v1/campaigns")
    assert officer.status_code == 200
    assert city.client("sysadmin").get("/api/v1/campaigns").status_code == 403
    assert city.client("auditor").get("/campaigns/").status_code == 403


def test_the_api_lists_campaigns_with_progress(city) -> None:
    body = city.client("leader").get("/api/v1/campaigns?phase=active").json()
    assert body and all(c["phase"] == "active" for c in body)
    first = body[0]
    assert set(first) >= {"id", "code", "name", "progress", "targets", "links", "starts", "ends"}
    p = first["progress"]
    assert 0 <= p["done"] <= p["total"] and p["share"] == pytest.approx(p["done"] / p["total"])
    assert city.client("leader").get("/api/v1/campaigns?phase=someday").status_code == 422


def test_the_owner_ticks_an_item_off_with_evidence_and_the_progress_moves(city) -> None:
    item = _chief_item(city)
    c = city.client("chief")
    before = services.campaign_detail(city.scope("chief"), item.campaign_id, today=city.today)
    missing = c.post(f"/campaigns/items/{item.pk}/move/",
                     {"status": "done", "evidence": " ", "campaign": item.campaign_id})  # fmt: skip
    assert missing.status_code == 302
    item.refresh_from_db()
    assert item.status == "open"
    r = c.post(f"/campaigns/items/{item.pk}/move/",
               {"status": "done", "evidence": "清查记录表已上报", "campaign": item.campaign_id},
               headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 200 and b'id="checklist"' in r.content and b"<html" not in r.content
    item.refresh_from_db()
    assert item.status == "done" and item.done_on == city.today and item.done_by == "chief"
    after = services.campaign_detail(city.scope("chief"), item.campaign_id, today=city.today)
    assert after.row.progress.done == before.row.progress.done + 1
    assert AuditEntry.objects.filter(object_id=str(item.pk)).exists()
    # the chief cannot take it back; a manager can, with a reason
    again = c.post(f"/campaigns/items/{item.pk}/move/", {"status": "open", "reason": "x"})
    item.refresh_from_db()
    assert again.status_code == 302 and item.status == "done"
    legal = city.client("legal")
    legal.post(f"/campaigns/items/{item.pk}/move/", {"status": "open", "reason": "证据不全"})
    item.refresh_from_db()
    assert item.status == "open" and item.reopen_reason == "证据不全" and item.done_on is None


def test_a_chief_cannot_move_another_units_item_nor_an_officer_any(city) -> None:
    unit = city.user("chief").unit_id
    foreign = ChecklistItem.objects.exclude(owner_unit_id=unit).filter(status="open").first()
    r = city.client("chief").post(f"/campaigns/items/{foreign.pk}/move/",
                                  {"status": "done", "evidence": "x"})  # fmt: skip
    assert r.status_code == 404
    mine = _chief_item(city)
    r = city.client("officer").post(f"/campaigns/items/{mine.pk}/move/",
                                    {"status": "done", "evidence": "x"})  # fmt: skip
    assert r.status_code == 403
    foreign.refresh_from_db()
    mine.refresh_from_db()
    assert foreign.status == "open" and mine.status == "open"


def test_a_closed_campaign_keeps_its_checklist(city) -> None:
    item = (
        ChecklistItem.objects.filter(campaign__closed_at__isnull=False)
        .exclude(status="done")
        .first()
        or ChecklistItem.objects.filter(campaign__closed_at__isnull=False).first()
    )
    with pytest.raises(ValidationFailed) as caught:
        services.move_item(city.scope("legal"), item.pk, status="in_progress" if item.status !=
                           "in_progress" else "open", reason="r", by="legal",
                           today=city.today)  # fmt: skip
    assert "closed" in str(caught.value.errors[0].message)


def test_a_manager_creates_a_campaign_and_its_items_all_or_nothing(city) -> None:
    c = city.client("legal")
    bad = c.post("/campaigns/", {"code": "", "name": "x", "starts": "2026-05-01",
                                 "ends": "2026-04-01"}, follow=True)  # fmt: skip
    text = bad.content.decode()
    assert "结束日期" in text  # the field named in words
    assert not Campaign.objects.filter(name="x").exists()
    starts = city.today
    r = c.post("/campaigns/", {"code": "TEST-1", "name": "测试行动", "level": "city",
                               "starts": starts.isoformat(),
                               "ends": (starts + dt.timedelta(days=60)).isoformat()})  # fmt: skip
    made = Campaign.objects.get(code="TEST-1")
    assert r["Location"].endswith(f"/campaigns/{made.pk}/")
    station = city.user("chief").unit
    due = (starts + dt.timedelta(days=10)).isoformat()
    lines = f"摸底排查 | {station.name} | {due}\n走访 | 没有这个单位 | {due}\n总结 | {station.code} | 2099-01-01"
    r = c.post(f"/campaigns/{made.pk}/", {"action": "items", "lines": lines}, follow=True)
    text = r.content.decode()
    assert "责任单位" in text and "期限" in text  # the fields named in words
    assert not ChecklistItem.objects.filter(campaign=made).exists()  # nothing half-written
    lines = f"摸底排查 | {station.name} | {due}\n总结 | {station.code} | {due}"
    c.post(f"/campaigns/{made.pk}/", {"action": "items", "lines": lines})
    assert list(ChecklistItem.objects.filter(campaign=made).values_list("number", flat=True)) == [
        1, 2,
    ]  # fmt: skip
    assert city.client("chief").post("/campaigns/", {"code": "X"}).status_code == 403


def test_linking_a_case_counts_into_its_target(city) -> None:
    from precinct.cases import services as cases

    legal = city.scope("legal")
    campaign = Campaign.objects.filter(closed_at__isnull=True, starts__lte=city.today).first()
    target = services.add_target(legal, campaign.pk, name="破案", metric="cases", goal=5)
    linked = CampaignLink.objects.filter(campaign=campaign, kind="case").count()
    case = (
        cases.scope_cases(legal)
        .exclude(pk__in=CampaignLink.objects.filter(campaign=campaign).values("object_id"))
        .first()
    )
    c = city.client("legal")
    c.post(f"/campaigns/{campaign.pk}/", {"action": "link", "kind": "case", "ref": case.number})
    c.post(f"/campaigns/{campaign.pk}/", {"action": "link", "kind": "case", "ref": case.number})
    assert CampaignLink.objects.filter(campaign=campaign, kind="case").count() == linked + 1
    row = next(
        r for r in services.list_campaigns(legal, today=city.today) if r.campaign.pk == campaign.pk
    )
    assert next(t for t in row.targets if t.id == target.pk).reached == linked + 1
    r = c.post(f"/campaigns/{campaign.pk}/", {"action": "link", "kind": "case",
                                              "ref": "NO-SUCH-CASE"}, follow=True)  # fmt: skip
    assert "ref" in r.content.decode()


def test_the_report_as_excel_and_pdf(city) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    campaign = Campaign.objects.filter(closed_at__isnull=True, starts__lte=city.today).first()
    c = city.client("leader")
    x = c.get(f"/campaigns/{campaign.pk}/report/?format=xlsx")
    assert x.status_code == 200 and x["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(x.content))
    assert len(wb.sheetnames) == 3
    checklist = wb[wb.sheetnames[1]]
    assert checklist.max_row == 1 + ChecklistItem.objects.filter(campaign=campaign).count()
    assert wb[wb.sheetnames[2]]._charts  # the units' chart
    p = c.get(f"/campaigns/{campaign.pk}/report/?format=pdf")
    assert p.status_code == 200 and p.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(p.content)).pages)
    assert campaign.name[:4] in text
    assert c.get(f"/campaigns/{campaign.pk}/report/?format=doc").status_code == 404


def test_pages_compare_units_and_the_home_page_flags_the_owners_items(city) -> None:
    leader = city.client("leader")
    page = leader.get("/campaigns/")
    assert page.status_code == 200 and page.content.count(b"data-code=") == 23
    compare = leader.get("/campaigns/compare/")
    assert compare.status_code == 200 and b'data-chart="series"' in compare.content
    item = _chief_item(city)
    ChecklistItem.objects.filter(pk=item.pk).update(due=city.today - dt.timedelta(days=1))
    home = city.client("chief").get("/").content.decode()
    assert 'id="home-campaigns"' in home and item.task in home


def test_a_closed_campaign_takes_no_more_items_targets_or_links(city) -> None:
    legal = city.scope("legal")
    campaign = Campaign.objects.filter(closed_at__isnull=False).first()
    unit = city.user("chief").unit_id
    due = campaign.ends
    items = ChecklistItem.objects.filter(campaign=campaign).count()
    for attempt in (
        lambda: services.add_items(legal, campaign.pk, [("新任务", unit, due)]),
        lambda: services.add_target(legal, campaign.pk, name="x", metric="manual", goal=5),
        lambda: services.link(legal, campaign.pk, kind="case", ref="X", by="legal"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            attempt()
        assert caught.value.errors[0].field == "campaign"
    assert ChecklistItem.objects.filter(campaign=campaign).count() == items


def test_a_target_too_large_is_named_not_a_crash(city) -> None:
    campaign = Campaign.objects.filter(closed_at__isnull=True, starts__lte=city.today).first()
    r = city.client("legal").post(f"/campaigns/{campaign.pk}/", {"action": "target", "name": "x",
                                  "metric": "manual", "goal": str(10**20)}, follow=True)  # fmt: skip
    assert r.status_code == 200 and "goal" in r.content.decode()
