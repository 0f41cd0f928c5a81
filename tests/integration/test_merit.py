"""The 三一 month end to end: achievements entered and approved, the month frozen, bonuses paid
from a capped budget exactly once, awards checked, warnings queued from supervision."""

import datetime as dt
import threading
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from precinct.common import transactions
from precinct.core.errors import PermissionDenied, ValidationFailed
from precinct.jobs import services as jobs
from precinct.merit import rules, services
from precinct.merit.models import Achievement, LedgerTransaction, WarningItem
from precinct.merit.rules import Month
from precinct.org.models import Officer
from precinct.supervision import services as supervision
from precinct.supervision.models import Ticket
from tests.integration.markers import RACES

MONTH = Month(2025, 3)  # a month the demo city (its last few months) does not touch
TODAY = dt.date(2025, 4, 7)


@pytest.fixture
def officer(city):
    chief = city.user("chief")
    return Officer.objects.filter(current_unit_id=chief.unit_id, status="active").first()


def achieve(city, officer, kind="case_solved", day=dt.date(2025, 3, 10), **kw):
    data = services.AchievementData(
        officer_id=officer.pk,
        kind=kind,
        occurred_on=day,
        role=kw.pop("role", "lead" if kind == "case_solved" else ""),
        evidence=kw.pop("evidence", "case:XS-2026-00001" if kind == "case_solved" else ""),
        **kw,
    )
    return services.record_achievement(city.scope("chief"), data, today=TODAY)


def test_a_unit_enters_the_political_department_approves_the_month_explains(city, officer):
    a = achieve(city, officer)
    b = achieve(city, officer, kind="arrest", quantity=2)
    with pytest.raises(PermissionDenied):
        services.decide_achievements(city.scope("chief"), [a.pk], approve=True)
    before = _row(services.month_results(city.scope("political"), MONTH), officer)
    assert services.decide_achievements(city.scope("political"), [a.pk, b.pk], approve=True) == 2
    after = _row(services.month_results(city.scope("political"), MONTH), officer)
    assert after["points"] - before["points"] == 10 + 12
    refs = {ln["ref"] for ln in services.lines_of(after)}
    assert {str(a.pk), str(b.pk)} <= refs  # every point is explained by its line


def test_bad_achievements_name_their_field(city, officer):
    with pytest.raises(ValidationFailed) as exc:
        achieve(city, officer, role="boss", evidence="")
    assert {e.field for e in exc.value.errors} == {"role", "evidence"}
    with pytest.raises(ValidationFailed) as exc:
        achieve(city, officer, kind="arrest", day=TODAY + dt.timedelta(days=1))
    assert exc.value.errors[0].field == "occurred_on"


def test_closing_a_month_freezes_it_and_closing_again_changes_nothing(city, officer):
    a = achieve(city, officer)
    services.decide_achievements(city.scope("political"), [a.pk], approve=True)
    with pytest.raises(ValidationFailed):
        services.close_month(city.bureau_id, Month(2025, 4), by="t", today=TODAY)  # not over
    first = services.close_month(city.bureau_id, MONTH, by="t", today=TODAY)
    assert first.digest == rules.snapshot_digest(services.compute_month(city.bureau_id, MONTH))
    again = services.close_month(city.bureau_id, MONTH, by="t", today=TODAY)
    assert (again.pk, again.digest) == (first.pk, first.digest)
    with pytest.raises(ValidationFailed) as exc:
        achieve(city, officer, kind="arrest")  # into a closed month
    assert exc.value.errors[0].field == "occurred_on"
    later = achieve(city, officer, kind="arrest", day=dt.date(2025, 4, 1))
    services.decide_achievements(city.scope("political"), [later.pk], approve=True)
    frozen = services.month_results(city.scope("political"), MONTH)
    assert frozen["closed"] and frozen["digest"] == first.digest


def test_bonuses_are_paid_from_a_capped_budget_all_or_nothing_and_once(city, officer):
    a = achieve(city, officer)
    services.decide_achievements(city.scope("political"), [a.pk], approve=True)
    services.close_month(city.bureau_id, MONTH, by="t", today=TODAY)
    with pytest.raises(ValidationFailed) as exc:
        services.pay_month(city.bureau_id, MONTH, by="t")  # no budget yet
    assert f"{MONTH} 奖励金预算" in str(exc.value)  # the account in words, not budget:YYYY-MM
    assert not LedgerTransaction.objects.filter(key__startswith=f"star:{MONTH}:").exists()
    before = services.verify_ledger(city.bureau_id).transactions
    services.fund_month(city.bureau_id, MONTH, amount_fen=100_000_000, by="t")
    made, paid = services.pay_month(city.bureau_id, MONTH, by="t")
    assert made > 0 and paid > 0
    assert LedgerTransaction.objects.filter(key=f"case:{a.pk}").exists()
    assert services.pay_month(city.bureau_id, MONTH, by="t") == (0, 0)  # never twice
    check = services.verify_ledger(city.bureau_id)
    assert check.ok and check.transactions == before + made + 1


def test_a_reversal_is_the_exact_opposite_and_happens_once(city, officer):
    services.fund_month(city.bureau_id, MONTH, amount_fen=500_000, by="t")
    txn, _new = services.pay(
        city.bureau_id, key="manual:1", memo="x", officer_id=officer.pk, amount_fen=20_000,
        month=MONTH, by="t",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.reverse(city.scope("chief"), txn.pk, reason="wrong officer")
    rev = services.reverse(city.scope("political"), txn.pk, reason="wrong officer")
    assert sorted(e.amount_fen for e in rev.entries.all()) == [-20_000, 20_000]
    with pytest.raises(ValidationFailed):
        services.reverse(city.scope("political"), txn.pk, reason="again")
    assert services.verify_ledger(city.bureau_id).ok


def test_the_ledger_refuses_to_overdraw_a_budget(city, officer):
    services.fund_month(city.bureau_id, MONTH, amount_fen=30_000, by="t")
    services.pay(
        city.bureau_id, key="k1", memo="x", officer_id=officer.pk, amount_fen=20_000,
        month=MONTH, by="t",
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.pay(
            city.bureau_id, key="k2", memo="x", officer_id=officer.pk, amount_fen=20_000,
            month=MONTH, by="t",
        )  # fmt: skip
    assert exc.value.errors[0].params == {"account": f"{MONTH} 奖励金预算"}
    assert not exc.value.errors[0].field  # no field code shown before the reason
    assert not LedgerTransaction.objects.filter(key="k2").exists()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["pay", "reverse"]), st.integers(1, 60_000)),
        min_size=1,
        max_size=12,
    )
)
def test_the_ledger_balances_after_any_sequence(city, officer, steps) -> None:
    with transaction.atomic():
        sid = transaction.savepoint()
        services.fund_month(city.bureau_id, MONTH, amount_fen=200_000, by="t")
        paid: list[uuid.UUID] = []
        for n, (op, amount) in enumerate(steps):
            try:
                if op == "pay" or not paid:
                    txn, _ = services.pay(
                        city.bureau_id, key=f"p{n}", memo="x", officer_id=officer.pk,
                        amount_fen=amount, month=MONTH, by="t",
                    )  # fmt: skip
                    paid.append(txn.pk)
                else:
                    services.reverse(city.scope("political"), paid.pop(0), reason="test")
            except ValidationFailed:
                pass  # refused (over budget): nothing written
        check = services.verify_ledger(city.bureau_id)
        assert check.ok, check
        transaction.savepoint_rollback(sid)


def _row(results, officer):
    return next(o for o in results["officers"] if o["officer"] == str(officer.pk))


def test_accountability_lands_in_the_political_departments_queue(
    city, django_capture_on_commit_callbacks
):
    ticket = Ticket.objects.filter(state="open", lead_officer__isnull=False).first()
    legal = city.scope("legal")
    with django_capture_on_commit_callbacks(execute=True):
        supervision.move_ticket(
            legal, ticket.pk, to_state="accountability", by="legal", note="超期"
        )
    item = WarningItem.objects.get(officer_id=ticket.lead_officer_id, state="queued")
    assert item in services.warning_queue(city.scope("political"))
    services.decide_warning(
        city.scope("political"), item.pk, measure="caution", start=TODAY, note="超期未提请批捕"
    )
    item.refresh_from_db()
    assert item.state == "decided" and item.decision.end == dt.date(2025, 10, 6)
    block = services.blocking_measure(ticket.lead_officer_id, TODAY)
    assert block is not None
    award = services.propose_award(
        city.scope("political"), officer_id=ticket.lead_officer_id, level="commendation",
        deed="抓获逃犯",
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.decide_award(city.scope("political"), award.pk, approve=True, today=TODAY)
    assert exc.value.errors[0].field == "officer"


def test_an_award_is_checked_approved_and_its_statutory_bonus_paid(city, officer):
    today = dt.date(2025, 10, 8)
    services.fund_month(city.bureau_id, Month.of(today), amount_fen=1_000_000, by="t")
    political = city.scope("political")
    third = services.propose_award(
        political, officer_id=officer.pk, level="merit_3", deed="破获系列盗窃案",
        notice_start=dt.date(2025, 9, 29), notice_end=dt.date(2025, 10, 8),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:  # national holiday: too few working days
        services.decide_award(political, third.pk, approve=True, today=today)
    assert exc.value.errors[0].field == "notice"
    award = services.propose_award(
        political, officer_id=officer.pk, level="commendation", deed="抓获逃犯"
    )
    services.decide_award(political, award.pk, approve=True, today=today)
    txn = LedgerTransaction.objects.get(key=f"award:{award.pk}")
    assert sorted(e.amount_fen for e in txn.entries.all()) == [-200_000, 200_000]
    second = services.propose_award(
        political, officer_id=officer.pk, level="merit_2", deed="破获特大案件",
        notice_start=dt.date(2025, 9, 1), notice_end=dt.date(2025, 9, 20),
    )  # fmt: skip
    assert services.decide_award(political, second.pk, approve=True, today=today).state == (
        "forwarded"
    )  # above 三等功: prepared for the province


@RACES
@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_neither_double_pay_nor_overdraw(tiny) -> None:
    bureau = tiny.bureau_id
    officers = [o.pk for o in tiny.officers[:8]]
    with transactions.entry():
        services.fund_month(bureau, MONTH, amount_fen=100_000, by="t")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            # half race for one key, half spend different keys beyond the budget
            key = "same" if n % 2 == 0 else f"own-{n}"
            with transactions.entry():  # each payout is its own request
                _txn, new = services.pay(
                    bureau, key=key, memo="x", officer_id=officers[n], amount_fen=30_000,
                    month=MONTH, by="t",
                )  # fmt: skip
            outcomes.append("paid" if new else "dup")
        except ValidationFailed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (
        LedgerTransaction.objects.filter(bureau_id=bureau, key="same").count() <= 1
    )  # never twice
    check = services.verify_ledger(bureau)
    assert check.ok  # the budget never went negative
    # 100,000 fen covers exactly three of the five distinct payouts asked for, in any order
    assert outcomes.count("paid") == 3
    assert (
        LedgerTransaction.objects.filter(
            bureau_id=bureau, key__in=["same", *[f"own-{n}" for n in range(8)]]
        ).count()
        == 3
    )


def test_the_pages_enter_approve_and_explain(city, officer):
    chief, political = city.client("chief"), city.client("political")
    r = chief.post(
        "/merit/achievements/",
        {"police_number": officer.police_number, "kind": "arrest", "occurred_on": "2025-03-12",
         "quantity": "2"},
    )  # fmt: skip
    assert r.status_code == 302
    a = Achievement.objects.get(officer=officer, kind="arrest", occurred_on=dt.date(2025, 3, 12))
    assert a.state == "submitted"
    bad = chief.post(
        "/merit/achievements/",
        {"police_number": "NOPE", "kind": "arrest", "occurred_on": "2025-03-12"},
        follow=True,
    )
    assert "police number" in bad.content.decode() or "警号" in bad.content.decode()
    r = political.post("/merit/achievements/decide/", {"ids": [str(a.pk)], "decision": "approve"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.state == "approved"
    page = political.get("/merit/months/2025-03/")
    assert page.status_code == 200 and b'data-chart="bars"' in page.content
    detail = political.get(f"/merit/months/2025-03/officers/{officer.pk}/")
    assert detail.status_code == 200 and officer.police_number.encode() in detail.content
    assert political.get("/merit/months/2026-13/").status_code == 404
    api = political.get("/api/v1/merit/months/2025-03").json()
    row = next(o for o in api["officers"] if o["officer"] == str(officer.pk))
    assert any(ln["ref"] == str(a.pk) and ln["points"] == 12 for ln in row["lines"])


def test_an_officer_sees_only_their_own_month(city):
    me = city.user("officer")
    data = city.client("officer").get("/api/v1/merit/months/2026-09").json()
    assert [o["officer"] for o in data["officers"]] == [str(me.officer_id)]


def test_the_demo_city_has_closed_months_paid_bonuses_and_a_balanced_ledger(city):
    from precinct.merit.models import MonthClose

    closed = list(MonthClose.objects.order_by("month").values_list("month", "digest"))
    assert len(closed) == 2  # the demo's three months: two closed, this one open
    last = Month.parse(closed[-1][0])
    assert LedgerTransaction.objects.filter(key__startswith=f"star:{last}:").exists()
    assert services.verify_ledger(city.bureau_id).ok
    data = services.compute_month(city.bureau_id, last)
    assert rules.snapshot_digest(data) == closed[-1][1]  # reproducible from the records
    assert {o["post_type"] for o in data["officers"] if o["stars"] >= 3} >= {
        "patrol", "community", "criminal",
    }  # fmt: skip


def test_finance_gets_the_months_bonus_list_as_excel(city, officer):
    import io

    from openpyxl import load_workbook

    from precinct.merit.models import LedgerEntry

    month = Month.parse(
        LedgerTransaction.objects.filter(key__startswith="star:")
        .values_list("key", flat=True)
        .first()
        .split(":")[1]
    )
    r = city.client("political").get(f"/merit/months/{month}/bonus.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "警号"
    grand = next(row for row in rows if row[3] == "合计")[5]
    paid = sum(
        LedgerEntry.objects.filter(
            account__kind="officer", txn__entries__account__code=f"budget:{month}"
        ).values_list("amount_fen", flat=True)
    )
    assert round(grand * 100) == paid > 0
    # what each payment is for, in words: no ledger key (ids) and no English memo
    body = [row for row in rows[1:] if row[0] and row[3] not in ("小计", "合计")]
    assert {row[3] for row in body} <= {"星级奖金", "破案奖金", "立功受奖奖金", "冲正"}, body[:3]
    assert not any(":" in str(row[3]) or "case " in str(row[4]) for row in body)
    assert city.client("chief").get(f"/merit/months/{month}/bonus.xlsx").status_code == 403


def test_the_three_ones_checklist_per_unit(city):
    from precinct.core.errors import NotFound
    from precinct.merit.models import MonthClose, MonthSession
    from precinct.org.models import Unit

    last = Month.parse(MonthClose.objects.order_by("-month").values_list("month", flat=True)[0])
    chief = city.scope("chief")
    mine = city.user("chief").unit_id
    MonthSession.objects.filter(unit_id=mine, month=str(last)).delete()  # the demo's record
    row = next(r for r in services.session_checklist(chief, last) if r.unit_id == mine)
    assert row.items.stars_done and row.items.incentive_done  # the demo closed and paid it
    assert not row.items.warning_done and not row.items.done
    with pytest.raises(ValidationFailed) as exc:
        services.record_session(chief, unit_id=mine, month=last, warning_published=True)
    assert exc.value.errors[0].field == "warning_case"
    services.record_session(
        chief, unit_id=mine, month=last, warning_case="某所民警违规查询案", warning_published=True,
        theme="规范执法", attendance=31,
    )  # fmt: skip
    row = next(r for r in services.session_checklist(chief, last) if r.unit_id == mine)
    assert row.items.warning_done and row.items.done
    other = (
        Unit.objects.exclude(path__startswith=Unit.objects.get(pk=mine).path)
        .filter(kind="station")
        .first()
    )
    with pytest.raises(NotFound):
        services.record_session(chief, unit_id=other.pk, month=last, theme="x")
    page = city.client("chief").get(f"/merit/months/{last}/sessions/")
    assert page.status_code == 200 and "某所民警违规查询案" in page.content.decode()
    assert city.client("officer").post(f"/merit/months/{last}/sessions/", {}).status_code == 403


def _last_closed() -> Month:
    from precinct.merit.models import MonthClose

    return Month.parse(MonthClose.objects.order_by("-month").values_list("month", flat=True)[0])


def test_the_session_pack_as_excel_holds_every_figure_with_charts(city):
    import io

    from openpyxl import load_workbook

    from precinct.merit.models import AwardProposal, Discipline, LedgerEntry

    last = _last_closed()
    chief, mine = city.scope("chief"), city.user("chief").unit_id
    services.record_session(
        chief, unit_id=mine, month=last, warning_case="违规查询案", warning_published=True,
        theme="规范执法月",
    )  # fmt: skip
    victim = Officer.objects.filter(current_unit_id=mine, status="active").last()
    services.add_discipline(
        city.scope("political"), officer_id=victim.pk, measure="admonition",
        start=last.first + dt.timedelta(days=3), reason="台账不全",
    )  # fmt: skip
    r = city.client("political").get(f"/merit/months/{last}/pack.xlsx")
    assert r.status_code == 200 and r["Content-Type"].endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["概要", "排名", "单位", "奖励", "警示"]
    results = services.month_results(city.scope("political"), last)
    ranking = list(wb["排名"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1], row[5], row[6]) for row in ranking] == [
        (i, o["number"], o["points"], o["stars"])
        for i, o in enumerate(results["officers"], start=1)
    ]
    paid = sum(
        LedgerEntry.objects.filter(
            account__kind="officer", txn__entries__account__code=f"budget:{last}"
        ).values_list("amount_fen", flat=True)
    )
    assert paid > 0 and round(sum(row[7] for row in ranking) * 100) == paid
    units = {row[0]: row for row in wb["单位"].iter_rows(min_row=2, values_only=True)}
    mine_row = units[city.user("chief").unit.name]
    assert (mine_row[5], mine_row[6], mine_row[7]) == ("规范执法月", "违规查询案", "是")
    warned = [(w[0], w[2]) for w in wb["警示"].iter_rows(min_row=2, values_only=True)]
    assert (victim.name, "诫勉") in warned
    assert (
        len(warned)
        == Discipline.objects.filter(start__gte=last.first, start__lte=last.last).count()
    )
    awards = list(wb["奖励"].iter_rows(min_row=2, values_only=True))
    assert (
        len(awards)
        == AwardProposal.objects.filter(
            decided_on__gte=last.first, decided_on__lte=last.last, state="approved"
        ).count()
        > 0
    )  # the demo's commendations and third-class merit of the month
    assert len(wb["概要"]._charts) == 1 and len(wb["单位"]._charts) == 1
    stars = [row[1] for row in wb["概要"].iter_rows(min_row=10, max_row=15, values_only=True)]
    assert stars == [sum(1 for o in results["officers"] if o["stars"] == n) for n in range(6)]
    # a unit chief's pack holds their own unit only; an officer gets none
    r = city.client("chief").get(f"/merit/months/{last}/pack.xlsx")
    own = load_workbook(io.BytesIO(r.content))["排名"]
    assert {row[3] for row in own.iter_rows(min_row=2, values_only=True)} == {
        city.user("chief").unit.name
    }
    assert city.client("officer").get(f"/merit/months/{last}/pack.xlsx").status_code == 403
    assert city.client("political").get(f"/merit/months/{last}/pack.doc").status_code == 404


def test_the_session_pack_pdf_sets_chinese_in_noto_cjk(city, tmp_path):
    from django.core.management import call_command
    from pypdf import PdfReader

    last = _last_closed()
    chief, mine = city.scope("chief"), city.user("chief").unit_id
    services.record_session(chief, unit_id=mine, month=last, theme="规范执法月")
    out = tmp_path / "pack.pdf"
    call_command("merit", "pack", str(last), "--out", str(out))
    reader = PdfReader(out)
    text = "".join(page.extract_text() for page in reader.pages)
    assert f"三一例会材料 {last}" in text.replace("，", " ")
    assert "规范执法月" in text and "星级民警" in text
    star = next(o for o in services.month_results(city.scope("political"), last)["officers"])
    assert Officer.objects.get(pk=star["officer"]).name in text  # the month's best is named
    fonts = {
        str(f["/BaseFont"])
        for page in reader.pages
        for f in (page["/Resources"].get("/Font") or {}).values()
        if "/BaseFont" in f.get_object()
    }
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts
    with pytest.raises(SystemExit) as exc:
        call_command("merit", "pack", str(last), "--out", str(tmp_path / "pack.doc"))
    assert exc.value.code == 2


def test_promotion_ranks_twelve_months_explains_and_filters(city):
    last = _last_closed()
    today = last.next().first + dt.timedelta(days=5)
    political = city.scope("political")
    ranking = services.promotion_ranking(political, last, today=today)
    assert len(ranking.months) == 12 and ranking.closed == [
        str(m) for m in ranking.months if m <= last and m >= Month.parse(ranking.closed[0])
    ]
    active = Officer.objects.filter(status="active").count()
    assert len(ranking.rows) == active
    for r in ranking.rows[:50]:
        assert r.score.points == sum(ln.points for ln in r.score.lines)
    top = ranking.rows[0]
    month_rows = services.month_results(political, last)["officers"]
    stars = {o["officer"]: o["stars"] for o in month_rows}
    star_line = next(ln for ln in top.score.lines if ln.what == "stars")
    assert f"{last}: {stars[top.officer_id]}★" in star_line.ref or stars[top.officer_id] == 0
    # the over-50 group on its own, ranked among themselves
    over = services.promotion_ranking(political, last, today=today, band="50+")
    assert over.rows and all(r.age >= 50 for r in over.rows)
    assert {r.officer_id for r in over.rows} == {r.officer_id for r in ranking.rows if r.age >= 50}
    assert [r.score.rank for r in over.rows if r.score.eligible][:3] == [1, 2, 3]
    with pytest.raises(ValidationFailed) as exc:
        services.promotion_ranking(political, last, today=today, band="60-69")
    assert exc.value.errors[0].field == "band"
    # a sanction in force makes the officer ineligible; a commendation adds its line
    leader = next(r for r in ranking.rows if r.score.eligible)
    services.add_discipline(
        political, officer_id=uuid.UUID(leader.officer_id), measure="demerit",
        start=today - dt.timedelta(days=1), reason="违规",
    )  # fmt: skip
    after = services.promotion_ranking(political, last, today=today)
    row = next(r for r in after.rows if r.officer_id == leader.officer_id)
    assert not row.score.eligible and row.score.rank is None and row.score.blocked_by == "demerit"
    assert after.rows[-1].score.eligible is False
    # a unit chief ranks their own unit; an officer may not look
    chief = services.promotion_ranking(city.scope("chief"), last, today=today)
    unit_name = city.user("chief").unit.name
    assert chief.rows and {r.unit for r in chief.rows} == {unit_name}
    with pytest.raises(PermissionDenied):
        services.promotion_ranking(city.scope("officer"), last, today=today)
    # the page ranks as of the server's own today (the clock), after the demerit above: compare
    # it with the ranking for that day, not with the one computed for `today`
    shown = services.promotion_ranking(political, last, today=city.today, band="50+")
    page = city.client("political").get(f"/merit/promotion/?month={last}&band=50%2B")
    assert page.status_code == 200 and shown.rows[0].name in page.content.decode()


def test_recruits_meet_a_leader_and_get_a_mentor_and_the_rest_are_listed(city):
    from precinct.core import clock
    from precinct.merit.models import Induction

    today = clock.today("Asia/Shanghai")
    political = city.scope("political")
    rows = services.recruits(political, today=today)
    assert rows and all(
        r.hired >= rules.add_months(today, -rules.RECRUIT_MONTHS) or r.induction for r in rows
    )
    waiting = services.recruits(political, today=today, waiting_only=True)
    assert waiting and {r.officer_id for r in waiting} == {
        r.officer_id for r in rows if r.waiting_for
    }
    assert any(not r.waiting_for for r in rows)  # the demo paired some
    recruit = waiting[0]
    Induction.objects.filter(officer_id=recruit.officer_id).delete()
    unit = Officer.objects.get(pk=recruit.officer_id).current_unit_id
    old = (
        Officer.objects.filter(current_unit_id=unit, status="active")
        .exclude(pk=recruit.officer_id)
        .order_by("hire_date")
        .first()
    )
    young = (
        Officer.objects.filter(status="active")
        .order_by("-hire_date")
        .exclude(pk=recruit.officer_id)[0]
    )
    # refused: the page's transaction (an entry point's) leaves nothing half-written
    with pytest.raises(ValidationFailed) as exc, transactions.entry():
        services.record_induction(
            political, recruit.officer_id, today=today, leader_number=old.police_number,
            met_on=today + dt.timedelta(days=1), mentor_number=young.police_number,
            mentor_from=today,
        )  # fmt: skip
    assert {e.field for e in exc.value.errors} == {"met_on", "mentor"}
    with pytest.raises(ValidationFailed) as exc, transactions.entry():
        services.record_induction(
            political, recruit.officer_id, today=today, mentor_number="000000", mentor_from=today
        )
    assert exc.value.errors[0].field == "mentor"
    assert not Induction.objects.filter(officer_id=recruit.officer_id).exists()  # nothing half
    services.record_induction(
        political, recruit.officer_id, today=today, leader_number=old.police_number,
        met_on=recruit.hired,
    )  # fmt: skip
    row = next(
        r for r in services.recruits(political, today=today) if r.officer_id == recruit.officer_id
    )
    assert row.waiting_for == ["mentor"]
    r = city.client("political").post(
        f"/merit/recruits/{recruit.officer_id}/",
        {"mentor": old.police_number, "mentor_from": today.isoformat()},
    )
    assert r.status_code == 302
    row = next(
        r for r in services.recruits(political, today=today) if r.officer_id == recruit.officer_id
    )
    assert row.waiting_for == [] and row.induction.mentor_id == old.pk
    assert row.induction.leader_id == old.pk  # recording the mentor kept the meeting
    assert recruit.officer_id not in {
        r.officer_id for r in services.recruits(political, today=today, waiting_only=True)
    }
    page = city.client("political").get("/merit/recruits/?waiting=1")
    assert page.status_code == 200
    assert city.client("officer").get("/merit/recruits/").status_code == 403
    assert (
        city.client("leader").post(f"/merit/recruits/{recruit.officer_id}/", {}).status_code == 403
    )


def test_the_political_department_saves_a_new_policy_version_from_the_page(city):
    from precinct.core import clock
    from precinct.merit.models import ScoringPolicy

    nxt = Month.of(clock.today("Asia/Shanghai")).next()
    client = city.client("political")
    page = client.get("/merit/policy/")
    assert (
        page.status_code == 200 and 'name="points.patrol.incident_handled"' in page.content.decode()
    )
    r = client.post("/merit/policy/", {"valid_from": str(nxt), "thresholds.0": "ten"})
    assert r.status_code == 302 and not ScoringPolicy.objects.exists()
    shown = client.get(r["Location"]).content.decode()
    assert "thresholds.0" in shown  # the message names the field
    closed = _last_closed()
    r = client.post("/merit/policy/", {"valid_from": str(closed)})
    assert not ScoringPolicy.objects.exists()  # a closed month keeps its version
    r = client.post(
        "/merit/policy/",
        {"valid_from": str(nxt), "points.patrol.incident_handled": "3", "star_bonus_yuan": "250"},
    )
    saved = ScoringPolicy.objects.get()
    assert saved.version == 2 and saved.valid_from == nxt.first
    after = services.policy_for(city.bureau_id, nxt)
    assert after.points_for("patrol", "incident_handled") == 3 and after.star_bonus_fen == 25_000
    assert services.policy_for(city.bureau_id, nxt.previous()).version == 1
    chief = city.client("chief").get("/merit/policy/").content.decode()
    assert "<fieldset disabled>" in chief
    assert city.client("chief").post("/merit/policy/", {"valid_from": str(nxt)}).status_code == 403


def test_awards_are_proposed_checked_decided_and_forwarded_with_a_dossier(city, officer):
    from pypdf import PdfReader

    from precinct.core import clock
    from precinct.merit.models import AwardProposal

    today = clock.today("Asia/Shanghai")
    services.fund_month(city.bureau_id, Month.of(today), amount_fen=10_000_000, by="t")
    chief, political = city.client("chief"), city.client("political")
    r = chief.post("/merit/awards/", {"officer": "000000", "level": "commendation", "deed": "x"})
    assert r.status_code == 400 and not AwardProposal.objects.filter(deed="x").exists()
    assert r.context["form"].errors["officer"]  # the error is on the field
    deed = "抓获持刀抢劫嫌疑人"
    chief.post(
        "/merit/awards/", {"officer": officer.police_number, "level": "commendation", "deed": deed}
    )
    award = AwardProposal.objects.get(deed=deed)
    assert (
        award.state == "proposed" and award.bonus_fen == rules.STATUTORY_BONUS_FEN["commendation"]
    )
    assert chief.post(f"/merit/awards/{award.pk}/decide/", {"approve": "1"}).status_code == 403
    political.post(f"/merit/awards/{award.pk}/decide/", {"approve": "1"})
    award.refresh_from_db()
    assert award.state == "approved" and award.decided_on == today
    assert LedgerTransaction.objects.filter(key=f"award:{award.pk}").exists()
    # above 三等功: a public notice of seven working days, then forwarded with a dossier
    big = "破获特大电信诈骗案"
    short = chief.post(
        "/merit/awards/",
        {"officer": officer.police_number, "level": "merit_2", "deed": big,
         "notice_start": (today - dt.timedelta(days=2)).isoformat(),
         "notice_end": today.isoformat()},
    )  # fmt: skip
    assert short.status_code == 400  # the notice is too short: refused when proposed
    assert not AwardProposal.objects.filter(deed=big).exists()
    chief.post(
        "/merit/awards/",
        {"officer": officer.police_number, "level": "merit_2", "deed": big,
         "notice_start": (today - dt.timedelta(days=20)).isoformat(),
         "notice_end": today.isoformat()},
    )  # fmt: skip
    second = AwardProposal.objects.get(deed=big)
    political.post(f"/merit/awards/{second.pk}/decide/", {"approve": "1"})
    second.refresh_from_db()
    assert second.state == "forwarded"
    assert not LedgerTransaction.objects.filter(key=f"award:{second.pk}").exists()
    r = political.get(f"/merit/awards/{second.pk}/dossier.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert big in text and officer.name in text and deed in text  # the earlier award is listed
    other = Officer.objects.exclude(current_unit_id=officer.current_unit_id).filter(
        status="active"
    )[0]
    foreign = services.propose_award(
        city.scope("political"), officer_id=other.pk, level="commendation", deed="y"
    )
    assert chief.get(f"/merit/awards/{foreign.pk}/dossier.pdf").status_code == 404
    assert deed in chief.get("/merit/awards/").content.decode()
    assert "y</td>" not in chief.get("/merit/awards/").content.decode()


def test_locking_decisions_run_in_the_entry_points_transaction(tiny) -> None:
    """Outside a transaction these refuse with a clear error (on PostgreSQL a row lock outside
    one failed deep in the database layer: the demo city failed to load there); inside the entry
    point's, as the pages, the CLI and the demo loader call them, they decide."""
    from precinct.core.scoping import Role, Scope
    from precinct.merit.models import Induction

    assert not connection.in_atomic_block
    bureau = tiny.bureau_id
    scope = Scope(user_id=None, role=Role.POLITICAL_DEPT, bureau_id=bureau, today=TODAY)
    officer = tiny.officers[-1]  # the recruit
    award = services.propose_award(
        scope, officer_id=officer.pk, level="commendation", deed="锁测试"
    )
    with pytest.raises(transactions.OutsideTransaction, match="decide_award"):
        services.decide_award(scope, award.pk, approve=True, today=TODAY)
    with transactions.entry():
        services.fund_month(bureau, Month.of(TODAY), amount_fen=1_000_000, by="t")
        decided = services.decide_award(scope, award.pk, approve=True, today=TODAY)
    assert decided.state == "approved"
    mentor = tiny.officers[0]  # hired in 2006
    pairing = {
        "today": TODAY,
        "mentor_number": mentor.police_number,
        "mentor_from": max(officer.hire_date, TODAY - dt.timedelta(days=3)),
    }
    with pytest.raises(transactions.OutsideTransaction, match="record_induction"):
        services.record_induction(scope, officer.pk, **pairing)
    assert not Induction.objects.filter(officer=officer).exists()
    with transactions.entry():
        services.record_induction(scope, officer.pk, **pairing)
    assert Induction.objects.get(officer=officer).mentor_id == mentor.pk


def test_the_pack_counts_units_by_id_even_when_names_repeat(city):
    from precinct.org.models import Unit

    last = _last_closed()
    political = city.scope("political")
    stations = list(Unit.objects.filter(kind="station").order_by("path")[:2])
    Unit.objects.filter(pk=stations[1].pk).update(name=stations[0].name)  # names are not unique
    pack = services.session_pack(political, last)
    rows = [u for u in pack.units if u.name == stations[0].name]
    members = [Officer.objects.filter(current_unit=s, status="active").count() for s in stations]
    assert sorted(u.officers for u in rows) == sorted(members)


def test_user_text_reaches_excel_as_text_never_as_a_formula(city, officer):
    import io

    from openpyxl import load_workbook

    from precinct.core import clock

    today = clock.today("Asia/Shanghai")
    services.fund_month(city.bureau_id, Month.of(today), amount_fen=10_000_000, by="t")
    evil = '=HYPERLINK("http://x.example","点我")'
    award = services.propose_award(
        city.scope("chief"), officer_id=officer.pk, level="commendation", deed=evil + "\x07"
    )
    services.decide_award(city.scope("political"), award.pk, approve=True, today=today)
    r = city.client("political").get(f"/merit/months/{Month.of(today)}/pack.xlsx")
    ws = load_workbook(io.BytesIO(r.content))["奖励"]
    cells = [
        c for row in ws.iter_rows(min_row=2) for c in row if c.value and "HYPERLINK" in str(c.value)
    ]
    assert cells and all(c.data_type == "s" for c in cells)
    r = city.client("political").get(f"/merit/months/{Month.of(today)}/bonus.xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_an_award_is_decided_only_by_an_explicit_choice(city, officer):
    from precinct.merit.models import AwardProposal

    award = services.propose_award(
        city.scope("chief"), officer_id=officer.pk, level="commendation", deed="明确决定"
    )
    city.client("political").post(f"/merit/awards/{award.pk}/decide/", {})
    assert AwardProposal.objects.get(pk=award.pk).state == "proposed"


def test_a_mentor_comes_from_the_callers_scope_and_an_unchanged_part_keeps_its_note(city):
    from precinct.core import clock
    from precinct.merit.models import Induction

    today = clock.today("Asia/Shanghai")
    chief = city.scope("chief")
    recruit = services.recruits(chief, today=today)[0]
    Induction.objects.filter(officer_id=recruit.officer_id).delete()
    outsider = (
        Officer.objects.exclude(current_unit_id=city.user("chief").unit_id)
        .filter(status="active", hire_date__lt=dt.date(2015, 1, 1))
        .first()
    )
    services.add_discipline(
        city.scope("political"), officer_id=outsider.pk, measure="demerit",
        start=today - dt.timedelta(days=3), reason="x",
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.record_induction(
            chief, recruit.officer_id, today=today, mentor_number=outsider.police_number,
            mentor_from=today,
        )  # fmt: skip
    assert [(e.field, e.params) for e in exc.value.errors] == [
        ("mentor", {"number": outsider.police_number})
    ]  # "no officer …": nothing about the outsider's service or sanctions
    mine = (
        Officer.objects.filter(current_unit_id=city.user("chief").unit_id, status="active")
        .exclude(pk=recruit.officer_id)
        .order_by("hire_date")
        .first()
    )
    services.record_induction(
        chief, recruit.officer_id, today=today, leader_number=mine.police_number,
        met_on=today, meeting_note="谈心谈话",
    )  # fmt: skip
    services.add_discipline(
        city.scope("political"), officer_id=mine.pk, measure="demerit", start=today, reason="y",
    )  # fmt: skip
    services.record_induction(  # the leader part as recorded, now with a mentor too
        chief, recruit.officer_id, today=today, leader_number=mine.police_number, met_on=today,
        meeting_note="谈心谈话",
    )  # fmt: skip
    assert Induction.objects.get(officer_id=recruit.officer_id).meeting_note == "谈心谈话"
    page = city.client("chief").get("/merit/recruits/").content.decode()
    assert 'name="meeting_note"' in page and "谈心谈话" in page


def test_the_political_department_funds_and_pays_the_month_from_its_page(city, officer):
    """Journey 5: the bonuses are paid through the ledger from the month page (a privileged
    action), each once; what is owed, paid and budgeted is on the page."""
    a = achieve(city, officer)
    services.decide_achievements(city.scope("political"), [a.pk], approve=True)
    services.close_month(city.bureau_id, MONTH, by="t", today=TODAY)
    political = city.client("political")
    political.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages read below
    page = political.get(f"/merit/months/{MONTH}/")
    status = page.context["payout"]["status"]
    assert status.owed > 0 and status.paid == 0 and status.budget_fen == 0
    assert page.context["payout"]["status"].short and b'id="payout"' in page.content
    before = services.verify_ledger(city.bureau_id).transactions

    for bad in ("", "-5", "1.5", "abc", "10000001"):
        r = political.post(f"/merit/months/{MONTH}/fund/", {"yuan": bad}, follow=True)
        assert any(str(m).startswith("Amount: ") for m in r.context["messages"]), bad
    assert services.verify_ledger(city.bureau_id).transactions == before

    from precinct.core import clock
    from precinct.identity.middleware import SESSION_AUTH_AT

    session = political.session
    session[SESSION_AUTH_AT] = (clock.now() - dt.timedelta(minutes=11)).isoformat()
    session.save()
    stale = political.post(f"/merit/months/{MONTH}/fund/", {"yuan": "5"})
    assert stale.status_code == 302 and stale["Location"].startswith("/login/confirm/")
    assert services.verify_ledger(city.bureau_id).transactions == before  # not carried out
    session[SESSION_AUTH_AT] = clock.now().isoformat()
    session.save()

    refused = political.post(f"/merit/months/{MONTH}/pay/", follow=True)  # no budget yet
    assert any("budget" in str(m) for m in refused.context["messages"])
    assert not LedgerTransaction.objects.filter(key__startswith=f"star:{MONTH}:").exists()

    yuan = status.owed_fen // rules.FEN_PER_YUAN + 1
    funded = political.post(f"/merit/months/{MONTH}/fund/", {"yuan": f"{yuan:,}"}, follow=True)
    assert funded.status_code == 200
    started = political.post(f"/merit/months/{MONTH}/pay/", follow=True)
    assert started.status_code == 200 and started.context["pay_job"]["job"].live
    jobs.work()  # the worker pays (a background job)
    paid = political.get(f"/merit/months/{MONTH}/")
    after = paid.context["payout"]["status"]
    assert after.paid == after.owed == status.owed and after.paid_fen == status.owed_fen
    assert after.budget_fen == yuan * rules.FEN_PER_YUAN - status.owed_fen
    assert LedgerTransaction.objects.filter(key=f"case:{a.pk}").exists()
    political.post(f"/merit/months/{MONTH}/pay/", follow=True)  # never twice
    jobs.work()
    again = political.get(f"/merit/months/{MONTH}/")
    assert "paid already" in again.context["pay_job"]["job"].message
    check = services.verify_ledger(city.bureau_id)
    assert check.ok and check.transactions == before + 1 + status.owed

    for role in ("chief", "leader", "officer", "sysadmin"):
        assert city.client(role).post(f"/merit/months/{MONTH}/pay/").status_code == 403, role
    assert city.client("leader").get(f"/merit/months/{MONTH}/").context["payout"] is None


def test_a_number_outside_the_chiefs_unit_is_answered_like_one_that_does_not_exist(city):
    """Before, another unit's officer gave a 404 where an unknown number gave "no officer": a
    unit chief could learn which police numbers exist elsewhere (award form, achievement form and
    API alike)."""
    chief = city.scope("chief")
    elsewhere = (
        Officer.objects.exclude(current_unit_id=chief.unit_id).exclude(current_unit=None).first()
    )
    c = city.client("chief")
    c.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    answers = []
    for number in (elsewhere.police_number, "NO-SUCH-NUMBER"):
        api = c.post(
            "/api/v1/merit/achievements",
            {"police_number": number, "kind": "arrest", "occurred_on": "2026-01-05"},
            content_type="application/json",
        )
        award = c.post(
            "/merit/awards/", {"officer": number, "level": "commendation", "deed": "x"}, follow=True
        )
        form = c.post(
            "/merit/achievements/",
            {"police_number": number, "kind": "arrest", "occurred_on": "2026-01-05"},
            follow=True,
        )
        answers.append(
            (
                api.status_code,
                api.json()["errors"][0]["field"],
                award.status_code,
                [str(m).replace(number, "N") for m in award.context["form"].errors["officer"]],
                form.status_code,
                b"no such officer" in form.content,
            )
        )
    assert answers[0] == answers[1], answers
    assert answers[0][0] == 422 and answers[0][2] == 400 and answers[0][3], answers


def test_codes_are_the_glossarys_and_old_ones_still_read(city) -> None:
    """One name per thing: 警告 is stored as caution, 撤職 as dismissal_from_post, the award levels
    as merit_3/2/1 and honour_2/1. The data migration renames stored rows; months closed before
    keep the old codes in their frozen lines, and the labels read those too."""
    import importlib

    from django.apps import apps as registry

    from precinct.merit.models import AWARD_LABELS, MEASURE_LABELS, Discipline

    migration = importlib.import_module("precinct.merit.migrations.0005_glossary_codes")
    officer = Officer.objects.filter(status="active").first()
    old = Discipline.objects.create(
        bureau_id=city.bureau_id, officer=officer, measure="removal", start=TODAY, reason="旧代码"
    )
    migration.forwards(registry, None)
    old.refresh_from_db()
    assert old.measure == "dismissal_from_post"
    assert not Discipline.objects.filter(measure__in=["warning", "removal"]).exists()
    assert MEASURE_LABELS.get("warning") == MEASURE_LABELS["caution"]
    assert AWARD_LABELS["third_class"] == AWARD_LABELS.get("merit_3")
    assert "third_class" not in dict(AWARD_LABELS.items())  # never offered as a choice
    assert {c for c, _label in Discipline._meta.get_field("measure").choices} >= {
        "caution",
        "dismissal_from_post",
    }
