"""The demo's merit: achievements, measures, monthly meetings, closed and paid months, awards."""

import datetime as dt
import random
import uuid
from typing import Any

from precinct.core.errors import ValidationFailed
from precinct.core.scoping import Role, Scope
from precinct.merit import services as merit
from precinct.merit.rules import Month

from .steps import City, current_postings

# What each post type does in a month: (kind, low, high, chance the officer has any).
MONTHLY_WORK: dict[str, list[tuple[str, int, int, float]]] = {
    "criminal": [("case_solved", 1, 3, 0.6), ("arrest", 1, 2, 0.4), ("seizure", 1, 2, 0.2)],
    "community": [("community_visit", 6, 22, 0.95), ("dispute_mediated", 1, 5, 0.7)],
    "patrol": [("incident_handled", 8, 40, 0.95), ("rescue", 1, 1, 0.05), ("arrest", 1, 1, 0.1)],
    "traffic": [("accident_handled", 3, 16, 0.9)],
    "cyber": [("cyber_clue", 1, 5, 0.6), ("case_solved", 1, 1, 0.2)],
    "public_order": [
        ("dispute_mediated", 1, 4, 0.6),
        ("arrest", 1, 2, 0.3),
        ("seizure", 1, 1, 0.2),
    ],
    "legal": [("hq_task", 1, 4, 0.7)],
    "command": [("hq_task", 1, 4, 0.7)],
    "political": [("hq_task", 1, 3, 0.6)],
    "other": [("hq_task", 1, 3, 0.5)],
}
EVERYONE_MONTHLY = [
    ("problem_free_month", 1, 1, 0.85),
    ("campaign_task", 1, 2, 0.25),
    ("public_commendation", 1, 1, 0.03),
]


def load_merit(city: City, rng: random.Random, *, months: int) -> int:
    """``months`` months of achievements for every officer by post type, every month before this
    one closed, the last closed month's bonuses paid from a funded budget, a few warnings,
    sanctions and awards. Returns the number of achievement records."""
    bureau_id, today, report = city.bureau_id, city.today, city.report
    officers, assignments = city.staff.officers, city.staff.assignments
    if months <= 0:
        return 0
    current = Month.of(today)
    span = [current.minus(k) for k in range(months - 1, -1, -1)]
    rows = []
    for o, a in current_postings(officers, assignments):
        if o.get("status", "active") != "active":
            continue
        work = MONTHLY_WORK.get(str(o["post_type"]), MONTHLY_WORK["other"]) + EVERYONE_MONTHLY
        for m in span:
            last_day = min(m.last, today)
            for kind, low, high, chance in work:
                if rng.random() >= chance:
                    continue
                day = m.first + dt.timedelta(days=rng.randrange((last_day - m.first).days + 1))
                row = {
                    "bureau_id": bureau_id,
                    "officer_id": o["id"],
                    "unit_id": a["unit_id"],
                    "kind": kind,
                    "occurred_on": day,
                    "quantity": rng.randint(low, high),
                    "state": "submitted" if m == current else "approved",
                }
                if kind == "case_solved":
                    row["role"] = "lead" if rng.random() < 0.5 else "assist"
                    row["evidence"] = f"case:XS-{m.year}-{rng.randint(1, 99999):05d}"
                rows.append(row)
    report("merit", 0, len(span))
    n = merit.bulk_load_achievements(rows, by="demo")
    active = [
        (o, a)
        for o, a in current_postings(officers, assignments)
        if o.get("status", "active") == "active"
    ]
    scope = Scope(user_id=None, role=Role.POLITICAL_DEPT, bureau_id=bureau_id, today=today)
    for m in span:  # a few lighter measures every month, now and then a sanction
        for k in range(rng.randint(2, 5)):
            o, _a = rng.choice(active)
            measure, reason = rng.choice(DEMO_MEASURES)
            if k == 0 and rng.random() < 0.2:
                measure, reason = "caution", "违反工作纪律，造成不良影响"
            start = m.first + dt.timedelta(
                days=rng.randrange((min(m.last, today) - m.first).days + 1)
            )
            merit.add_discipline(
                scope, officer_id=o["id"], measure=measure, start=start, reason=reason
            )
    units = sorted({a["unit_id"] for _o, a in active}, key=str)
    sessions = []
    for m in span[:-1]:  # most units hold the month's meeting and publish its warning case
        for unit_id in units:
            if rng.random() < 0.08:
                continue
            sessions.append(
                {"bureau_id": bureau_id, "unit_id": unit_id, "month": str(m),
                 "warning_case": rng.choice(DEMO_WARNING_CASES),
                 "warning_published": rng.random() < 0.9, "theme": rng.choice(DEMO_THEMES),
                 "held_on": m.next().first + dt.timedelta(days=rng.randrange(5)),
                 "attendance": rng.randint(12, 60), "minutes": "传达本月警示案例，表彰星级民警。"}
            )  # fmt: skip
    merit.bulk_load_sessions(sessions)
    for i, m in enumerate(span[:-1], start=1):
        merit.close_month(bureau_id, m, by="demo", today=today)
        report("merit", i, len(span))
    for m in span[-4:-1]:  # the last months: commendations and a third-class merit, paid
        merit.fund_month(bureau_id, m, amount_fen=300_000_000 if m == span[-2] else 20_000_000,
                         by="demo")  # fmt: skip
        best = [o for o in merit.month_results(scope, m)["officers"] if o["stars"] >= 4]
        for k, o in enumerate(rng.sample(best, min(len(best), 5))):
            level, deed = ("merit_3", "破获系列案件，表现突出") if k == 0 else (
                "commendation", f"{m}月工作成绩显著")  # fmt: skip
            day = min(m.last, today) - dt.timedelta(days=2)
            award = merit.propose_award(
                scope, officer_id=uuid.UUID(o["officer"]), level=level, deed=deed,
                notice_start=day - dt.timedelta(days=14), notice_end=day,
            )  # fmt: skip
            try:
                merit.decide_award(scope, award.pk, approve=True, today=day)
            except ValidationFailed:
                merit.decide_award(scope, award.pk, approve=False, today=day)
    if len(span) > 1:
        merit.pay_month(bureau_id, span[-2], by="demo")
    _load_inductions(rng, scope, active, today)
    report("merit", len(span), len(span))
    return n


def _load_inductions(
    rng: random.Random,
    scope: Scope,
    active: list[tuple[dict[str, Any], dict[str, Any]]],
    today: dt.date,
) -> None:
    """Most recruits met a leader within days; about half have a mentor from their own unit;
    the rest wait (the page's list)."""
    since = today - dt.timedelta(days=365)
    seniors: dict[Any, list[dict[str, Any]]] = {}
    for o, a in active:
        if o["hire_date"] < today - dt.timedelta(days=365 * 8):
            seniors.setdefault(a["unit_id"], []).append(o)
    leaders = [o for o, _a in active if o["hire_date"] < today - dt.timedelta(days=365 * 20)]
    for o, a in sorted(active, key=lambda t: t[0]["police_number"]):
        if o["hire_date"] < since or rng.random() < 0.25 or not leaders:
            continue
        met = min(today, o["hire_date"] + dt.timedelta(days=rng.randint(1, 20)))
        mentor = rng.choice(seniors[a["unit_id"]]) if seniors.get(a["unit_id"]) else None
        paired = mentor is not None and rng.random() < 0.6
        try:
            merit.record_induction(
                scope, o["id"], today=today,
                leader_number=rng.choice(leaders)["police_number"], met_on=met,
                mentor_number=mentor["police_number"] if paired and mentor else "",
                mentor_from=min(today, met + dt.timedelta(days=7)) if paired else None,
            )  # fmt: skip
        except ValidationFailed:
            continue  # e.g. the chosen mentor is serving a sanction: the recruit waits


DEMO_MEASURES = [
    ("talk_reminder", "值班期间脱岗"),
    ("talk_reminder", "接处警记录不规范"),
    ("criticism", "执法记录仪未全程开启"),
    ("criticism", "案卷材料归档超期"),
    ("admonition", "受案登记不及时"),
    ("warning_education", "违规使用警车"),
]
DEMO_WARNING_CASES = [
    "某派出所民警违规查询公民个人信息案",
    "某民警酒后驾驶机动车案",
    "某所办案超期羁押被问责案",
    "某民警收受当事人财物案",
    "某队接警后未及时出警被通报案",
    "某民警泄露案情被处分案",
]
DEMO_THEMES = [
    "规范执法，从我做起", "忠诚担当，争创星级", "严守纪律，警钟长鸣", "为民服务，街面见警",
    "传帮带，新警成长", "执法监督，问题清零",
]  # fmt: skip
