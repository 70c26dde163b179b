"""The demo area tree: 四川省 > 成都市 > 大邑县 > towns > villages > compounds > buildings.

Only places are decided here, down to every household's address; who lives at each
address is ``people``'s business. Codes follow the statistical division scheme: towns
are the county's 6 digits and 3 more (街道 0xx, 镇 1xx), villages 3 more again (社区
001-199, 村 201-399, as the national code table numbers residents' and villagers'
committees), compounds and buildings the parent's code, ``-`` and two digits.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

PROVINCE = ("51", "四川省")
CITY = ("5101", "成都市")
COUNTY = ("510129", "大邑县")

# code suffix, name, share of the county's villages, share of those that are 社区.
# The order matters at small scales: the first towns are the ones kept, and the first
# two give one urban subdistrict and one rural town.
TOWNS: tuple[tuple[str, str, float, float], ...] = (
    ("001", "晋原街道", 22, 0.70),
    ("101", "鹤鸣镇", 15, 0.15),
    ("102", "安仁镇", 18, 0.25),
    ("002", "沙渠街道", 14, 0.45),
    ("103", "新场镇", 14, 0.12),
    ("104", "悦来镇", 16, 0.12),
    ("105", "出江镇", 13, 0.10),
    ("106", "花水湾镇", 10, 0.12),
    ("107", "西岭镇", 12, 0.10),
    ("108", "斜源镇", 16, 0.10),
)

VILLAGES_AT_SCALE_1 = 150
HOUSEHOLDS_AT_SCALE_1 = 100_000
MIN_VILLAGES = 5
MIN_TOWNS = 2


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_COMMUNITY_NAMES = _words(
    "南湖 东街 西街 北街 南街 子龙 蜀望 文庙 新福 银都 凤凰 迎宾 翠湖 锦屏 富民 金桥 春晓 "
    "桃源 和平 光华 兴业 龙潭 复兴 旭光 树人 公议 江源 祥和 锦华 青霞 东岳 上安 云华 文昌 "
    "柏树 高堰 望江 金河 丽江 玉龙 花园 新城 滨河 朝阳 白塔 仁和 雪山 双凤 兴福 南门"
)
_VILLAGE_NAMES = _words(
    "大坪 放牛 北斗 王泗 白岩 石桥 红星 新华 光明 金星 双河 三岔 烟霞 龙泉 桂花 莲花 黄金 "
    "马鞍 高山 中坝 沙河 安乐 太平 永兴 福田 蔡场 韩场 斜江 董场 瓦窑 石虎 凤鸣 天宫 五龙 "
    "雾中 铁溪 大飞 上坝 下坝 河坝 庙湾 杨湾 新店 红岩 青龙 白马 玉泉 金井 大河 柳河 竹林 "
    "松林 茶园 果园 和林 敦义 同心 民主 团结 友爱 和睦 幸福 互助 兴隆 长兴 万福 宝山 白云 "
    "九龙 凉水 冷水 岩口 大林 龙凤 黄龙 万家 郭家 钟家 曾家 罗家 袁家 蒋家 唐家 土城 贺家 "
    "三坝 高桥 晋元 顺河 李店 甘溪 苏家 王店 安坝 平乐 鹤林 走马 青冈 桤木 水口 观音 梨花"
)
_NAME_FIRST = "大小上下新老东西南北金银玉石青红白黄龙凤双三五九高长"
_NAME_SECOND = "坪坝河桥湾山林沟岩塘田井庙场湖溪"

_ESTATE_PREFIX = _words(
    "福康 锦绣 金桂 阳光 滨河 翠湖 紫荆 丽景 瑞祥 和顺 天鹅 蜀韵 书香 同心 嘉禾 蓉西 鹤鸣 "
    "凤凰 御景 金色 桂湖 清水 碧桂 世纪 东方 华府 龙湖 幸福 康宁 锦江 晋原 雪山 西岭"
)
_ESTATE_SUFFIX = _words("花园小区 家园 新城 苑 小区 雅居 名都 华庭 公寓 花苑 佳园 锦城 丽都 新居")
_COURTYARDS = _words(
    "东街院落 西街院落 粮站宿舍 供销社宿舍 农机厂宿舍 水电局宿舍 老街院落 文庙院落 "
    "卫生院宿舍 税务所宿舍 邮电宿舍 食品站院落 盐店院落 川西林盘院落"
)
_RESETTLEMENT = ("安置小区", "新村", "集中安置点", "农民新居")

# Building layouts: (units, floors, flats per floor); the average building, about 80%
# occupied, holds the ~42 households one building head serves.
_URBAN_LAYOUTS = (
    (2, 6, 2),
    (3, 6, 2),
    (4, 6, 2),
    (4, 7, 2),
    (2, 11, 2),
    (3, 7, 2),
    (2, 18, 2),
    (3, 11, 2),
)
_RESETTLEMENT_LAYOUTS = ((2, 5, 2), (2, 6, 2), (3, 6, 2), (3, 5, 2))

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十, 35 -> 三十五 (up to 99)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


@dataclass(slots=True)
class Area:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass(slots=True)
class Site:
    """Where households live: a building, or a compound that has no buildings."""

    area: Area
    building: bool
    addresses: list[tuple[str | None, str]]  # (unit, room)


@dataclass(slots=True)
class Village:
    area: Area
    town: Area
    urban: bool  # a 社区 (residents' committee) rather than a 村
    sites: list[Site] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    areas: list[Area]  # parents before children
    villages: list[Village]

    def count(self, level: str) -> int:
        return sum(1 for a in self.areas if a.level == level)


def village_count(scale: float) -> int:
    return max(MIN_VILLAGES, round(VILLAGES_AT_SCALE_1 * scale))


def plan(rng: random.Random, scale: float) -> Plan:
    """Every area and household address of the demo county at ``scale``."""
    county = Area(COUNTY[0], COUNTY[1], "county", CITY[0])
    areas = [
        Area(PROVINCE[0], PROVINCE[1], "province", None),
        Area(CITY[0], CITY[1], "city", PROVINCE[0]),
        county,
    ]
    n_villages = village_count(scale)
    n_towns = min(len(TOWNS), max(MIN_TOWNS, n_villages // 3))
    towns = TOWNS[:n_towns]
    per_town = _apportion(n_villages, [t[2] for t in towns], minimum=1)

    names = _VillageNames(rng)
    villages: list[Village] = []
    for (suffix, town_name, _, community_share), n in zip(towns, per_town, strict=True):
        town = Area(county.code + suffix, town_name, "town", county.code)
        areas.append(town)
        n_communities = max(1, round(n * community_share))
        if town_name.endswith("镇") and n > 1:
            n_communities = min(n_communities, n - 1)
        n_communities = min(n_communities, n)
        for i in range(n):
            urban = i < n_communities
            number = i + 1 if urban else 200 + i - n_communities + 1
            name = names.community() if urban else names.village()
            area = Area(f"{town.code}{number:03d}", name, "village", town.code)
            areas.append(area)
            villages.append(Village(area, town, urban))

    households = round(HOUSEHOLDS_AT_SCALE_1 * scale)
    weights = [rng.lognormvariate(math.log(1.6 if v.urban else 0.75), 0.35) for v in villages]
    for village, quota in zip(villages, _apportion(households, weights, minimum=1), strict=True):
        builder = _urban_sites if village.urban else _rural_sites
        for compound, buildings in builder(rng, village, quota):
            areas.append(compound)
            areas.extend(b.area for b in buildings if b.building)
            village.sites.extend(buildings)
    return Plan(areas, villages)


def _apportion(total: int, weights: list[float], *, minimum: int = 0) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), each >= minimum."""
    spare = max(0, total - minimum * len(weights))
    scale = spare / sum(weights)
    exact = [w * scale for w in weights]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [s + minimum for s in shares]


class _VillageNames:
    """Unique village and community names across the county."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._communities = list(_COMMUNITY_NAMES)
        self._villages = list(_VILLAGE_NAMES)
        rng.shuffle(self._communities)
        rng.shuffle(self._villages)
        combos = [a + b for a in _NAME_FIRST for b in _NAME_SECOND]
        rng.shuffle(combos)
        self._combos = combos

    def _next(self, preferred: list[str], suffix: str) -> str:
        for pool in (preferred, self._combos):
            while pool:
                base = pool.pop()
                if base not in self._used:
                    self._used.add(base)
                    return base + suffix
        # Past every base name (scales above ~4): numbered names, as 新华一村 are.
        base = self._rng.choice(_VILLAGE_NAMES)
        k = 2
        while f"{base}{chinese_number(k)}" in self._used:
            k += 1
        self._used.add(f"{base}{chinese_number(k)}")
        return f"{base}{chinese_number(k)}{suffix}"

    def community(self) -> str:
        return self._next(self._communities, "社区")

    def village(self) -> str:
        return self._next(self._villages, "村")


def _compound(village: Village, number: int, name: str) -> Area:
    return Area(f"{village.area.code}-{number:02d}", name, "compound", village.area.code)


def _building_sites(
    rng: random.Random,
    compound: Area,
    quota: int,
    n_buildings: int,
    layouts: tuple[tuple[int, int, int], ...],
) -> tuple[list[Site], int]:
    """Up to ``n_buildings`` buildings holding at most ``quota`` households; returns
    the sites and the households placed."""
    sites: list[Site] = []
    placed = 0
    for number in range(1, n_buildings + 1):
        if placed >= quota:
            break
        units, floors, per_floor = rng.choice(layouts)
        capacity = units * floors * per_floor
        occupied = min(quota - placed, max(1, round(capacity * rng.uniform(0.85, 1.0))))
        flats = sorted(rng.sample(range(capacity), occupied))
        addresses: list[tuple[str | None, str]] = []
        per_unit = floors * per_floor
        for flat in flats:
            unit, rest = divmod(flat, per_unit)
            floor, door = divmod(rest, per_floor)
            addresses.append((str(unit + 1), f"{floor + 1}{door + 1:02d}"))
        area = Area(f"{compound.code}-{number:02d}", f"{number}栋", "building", compound.code)
        sites.append(Site(area, True, addresses))
        placed += occupied
    return sites, placed


def _house_numbers(rng: random.Random, n: int) -> list[tuple[str | None, str]]:
    # Rural and courtyard house numbers have gaps where houses were pulled down or merged.
    numbers = sorted(rng.sample(range(1, n + n // 4 + 2), n))
    return [(None, str(k)) for k in numbers]


def _urban_sites(rng: random.Random, village: Village, quota: int) -> list[tuple[Area, list[Site]]]:
    out: list[tuple[Area, list[Site]]] = []
    courtyard_share = rng.uniform(0.08, 0.22) if quota >= 60 else 0.0
    in_courtyards = round(quota * courtyard_share)
    remaining = quota - in_courtyards
    number = 0
    while remaining > 0:
        number += 1
        name = rng.choice(_ESTATE_PREFIX) + rng.choice(_ESTATE_SUFFIX)
        compound = _compound(village, number, name)
        sites, placed = _building_sites(
            rng, compound, remaining, rng.randint(3, 14), _URBAN_LAYOUTS
        )
        remaining -= placed
        out.append((compound, sites))
    courtyards = rng.sample(_COURTYARDS, k=min(len(_COURTYARDS), max(1, in_courtyards // 40)))
    for name, size in zip(
        courtyards, _apportion(in_courtyards, [1.0] * len(courtyards)), strict=True
    ):
        if size == 0:
            continue
        number += 1
        compound = _compound(village, number, name)
        out.append((compound, [Site(compound, False, _house_numbers(rng, size))]))
    return out


def _rural_sites(rng: random.Random, village: Village, quota: int) -> list[tuple[Area, list[Site]]]:
    out: list[tuple[Area, list[Site]]] = []
    remaining = quota
    number = 0
    if quota >= 200 and rng.random() < 0.35:
        # A resettlement compound (集中安置) of low-rise buildings, like 蓉西新城.
        number += 1
        short = village.area.name.removesuffix("村")
        compound = _compound(village, number, short + rng.choice(_RESETTLEMENT))
        target = round(quota * rng.uniform(0.15, 0.35))
        sites, placed = _building_sites(
            rng, compound, target, max(1, target // 20), _RESETTLEMENT_LAYOUTS
        )
        remaining -= placed
        out.append((compound, sites))
    groups = max(1, round(remaining / rng.uniform(35, 75)))
    sizes = _apportion(remaining, [rng.uniform(0.6, 1.4) for _ in range(groups)])
    for group, size in enumerate(sizes, start=1):
        if size == 0:
            continue
        number += 1
        compound = _compound(village, number, f"{chinese_number(group)}组")
        out.append((compound, [Site(compound, False, _house_numbers(rng, size))]))
    return out
