"""The demo city's special campaigns (专项行动): 23 at once, as the source's bureau ran them —
national, provincial and city drives, each a checklist of tasks owned by units with due dates,
numeric targets, and the cases and incidents they produced. Pure and seeded."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# (code, name, level, days long, lead department code, case title keywords, incident category,
#  goals). Names carry the year the campaign starts in; "{y}" is filled in.
CAMPAIGNS: list[tuple[str, str, str, int, str, tuple[str, ...], str | None, str]] = [
    (
        "YJ",
        "扫黑除恶“云剑-{y}”行动",
        "national",
        240,
        "XZ",
        ("开设赌场", "敲诈勒索", "寻衅滋事", "非法拘禁"),
        None,
        "打掉涉黑涉恶团伙，追逃在逃人员，深挖“保护伞”。",
    ),
    (
        "KL",
        "“昆仑{y}”专项行动",
        "national",
        270,
        "ZA",
        ("贩卖毒品",),
        None,
        "严厉打击食品药品、环境、知识产权和森林草原领域犯罪。",
    ),
    (
        "STLK",
        "“三打两控一遏制”百日会战",
        "provincial",
        100,
        "XZ",
        ("盗窃", "诈骗", "抢劫"),
        "criminal",
        "打盗抢、打电诈、打黄赌，控命案、控伤害，遏制刑事警情上升势头。",
    ),
    (
        "JW",
        "“净网{y}”专项行动",
        "national",
        210,
        "WA",
        ("电信网络诈骗",),
        None,
        "整治网络乱象，打击网络黑客、侵犯公民个人信息犯罪。",
    ),
    (
        "DK",
        "“断卡”行动",
        "national",
        365,
        "WA",
        ("电信网络诈骗", "诈骗"),
        None,
        "严打非法开办、贩卖电话卡和银行卡的违法犯罪，斩断电诈资金链。",
    ),
    (
        "JQZB",
        "缉枪治爆专项行动",
        "provincial",
        180,
        "ZA",
        (),
        None,
        "收缴非法枪支弹药和爆炸物品，清查涉爆单位。",
    ),
    (
        "JD",
        "禁毒“两打两控”专项行动",
        "provincial",
        200,
        "JD",
        ("贩卖毒品", "吸毒"),
        None,
        "打击毒品犯罪、查处吸毒人员，管控易制毒化学品和吸毒人员。",
    ),
    (
        "XJZA",
        "夏季治安打击整治行动",
        "national",
        100,
        "ZA",
        ("故意伤害", "寻衅滋事", "殴打他人"),
        "public_order",
        "夜市、烧烤、娱乐场所周边巡防，整治突出治安问题。",
    ),
    (
        "DJYD",
        "冬季严打整治行动",
        "city",
        90,
        "XZ",
        ("盗窃", "入室盗窃"),
        "criminal",
        "冬季入室盗窃、车内盗窃高发，集中打击多发性侵财犯罪。",
    ),
    (
        "DLJT",
        "道路交通安全隐患百日整治",
        "provincial",
        100,
        "JJ",
        ("交通肇事", "无证驾驶"),
        "traffic",
        "整治酒驾醉驾、超员超载，排查道路安全隐患，压降交通事故。",
    ),
    ("ZT", "追逃专项行动", "national", 180, "XZ", (), None, "全力追捕在逃人员，清理逃犯积案。"),
    (
        "MAJA",
        "命案积案攻坚行动",
        "national",
        300,
        "XZ",
        ("故意伤害",),
        None,
        "攻坚历年命案积案，现行命案全部侦破。",
    ),
    (
        "FFJZ",
        "打击非法集资专项行动",
        "city",
        150,
        "JZ",
        ("诈骗",),
        None,
        "排查非法集资风险，打击非法吸收公众存款、集资诈骗犯罪。",
    ),
    (
        "SHDF",
        "扫黄打非专项行动",
        "city",
        120,
        "ZA",
        ("卖淫嫖娼", "赌博"),
        None,
        "整治黄赌违法犯罪，净化社会环境。",
    ),
    (
        "XYZB",
        "校园及周边治安综合整治",
        "city",
        120,
        "ZA",
        ("殴打他人", "扰乱公共秩序"),
        "public_order",
        "上下学高峰“护学岗”，排查校园周边隐患。",
    ),
    (
        "HHGK",
        "护航高考安保行动",
        "city",
        30,
        "ZH",
        (),
        None,
        "考点周边交通疏导和治安巡控，确保考试安全有序。",
    ),
    (
        "CJAB",
        "春节安保维稳行动",
        "city",
        45,
        "ZH",
        (),
        "help",
        "节日期间街面巡控、人员密集场所安全防范。",
    ),
    (
        "WBWP",
        "危爆物品清查整治",
        "provincial",
        90,
        "ZA",
        (),
        None,
        "清查危险化学品和民用爆炸物品从业单位。",
    ),
    (
        "DZZP",
        "打击治理电信网络诈骗“雷霆”行动",
        "provincial",
        200,
        "XZ",
        ("电信网络诈骗",),
        None,
        "预警劝阻、止付冻结、打击窝点，压降电诈发案。",
    ),
    (
        "XLFK",
        "巡逻防控“亮灯”行动",
        "city",
        180,
        "ZH",
        (),
        "public_order",
        "48台巡逻车24小时街面巡逻，街面警情处置率达到70%以上。",
    ),
    (
        "SQJW",
        "社区警务“一村一辅警”攻坚",
        "city",
        240,
        "ZZB",
        (),
        None,
        "社区民警、辅警下沉，落实“一村一辅警”。",
    ),
    (
        "JZFW",
        "执法规范化建设提升行动",
        "city",
        180,
        "FZ",
        (),
        None,
        "执法全流程监督，案件“解剖”，问题点即查即改。",
    ),
    (
        "QLXK",
        "清理整治“黑车”“黑摩的”行动",
        "city",
        60,
        "JJ",
        ("无证驾驶", "违法停车"),
        "traffic",
        "整治非法营运车辆，规范城区道路秩序。",
    ),
]

TASKS = [
    "召开动员部署会，制定实施方案",
    "成立工作专班，明确责任分工",
    "开展辖区摸底排查，建立工作台账",
    "集中清查行动（第一轮）",
    "集中清查行动（第二轮）",
    "线索核查与案件攻坚",
    "宣传发动，张贴通告、发放宣传单",
    "重点人员、重点场所逐一走访",
    "阶段性总结，报送工作进展",
    "督导检查，问题整改",
    "典型案例剖析，经验推广",
    "总结验收，报送总结报告",
]
EVIDENCE = [
    "会议纪要已归档",
    "工作台账已录入系统",
    "清查记录表已上报",
    "专报第{n}期已报送",
    "现场照片及登记表存档",
    "整改报告已签批",
]


@dataclass(frozen=True)
class UnitRef:
    id: uuid.UUID
    code: str
    name: str
    kind: str


def generate(
    rng: random.Random,
    *,
    today: dt.date,
    units: list[UnitRef],
    cases: list[tuple[uuid.UUID, str, str, uuid.UUID]],
    incidents: Mapping[str, Sequence[tuple[uuid.UUID, str, str, uuid.UUID | None]]],
) -> list[dict[str, Any]]:
    """The campaigns for :func:`precinct.campaigns.services.bulk_load`. ``cases``: (id, number,
    title, unit); ``incidents``: by category, (id, number, address, station)."""
    departments = {u.code: u for u in units if u.kind == "department"}
    grassroots = [u for u in units if u.kind in ("station", "sub_bureau", "brigade")]
    stations = [u for u in units if u.kind == "station"]
    out = []
    for i, (code, name, level, days, lead, keywords, category, goal) in enumerate(CAMPAIGNS):
        # most campaigns under way now; a few ended in the last year or two; two not yet begun
        if i < 15:
            starts = today - dt.timedelta(days=rng.randint(20, max(21, days - 10)))
        elif i < 21:
            starts = today - dt.timedelta(days=days + rng.randint(15, 500))
        else:
            starts = today + dt.timedelta(days=rng.randint(5, 40))
        ends = starts + dt.timedelta(days=days - 1)
        owners = [departments[lead]] if lead in departments else []
        owners += rng.sample(grassroots, k=min(len(grassroots), rng.randint(5, 10)))
        if i < 6 and stations and stations[0] not in owners:
            owners.append(stations[0])  # the demo chief's station owns items of a few drives
        items = []
        for n, task in enumerate(TASKS[: rng.randint(8, len(TASKS))]):
            share = (n + 1) / len(TASKS)
            due = starts + dt.timedelta(days=max(1, round(share * (days - 1))))
            owner = owners[0] if n in (0, 1, 8) or len(owners) == 1 else rng.choice(owners[1:])
            if i < 6 and n == len(TASKS) - 2 and stations:
                owner = stations[0]
            item: dict[str, Any] = {"task": task, "owner_unit_id": owner.id, "due": due,
                                    "status": "open", "evidence": "", "done_on": None}  # fmt: skip
            if due < today:
                # what was due is mostly done, now and then late; some still overdue
                if rng.random() < 0.8:
                    late = rng.random() < 0.15
                    done = due + dt.timedelta(days=rng.randint(1, 9)) if late else (
                        due - dt.timedelta(days=rng.randint(0, 6)))  # fmt: skip
                    item.update(status="done", done_on=min(done, today),
                                evidence=rng.choice(EVIDENCE).format(n=n + 1))  # fmt: skip
                elif rng.random() < 0.5:
                    item["status"] = "in_progress"
            elif due <= today + dt.timedelta(days=20) and rng.random() < 0.35:
                item.update(status="done", done_on=today - dt.timedelta(days=rng.randint(0, 5)),
                            evidence=rng.choice(EVIDENCE).format(n=n + 1))  # fmt: skip
            elif starts <= today and rng.random() < 0.3:
                item["status"] = "in_progress"
            if item["done_on"] is not None and item["done_on"] < starts:
                item["done_on"] = starts
            items.append(item)
        links: list[dict[str, Any]] = []
        begun = starts <= today
        matching = [c for c in cases if any(k in c[2] for k in keywords)] if begun else []
        for cid, number, title, unit in rng.sample(
            matching, k=min(len(matching), rng.randint(4, 25))
        ):
            links.append({"kind": "case", "object_id": cid, "label": f"{number} {title}"[:120],
                          "unit_id": unit})  # fmt: skip
        pool = incidents.get(category or "", []) if begun else []
        for iid, number, address, station in rng.sample(
            pool, k=min(len(pool), rng.randint(10, 40))
        ):
            links.append({"kind": "incident", "object_id": iid,
                          "label": f"{number} {address}"[:120], "unit_id": station})  # fmt: skip
        targets = []
        n_cases = sum(1 for x in links if x["kind"] == "case")
        if n_cases:
            targets.append({"name": "破获相关案件（起）", "metric": "cases",
                            "goal": max(1, round(n_cases * rng.uniform(0.8, 1.5)))})  # fmt: skip
        n_incidents = sum(1 for x in links if x["kind"] == "incident")
        if n_incidents:
            targets.append({"name": "处置相关警情（起）", "metric": "incidents",
                            "goal": max(1, round(n_incidents * rng.uniform(0.9, 1.4)))})  # fmt: skip
        targets.append({"name": "抓获犯罪嫌疑人（人）", "metric": "manual",
                        "goal": rng.randint(10, 80), "manual_value": rng.randint(0, 70) if begun else 0})  # fmt: skip
        year = starts.year
        out.append(
            {
                "code": f"{code}-{year}",
                "name": name.format(y=year),
                "level": level,
                "starts": starts,
                "ends": ends,
                "goal": goal,
                "lead_unit_id": departments[lead].id if lead in departments else None,
                "targets": targets,
                "items": items,
                "links": links,
                "closed": ends < today - dt.timedelta(days=30),
            }
        )
    return out
