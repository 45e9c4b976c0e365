"""Reproducible, realistic-looking demo values: Chinese organisations and people, T1
attributes, sales amounts. Everything comes from one seeded Random, so a seed gives one world."""

from __future__ import annotations

import random
from datetime import date
from enum import StrEnum
from typing import TypeVar

from events.customers import values as cv
from events.shared.actors import Actor, Role

E = TypeVar("E", bound=StrEnum)
SEED = 20240501
PRODUCTS = [(c, f"{c}产品") for c in "ABCDEFG"]
STAFF = [Actor("wang.li", "王丽", Role.STAFF), Actor("li.qiang", "李强", Role.STAFF),
         Actor("chen.jing", "陈静", Role.STAFF), Actor("zhao.min", "赵敏", Role.STAFF)]
MANAGER = Actor("zhang.wei", "张伟", Role.MANAGER)

_CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "苏州", "天津",
           "重庆", "青岛", "长沙", "郑州", "宁波", "厦门", "合肥", "昆明", "沈阳"]
_WORDS = ["恒信", "华盛", "东方", "金桥", "瑞丰", "宏达", "永安", "新锐", "天成", "鼎力", "博远",
          "嘉禾", "万通", "远景", "正泰", "汇丰", "联创", "明德", "长城", "海纳", "中和", "同源"]
_TRADES = ["商贸", "电子", "机械", "食品", "建材", "物流", "纺织", "化工", "医药", "科技", "农业"]
_FORMS = ["有限公司", "股份有限公司", "集团有限公司", "贸易公司"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌辉"
_TITLES = ["采购经理", "总经理", "副总经理", "采购主管", "办公室主任", "财务总监", "销售总监"]
_RESTAURANTS = ["全聚德", "海底捞", "外婆家", "小南国", "眉州东坡", "西贝莜面村", "绿茶餐厅"]


def organisation(rng: random.Random, used: set[str]) -> str:
    while True:
        name = (rng.choice(_CITIES) + rng.choice(_WORDS) + rng.choice(_TRADES)
                + rng.choice(_FORMS))
        if name not in used:
            used.add(name)
            return name


def person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN)
                                           for _ in range(rng.choice((1, 2))))


def title(rng: random.Random) -> str:
    return rng.choice(_TITLES)


def restaurant(rng: random.Random) -> str:
    return rng.choice(_CITIES[:6]) + rng.choice(_RESTAURANTS)


def _maybe(rng: random.Random, values: list[E], known: float = 0.85) -> E | None:
    """Most attributes are known; some are not, which T1 shows as 'unknown'."""
    return rng.choice(values) if rng.random() < known else None


def classification(rng: random.Random) -> cv.Classification:
    return cv.Classification(
        gender=_maybe(rng, list(cv.Gender)),
        age_band=_maybe(rng, list(cv.AgeBand)),
        area=_maybe(rng, list(cv.Area)),
        region=_maybe(rng, list(cv.Region), 0.95),
        spending=_maybe(rng, list(cv.Spending)),
        demand_type=_maybe(rng, list(cv.DemandType)),
        wage_band=_maybe(rng, list(cv.WageBand), 0.6),
        buying_channel=_maybe(rng, list(cv.BuyingChannel)),
    )


def sale_amount_fen(rng: random.Random, tier: cv.Tier, spending: cv.Spending | None) -> int:
    """Log-normal around a few thousand yuan; important and high-spending customers buy more."""
    scale = 3.0 if tier is cv.Tier.IMPORTANT else 1.0
    if spending is not None:
        scale *= {cv.Spending.HIGH: 2.5, cv.Spending.LOW: 0.4}.get(spending, 1.0)
    yuan = rng.lognormvariate(8.0, 0.9) * scale
    return max(100, int(yuan * 100))


def day_in(rng: random.Random, year: int, until: date) -> date:
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), until)
    if end < start:  # the first days of a year: take the last day allowed
        return until
    return date.fromordinal(rng.randint(start.toordinal(), end.toordinal()))
