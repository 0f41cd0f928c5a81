"""The demo city's shape: a Hegang-like bureau. Pure data and pure generators (seeded)."""

import datetime as dt
import random
from dataclasses import dataclass

from precinct.org.rules import RANKS, PostType, UnitKind

BUREAU = ("HG", "鹤岗市公安局")

# (code, name, post type of its officers, headcount)
DEPARTMENTS: list[tuple[str, str, PostType, int]] = [
    ("ZZB", "政治部", PostType.POLITICAL, 36),
    ("FZ", "法制支队", PostType.LEGAL, 28),
    ("DC", "督察支队", PostType.LEGAL, 22),
    ("ZH", "指挥中心", PostType.COMMAND, 48),
    ("XZ", "刑事侦查支队", PostType.CRIMINAL, 96),
    ("ZA", "治安管理支队", PostType.PUBLIC_ORDER, 60),
    ("WA", "网络安全保卫支队", PostType.CYBER, 40),
    ("JJ", "交通警察支队", PostType.TRAFFIC, 120),
    ("JD", "禁毒支队", PostType.CRIMINAL, 34),
    ("JZ", "经济犯罪侦查支队", PostType.CRIMINAL, 38),
    ("BZ", "警务保障处", PostType.OTHER, 38),
]

# (code, name, stations)
SUB_BUREAUS: list[tuple[str, str, list[str]]] = [
    ("XY", "向阳分局", ["红军派出所", "光明派出所", "北山派出所", "胜利派出所", "向阳派出所"]),
    ("GN", "工农分局", ["工农派出所", "红旗派出所", "新建派出所", "湖滨派出所"]),
    ("NS", "南山分局", ["南山派出所", "麓林山派出所", "铁西派出所", "六号派出所"]),
    ("XA", "兴安分局", ["兴安派出所", "峻德派出所", "河西派出所", "兴长派出所"]),
    ("DS", "东山分局", ["东山派出所", "新华派出所", "蔬园派出所", "东方红派出所"]),
    ("XS", "兴山分局", ["兴山派出所", "沿湖派出所", "岭北派出所", "新一派出所"]),
]
SUB_BUREAU_HQ_STAFF = 40
STATION_STAFF = (27, 34)
PATROL_BRIGADE = ("XFDD", "巡防大队", 120)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴"
    "夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
MALE_CHARS = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
FEMALE_CHARS = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽"

POSITIONS_LEAD = {
    UnitKind.DEPARTMENT: ("支队长", "副支队长", "教导员"),
    UnitKind.SUB_BUREAU: ("局长", "副局长", "政委"),
    UnitKind.STATION: ("所长", "副所长", "教导员"),
    UnitKind.BRIGADE: ("大队长", "副大队长", "教导员"),
}
STATION_POSTS: list[tuple[PostType, float]] = [
    (PostType.COMMUNITY, 0.5),
    (PostType.PUBLIC_ORDER, 0.25),
    (PostType.CRIMINAL, 0.2),
    (PostType.OTHER, 0.05),
]
SUB_BUREAU_POSTS: list[tuple[PostType, float]] = [
    (PostType.CRIMINAL, 0.45),
    (PostType.PUBLIC_ORDER, 0.25),
    (PostType.LEGAL, 0.1),
    (PostType.COMMAND, 0.1),
    (PostType.OTHER, 0.1),
]
# Ages of officers outside the patrol brigade: (low, high, weight). The patrol brigade is 53–60.
AGE_BANDS = [(23, 29, 0.15), (30, 39, 0.26), (40, 49, 0.35), (50, 59, 0.24)]


@dataclass(frozen=True)
class Person:
    name: str
    gender: str
    birth_date: dt.date
    hire_date: dt.date
    rank: str
    party: str


def pick_name(rng: random.Random, gender: str) -> str:
    chars = MALE_CHARS if gender == "M" else FEMALE_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def rank_for(age: int, years: int, lead: bool, rng: random.Random) -> str:
    if lead:
        idx = 5 if age >= 45 else 6  # 一级/二级警督
        if age >= 52 and rng.random() < 0.3:
            idx = 4  # 三级警监
        return RANKS[idx]
    if years < 2:
        return RANKS[12]
    if years < 5:
        return RANKS[11]
    if years < 10:
        return RANKS[10 - (years >= 8)]
    if years < 18:
        return RANKS[8]
    return RANKS[7 - (years >= 25 and rng.random() < 0.5)]


def make_person(
    rng: random.Random, today: dt.date, *, age_range: tuple[int, int] | None, lead: bool
) -> Person:
    if age_range is None:
        low, high, _w = rng.choices(AGE_BANDS, weights=[b[2] for b in AGE_BANDS])[0]
    else:
        low, high = age_range
    if lead:
        low = max(low, 38)
        high = max(high, low + 1)
    age = rng.randint(low, high)
    birth = today - dt.timedelta(days=age * 365 + rng.randint(30, 330))
    gender = "F" if rng.random() < (0.08 if lead else 0.16) else "M"
    start_age = rng.randint(21, min(26, age))
    hire = birth + dt.timedelta(days=start_age * 365 + rng.randint(0, 300))
    if hire > today:
        hire = today - dt.timedelta(days=rng.randint(30, 300))
    years = (today - hire).days // 365
    party_roll = rng.random()
    party = "cpc_member" if party_roll < 0.72 or lead else ("league" if age < 28 else "none")
    return Person(
        pick_name(rng, gender), gender, birth, hire, rank_for(age, years, lead, rng), party
    )
