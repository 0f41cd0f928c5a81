"""Realistic case timelines for the demo city: pure and seeded. Most cases follow the law; a few
percent carry real problems of several kinds (a late delivery, a missing family notice, an
unrecorded interrogation, an overdue decision…)."""

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
PROBLEM_RATE = 0.005  # per step, late or missing: a few percent of cases have a problem


@dataclass
class Timeline:
    number: str
    kind: str
    title: str
    flags: dict[str, bool]
    events: list[tuple[str, dt.datetime, str | None, dict[str, Any]]] = field(default_factory=list)


CRIMINAL_TITLES = (
    "盗窃案",
    "入室盗窃案",
    "诈骗案",
    "电信网络诈骗案",
    "故意伤害案",
    "抢劫案",
    "贩卖毒品案",
    "寻衅滋事案",
    "非法拘禁案",
    "开设赌场案",
    "交通肇事案",
    "敲诈勒索案",
)
ADMIN_TITLES = (
    "殴打他人",
    "盗窃（治安）",
    "赌博",
    "吸毒",
    "扰乱公共秩序",
    "违法停车",
    "无证驾驶",
    "故意损毁财物",
    "阻碍执行职务",
    "卖淫嫖娼",
)


class _Clock:
    def __init__(self, rng: random.Random, start: dt.datetime) -> None:
        self.rng, self.t = rng, start

    def after(self, low_h: float, high_h: float, *, limit_h: float | None = None) -> dt.datetime:
        """Move on by a plausible delay; now and then (a problem) past the legal limit."""
        hours = self.rng.uniform(low_h, high_h)
        if limit_h is not None and self.rng.random() < PROBLEM_RATE:
            hours = limit_h + self.rng.uniform(1, max(2.0, limit_h * 0.3))
        self.t += dt.timedelta(hours=hours)
        return self.t


def _skip(rng: random.Random) -> bool:
    return rng.random() < PROBLEM_RATE


def criminal(rng: random.Random, number: str, start: dt.datetime) -> Timeline:
    tl = Timeline(
        number,
        "criminal",
        rng.choice(CRIMINAL_TITLES),
        {"major": rng.random() < 0.08, "gang": rng.random() < 0.03},
    )
    c = _Clock(rng, start)
    ev = tl.events.append
    ev(("report_received", c.t, None, {}))
    ev(("case_accepted", c.after(0.1, 1.5, limit_h=2), None, {}))
    if rng.random() < 0.08:
        ev(("case_not_filed", c.after(24, 60, limit_h=96), None, {}))
        if not _skip(rng):
            ev(("complainant_notified", c.after(2, 40, limit_h=96), None, {}))
        return tl
    ev(("case_filed", c.after(24, 60, limit_h=96), None, {}))
    if rng.random() < 0.55:
        return tl  # no suspect yet
    for p in ["p1"] if rng.random() < 0.75 else ["p1", "p2"]:
        ev(("summoned", c.after(24, 400), p, {}))
        ev(("detained", c.after(2, 10, limit_h=12), p, {}))
        ev(("interrogated", c.after(1, 12, limit_h=24), p, {"av_recorded": not _skip(rng)}))
        if not _skip(rng):
            ev(("family_notified", c.after(0.5, 10, limit_h=24), p, {"measure": "detention"}))
        ev(("delivered_to_detention_centre", c.after(0.5, 6, limit_h=24), p, {}))
        if rng.random() < 0.25:
            if rng.random() < 0.5:
                ev(("released", c.after(20, 60), p, {}))
            else:
                ev(("bail_started", c.after(20, 60), p, {}))
                ev(("bail_ended", c.after(2000, 8000, limit_h=8760), p, {}))
            continue
        extended = rng.random() < 0.3
        if extended:
            ev(("detention_extended", c.after(20, 40), p, {"days": 7}))
            ev(("arrest_requested", c.after(48, 100, limit_h=130), p, {}))
        else:
            ev(("arrest_requested", c.after(24, 60, limit_h=60), p, {}))
        ev(("arrest_approved", c.after(48, 150, limit_h=168), p, {}))
        ev(("arrested", c.after(0.2, 1.5, limit_h=2), p, {}))
        ev(("delivered_to_detention_centre", c.after(0.1, 0.4, limit_h=2), p, {}))
        ev(("interrogated", c.after(1, 10, limit_h=20), p, {"av_recorded": True}))
        if not _skip(rng):
            ev(("family_notified", c.after(0.5, 8, limit_h=12), p, {"measure": "arrest"}))
        if not _skip(rng):
            ev(("arrest_receipt_sent", c.after(0.5, 24, limit_h=48), p, {}))
        ev(("transferred_for_prosecution", c.after(500, 1300, limit_h=1440), p, {}))
    return tl


def administrative(
    rng: random.Random, number: str, start: dt.datetime, new_law: dt.datetime
) -> Timeline:
    tl = Timeline(number, "administrative", rng.choice(ADMIN_TITLES), {})
    c = _Clock(rng, start)
    ev = tl.events.append
    ev(("report_received", c.t, None, {}))
    ev(("case_accepted", c.after(0.1, 1.5, limit_h=2), None, {}))
    if c.t >= new_law:
        ev(("case_filed", c.after(1, 30), None, {}))
    ev(("summoned", c.after(2, 72), "p1", {}))
    if not _skip(rng):
        ev(("family_notified", c.after(0.1, 1.5, limit_h=2), "p1", {"measure": "summons"}))
    ev(("questioning_ended", c.after(1, 6, limit_h=7), "p1", {}))
    if rng.random() < 0.12:
        ev(("items_seized", c.after(0.5, 3), "i1", {}))
        ev(("items_decided", c.after(48, 500, limit_h=720), "i1", {}))
    if rng.random() < 0.06:  # an injury or value assessment: its time does not count (A08)
        ev(("expert_opinion_commissioned", c.after(2, 48), None, {}))
        ev(("expert_opinion_received", c.after(72, 500), None, {}))
        if not _skip(rng):
            ev(("expert_opinion_notified", c.after(2, 100, limit_h=120), None, {}))
    if not _skip(rng):
        ev(("penalty_notice_given", c.after(24, 150), "p1", {}))
    ev(("decision_made", c.after(10, 150, limit_h=400), None, {}))
    ev(("decision_served", c.after(1, 30, limit_h=48), None, {}))
    return tl


def generate(
    rng: random.Random, *, criminal_n: int, administrative_n: int, today: dt.date, years: int = 3
) -> list[Timeline]:
    """Cases spread over the last ``years`` years; events later than today are cut off (the case
    is still open)."""
    end = dt.datetime.combine(today, dt.time(8), tzinfo=TZ)
    begin = end - dt.timedelta(days=365 * years)
    new_law = dt.datetime(2026, 1, 1, tzinfo=TZ)
    span = (end - begin).total_seconds()
    out = []
    kinds = ["criminal"] * criminal_n + ["administrative"] * administrative_n
    rng.shuffle(kinds)
    counters = {"criminal": 0, "administrative": 0}
    for kind in kinds:
        start = begin + dt.timedelta(seconds=rng.uniform(0, span))
        counters[kind] += 1
        prefix = "XS" if kind == "criminal" else "XZ"
        number = f"{prefix}-{start.year}-{counters[kind]:05d}"
        tl = (
            criminal(rng, number, start)
            if kind == "criminal"
            else administrative(rng, number, start, new_law)
        )
        tl.events = [e for e in tl.events if e[1] <= end]
        out.append(tl)
    return out
