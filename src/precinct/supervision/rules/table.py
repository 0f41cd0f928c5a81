"""The rule table: every legal time limit and mandatory step of `shared/supervision-rules.md`.

Each entry is data: trigger, limit and lawful extensions, follow-up, basis, severity, custody and
the dates its version is in force. A changed law is a new version of the same id with an effective
date (治安12 before 2026-01-01, 治安25 from then), never an edit of the old one. Sub-steps that the
table lists inside one row get an id of their own with a letter (C08R, C17N).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from .model import Case, CaseKind, Event, Limit, LimitKind, Rule, Severity, on
from .periods import Unit

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
CRIM, ADMIN = CaseKind.CRIMINAL, CaseKind.ADMINISTRATIVE
IMM = LimitKind.IMMEDIATE
MAND = LimitKind.MANDATORY


def hours(n: int) -> Limit:
    return Limit(n, Unit.HOURS)


def days(n: int) -> Limit:
    return Limit(n, Unit.DAYS)


def months(n: int) -> Limit:
    return Limit(n, Unit.MONTHS)


# 治安管理處罰法 (revised 2025-06-27) is in force from 2026-01-01, Beijing time.
NEW_PUBLIC_ORDER_LAW = dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
OLD, NEW = "治安12", "治安25"

ARRIVAL = ("summoned", "compelled")
ANOTHER_MEASURE = ("detained", "arrested", "bail_started", "surveillance_started")
CHANGE_OF_MEASURE = ("bail_started", "surveillance_started")
# 治安12 99 / 治安25 118: the time an expert opinion takes does not count towards the public-order
# case's period. It runs from the commission (an event this project adds to the interchange format,
# ADR 0014) to the opinion received.
EXPERT_OPINION_TIME = (on("expert_opinion_commissioned"), on("expert_opinion_received"))


def _c01_limit(case: Case, _e: Event) -> Limit:
    return hours(24) if case.flag("major") else hours(12)


def _c05_total_cap(case: Case) -> int:
    """The approved arrest-request window: 7 days, or 30 for roving, repeated or gang suspects."""
    return 30 if (case.flag("roving") or case.flag("repeated") or case.flag("gang")) else 7


def _c21_limit(case: Case, _e: Event) -> Limit:
    if case.flag("major"):
        return days(30)
    return days(7) if case.flag("leads_to_check") else days(3)


def _c29_limit(case: Case, _e: Event) -> Limit:
    return months(12) if case.flag("major") else months(6)


def _a03_old(case: Case, _e: Event) -> Limit:
    return hours(24) if case.flag("detention_possible") else hours(8)


def _a03_new(case: Case, _e: Event) -> Limit:
    if case.flag("detention_possible"):
        return hours(24)
    if case.flag("many_suspects") or case.flag("identity_unknown"):
        return hours(12)
    return hours(8)


def _a05_limit(_case: Case, e: Event) -> Limit:
    return hours(int(e.get("hours", 12)))


def _has_complainant(_case: Case, events: list[Event]) -> bool:
    return any(e.type == "report_received" for e in events)


def _public_order(case: Case, _events: list[Event]) -> bool:
    return case.flag("public_order")


def _other_admin(case: Case, _events: list[Event]) -> bool:
    return not case.flag("public_order")


def _life_or_death(case: Case, _events: list[Event]) -> bool:
    return case.flag("life_or_death")


RULES: tuple[Rule, ...] = (
    # --- criminal: attendance, detention, arrest ------------------------------------------
    Rule(
        "C01",
        "传唤拘传到案时限",
        CRIM,
        on(*ARRIVAL),
        on("questioning_ended", *ANOTHER_MEASURE, "released"),
        "CPL 119; 规定 80, 200",
        H,
        hours(12),
        limit_for=_c01_limit,
        in_custody=True,
    ),
    Rule(
        "C02",
        "拘留后送看守所",
        CRIM,
        on("detained"),
        on("delivered_to_detention_centre"),
        "CPL 85; 规定 126",
        H,
        hours(24),
        in_custody=True,
    ),
    Rule(
        "C03",
        "拘留通知家属",
        CRIM,
        on("detained"),
        on("family_notified", measure="detention"),
        "CPL 85; 规定 127",
        M,
        hours(24),
        in_custody=True,
        waiver=on("notice_exempted", measure="detention"),
    ),
    Rule(
        "C04",
        "拘留后讯问",
        CRIM,
        on("detained"),
        on("interrogated"),
        "CPL 86; 规定 128",
        H,
        hours(24),
        in_custody=True,
    ),
    Rule(
        "C05",
        "拘留后提请批捕",
        CRIM,
        on("detained"),
        on("arrest_requested", "released", *CHANGE_OF_MEASURE),
        "CPL 91; 规定 129",
        H,
        days(3),
        in_custody=True,
        extension=on("detention_extended"),
        extension_attr="days",
        extension_mode="total",
        total_cap_for=_c05_total_cap,
    ),
    Rule(
        "C06",
        "检察院批捕决定",
        CRIM,
        on("arrest_requested"),
        on("arrest_approved", "arrest_refused"),
        "CPL 91; 规定 140",
        H,
        days(7),
        in_custody=True,
    ),
    Rule(
        "C06R",
        "不批捕立即释放",
        CRIM,
        on("arrest_refused"),
        on("released", *CHANGE_OF_MEASURE),
        "CPL 91; 规定 140",
        H,
        kind=IMM,
        in_custody=True,
    ),
    Rule(
        "C08",
        "批捕后执行逮捕",
        CRIM,
        on("arrest_approved"),
        on("arrested"),
        "规定 142",
        M,
        kind=IMM,
        in_custody=True,
    ),
    Rule(
        "C08R",
        "批捕决定回执",
        CRIM,
        on("arrest_approved"),
        on("arrest_receipt_sent"),
        "规定 142",
        M,
        days(3),
        in_custody=True,
    ),
    Rule(
        "C09",
        "逮捕后送看守所",
        CRIM,
        on("arrested"),
        on("delivered_to_detention_centre"),
        "CPL 93; 规定 143",
        H,
        kind=IMM,
        in_custody=True,
    ),
    Rule(
        "C10",
        "逮捕后讯问",
        CRIM,
        on("arrested"),
        on("interrogated"),
        "CPL 94; 规定 144",
        H,
        hours(24),
        in_custody=True,
    ),
    Rule(
        "C11",
        "逮捕通知家属",
        CRIM,
        on("arrested"),
        on("family_notified", measure="arrest"),
        "CPL 93; 规定 145",
        M,
        hours(24),
        in_custody=True,
        waiver=on("notice_exempted", measure="arrest"),
    ),
    Rule(
        "C12",
        "侦查羁押期限",
        CRIM,
        on("arrested"),
        on("transferred_for_prosecution", "released"),
        "CPL 156, 158, 159",
        H,
        months(2),
        in_custody=True,
        extension=on("custody_extended"),
        extension_attr="months",
        extension_mode="add",
        max_extensions=3,  # +1, +2, +2 months at most
        extension_cap=2,
        extension_total_cap=5,
    ),
    Rule(
        "C13",
        "延长羁押提前提请",
        CRIM,
        on("arrested"),
        on("custody_extension_requested", "transferred_for_prosecution", "released"),
        "规定 148–150",
        H,
        months(2),
        in_custody=True,
        evaluator="before_expiry",
    ),
    Rule(
        "C16",
        "取保候审期限",
        CRIM,
        on("bail_started"),
        on("bail_ended", "detained", "arrested", "surveillance_started"),
        "CPL 79; 规定 107, 108",
        H,
        months(12),
    ),
    Rule(
        "C17",
        "监视居住期限",
        CRIM,
        on("surveillance_started"),
        on("surveillance_ended", "detained", "arrested", "bail_started"),
        "CPL 79; 规定 113",
        H,
        months(6),
    ),
    Rule(
        "C17N",
        "指定居所监视居住通知家属",
        CRIM,
        on("surveillance_started", where=lambda e: bool(e.get("designated_residence"))),
        on("family_notified", measure="surveillance"),
        "CPL 79; 规定 113, 122",
        M,
        hours(24),
        waiver=on("notice_exempted", measure="surveillance"),
    ),
    Rule(
        "C18",
        "变更强制措施申请答复",
        CRIM,
        on("measure_change_requested"),
        on("measure_change_decided"),
        "规定 160",
        M,
        days(3),
    ),
    # --- criminal: intake, filing, notices --------------------------------------------------
    Rule(
        "C20",
        "报案接受登记",
        CRIM,
        on("report_received"),
        on("case_accepted"),
        "规定 169, 171",
        L,
        kind=IMM,
    ),
    Rule(
        "C21",
        "受案后立案审查",
        CRIM,
        on("case_accepted"),
        on("case_filed", "case_not_filed"),
        "公安部 2015 受案立案改革意见",
        M,
        days(3),
        limit_for=_c21_limit,
    ),
    Rule(
        "C24",
        "不立案通知控告人",
        CRIM,
        on("case_not_filed"),
        on("complainant_notified"),
        "规定 178",
        M,
        days(3),
        applies=_has_complainant,
    ),
    Rule(
        "C26",
        "撤案通知当事人",
        CRIM,
        on("case_withdrawn"),
        on("parties_notified"),
        "规定 189",
        L,
        days(3),
    ),
    Rule(
        "C27",
        "鉴定意见告知",
        CRIM,
        on("expert_opinion_received"),
        on("expert_opinion_notified"),
        "CPL 148; 规定 252",
        M,
        days(7),
    ),
    Rule(
        "C28",
        "无关财物退还",
        CRIM,
        on("property_found_unrelated"),
        on("property_returned"),
        "CPL 145; 规定 233",
        M,
        days(3),
    ),
    Rule(
        "C29",
        "冻结期限",
        CRIM,
        on("account_frozen"),
        on("freeze_renewed", "freeze_released"),
        "规定 243",
        M,
        months(6),
        limit_for=_c29_limit,
        evaluator="renewable",
    ),
    Rule(
        "C30",
        "涉案财物移交保管",
        CRIM,
        on("property_seized"),
        on("property_handed_over"),
        "涉案财物管理若干规定 (2015)",
        M,
        hours(24),
    ),
    Rule(
        "C32",
        "退回补充侦查",
        CRIM,
        on("returned_for_supplementary_investigation"),
        on("resubmitted"),
        "CPL 175; 规定 295",
        H,
        months(1),
        evaluator="supplementary",
    ),
    Rule(
        "C33",
        "重大案件讯问全程录音录像",
        CRIM,
        on("interrogated"),
        on("interrogated", where=lambda e: bool(e.get("av_recorded"))),
        "CPL 123; 规定 208",
        H,
        kind=MAND,
        applies=_life_or_death,
        evaluator="recorded",
    ),
    # --- administrative ------------------------------------------------------------------
    Rule(
        "A01",
        "报案受案",
        ADMIN,
        on("report_received"),
        on("case_accepted"),
        "行规 60, 61",
        L,
        kind=IMM,
        evaluator="accept_or_transfer",
    ),
    Rule(
        "A03",
        "传唤询问查证时限",
        ADMIN,
        on(*ARRIVAL),
        on("questioning_ended", "released", "detained"),
        "治安12 83; 行规 69",
        H,
        hours(8),
        limit_for=_a03_old,
        in_custody=True,
        version=OLD,
        valid_to=NEW_PUBLIC_ORDER_LAW,
    ),
    Rule(
        "A03",
        "传唤询问查证时限",
        ADMIN,
        on(*ARRIVAL),
        on("questioning_ended", "released", "detained"),
        "治安25 97; 行规 69",
        H,
        hours(8),
        limit_for=_a03_new,
        in_custody=True,
        version=NEW,
        valid_from=NEW_PUBLIC_ORDER_LAW,
    ),
    Rule(
        "A04",
        "传唤通知家属",
        ADMIN,
        on("summoned"),
        on("family_notified", measure="summons"),
        "治安12 83",
        M,
        kind=IMM,
        waiver=on("notice_exempted", measure="summons"),
        version=OLD,
        valid_to=NEW_PUBLIC_ORDER_LAW,
    ),
    Rule(
        "A04",
        "传唤通知家属",
        ADMIN,
        on("summoned"),
        on("family_notified", measure="summons"),
        "治安25 97",
        M,
        kind=IMM,
        waiver=on("notice_exempted", measure="summons"),
        version=NEW,
        valid_from=NEW_PUBLIC_ORDER_LAW,
    ),
    Rule(
        "A05",
        "继续盘问时限",
        ADMIN,
        on("continued_questioning"),
        on("questioning_ended", "released", "detained"),
        "行规 57",
        H,
        hours(12),
        limit_for=_a05_limit,
        in_custody=True,
        extension=on("continued_questioning"),  # 12 h → 24 h → 48 h, each approved
        extension_attr="hours",
        extension_mode="total",
        extension_cap=48,
    ),
    Rule(
        "A06",
        "当场强制措施补办批准",
        ADMIN,
        on("coercive_measure_on_the_spot"),
        on("measure_approved"),
        "行规 56; 行强 19",
        M,
        hours(24),
    ),
    Rule(
        "A08",
        "治安案件办案期限",
        ADMIN,
        on("case_accepted"),
        on("decision_made"),
        "治安12 99; 行规 165",
        H,
        days(30),
        applies=_public_order,
        extension=on("case_extended"),
        extension_attr="days",
        extension_mode="add",
        excluded=EXPERT_OPINION_TIME,
        version=OLD,
        valid_to=NEW_PUBLIC_ORDER_LAW,
        max_extensions=1,
        extension_cap=30,
    ),
    Rule(
        "A08",
        "治安案件办案期限",
        ADMIN,
        on("case_filed"),
        on("decision_made"),
        "治安25 118; 行规 165",
        H,
        days(30),
        applies=_public_order,
        extension=on("case_extended"),
        extension_attr="days",
        extension_mode="add",
        excluded=EXPERT_OPINION_TIME,
        max_extensions=2,
        version=NEW,
        valid_from=NEW_PUBLIC_ORDER_LAW,
        extension_cap=30,
    ),
    Rule(
        "A09",
        "其他行政案件办案期限",
        ADMIN,
        on("case_filed"),
        on("decision_made"),
        "行罚 60",
        M,
        days(90),
        applies=_other_admin,
    ),
    Rule(
        "A10",
        "快速办理案件期限",
        ADMIN,
        on("fast_track"),
        on("decision_made"),
        "行规 47",
        M,
        hours(48),
    ),
    Rule(
        "A11",
        "鉴定意见送达",
        ADMIN,
        on("expert_opinion_received"),
        on("expert_opinion_notified"),
        "行规 97",
        M,
        days(5),
    ),
    Rule(
        "A12",
        "先行登记保存处理",
        ADMIN,
        on("items_registered"),
        on("items_decided"),
        "行规 110",
        M,
        days(7),
    ),
    Rule(
        "A13",
        "扣押查封期限",
        ADMIN,
        on("items_seized"),
        on("items_released", "items_decided"),
        "行规 112; 行强 25",
        M,
        days(30),
        extension=on("seizure_extended"),
        extension_attr="days",
        extension_mode="add",
        max_extensions=1,
        extension_cap=30,
    ),
    Rule(
        "A14",
        "涉案财物移交保管",
        ADMIN,
        on("property_seized"),
        on("property_handed_over"),
        "行规 190",
        M,
        hours(24),
    ),
    Rule(
        "A16",
        "处罚前告知",
        ADMIN,
        on("decision_made"),
        on("penalty_notice_given"),
        "治安25 112; 行规 167",
        H,
        kind=MAND,
        evaluator="before_decision",
    ),
    Rule(
        "A19",
        "处罚决定书送达",
        ADMIN,
        on("decision_made"),
        on("decision_served"),
        "治安12 97; 行规 172",
        M,
        days(2),
        version=OLD,
        valid_to=NEW_PUBLIC_ORDER_LAW,
    ),
    Rule(
        "A19",
        "处罚决定书送达",
        ADMIN,
        on("decision_made"),
        on("decision_served"),
        "治安25 116; 行规 172",
        M,
        days(2),
        version=NEW,
        valid_from=NEW_PUBLIC_ORDER_LAW,
    ),
    Rule(
        "A20",
        "行政拘留通知家属并送拘留所",
        ADMIN,
        on("admin_detention_decided"),
        on("family_notified", measure="admin_detention"),
        "治安25 116, 122; 行规 176",
        M,
        kind=IMM,
        also_required=on("delivered_to_detention_house"),
        waiver=on("notice_exempted", measure="admin_detention"),
    ),
    Rule(
        "A21",
        "当场处罚备案",
        ADMIN,
        on("on_the_spot_penalty"),
        on("penalty_filed"),
        "治安25 120; 行规 39",
        L,
        hours(24),
    ),
    Rule(
        "A24",
        "单人执法全程录音录像",
        ADMIN,
        on(
            "interrogated",
            "questioning_ended",
            "items_seized",
            "mediated",
            where=lambda e: bool(e.get("single_officer")),
        ),
        on(
            "interrogated",
            "questioning_ended",
            "items_seized",
            "mediated",
            where=lambda e: bool(e.get("av_recorded")),
        ),
        "治安25 108",
        H,
        kind=MAND,
        evaluator="recorded",
        version=NEW,
        valid_from=NEW_PUBLIC_ORDER_LAW,
    ),
)

RULE_IDS = tuple(dict.fromkeys(r.id for r in RULES))
