"""Chinese personal names for demo residents: surnames by frequency, given names by era.

Given names follow the fashions of the birth years (建国 and 秀英 for the 1950s, 浩然 and
梓涵 for the 2010s), so a household's grandparents, parents and children read plausibly.
"""

from __future__ import annotations

import itertools
import random
from functools import lru_cache
from importlib import resources

# (first year of the era, male characters, female characters, share of one-character names)
_ERAS: tuple[tuple[int, str, str, float], ...] = (
    (
        0,
        "德明国建志福永世文学正树光长开富贵荣清林华平成全兴发昌云忠海山元祥生才友仁宗洪松树",
        "秀桂玉淑兰英珍芳华凤琼素翠莲云芬贞明清香群碧菊英惠琴",
        0.20,
    ),
    (
        1960,
        "伟强军勇杰涛斌波刚辉鹏峰明磊亮东超俊林华平剑兵红建志国海龙云飞荣春晓",
        "丽红燕霞敏静芳艳梅琴娟英玲萍蓉莉秀华春琼霞晓丽莉慧",
        0.30,
    ),
    (
        1985,
        "浩宇杰鑫磊俊涛帅博文超鹏凯航然睿轩晨阳洋成龙浩飞翔",
        "婷雪倩静丹颖佳慧琳欣洁悦晶璐雨梦思露玉倩茜瑶娇",
        0.15,
    ),
    (
        2005,
        "子梓浩宇轩睿辰泽博铭沐一奕俊皓然霖锦逸航明哲煜晨阳宸瑞嘉",
        "梓涵欣怡子萱语诗雨若一可馨依晨思悦沐琪乐汐妍瑶彤诺安",
        0.06,
    ),
)


@lru_cache(maxsize=1)
def surnames() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Surnames and their cumulative weights, for ``random.choices(cum_weights=...)``."""
    text = resources.files("db.seed").joinpath("data/surnames.txt").read_text("utf-8")
    names: list[str] = []
    weights: list[int] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, weight = line.split()
        names.append(name)
        weights.append(int(weight))
    return tuple(names), tuple(itertools.accumulate(weights))


class NamePicker:
    """Draws names from one seeded generator, so a seed reproduces every name."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._surnames, self._cumulative = surnames()

    def surname(self) -> str:
        return self._rng.choices(self._surnames, cum_weights=self._cumulative)[0]

    def given(self, gender: str, birth_year: int) -> str:
        rng = self._rng
        _, male, female, single = _ERAS[0]
        for start, m, f, s in _ERAS:
            if birth_year >= start:
                male, female, single = m, f, s
        chars = male if gender == "male" else female
        if rng.random() < single:
            return rng.choice(chars)
        first = rng.choice(chars)
        # Doubled characters (婷婷, 欢欢) are a girls' fashion; otherwise two different ones.
        if gender == "female" and rng.random() < 0.04:
            return first + first
        second = rng.choice(chars)
        while second == first:
            second = rng.choice(chars)
        return first + second
