"""T1, the customer overall classification table (客户总体分类表), from its own projection.

For the customers matching the filter: per criterion, each value's count and share, plus
"unknown" for customers without that attribute, so the shares of a criterion always cover
everyone and sum to exactly 100.00 (largest remainder, schema/report_figures.py). The last
figure, 客户比例, is the filtered customers' share of all customers. One scan of the table
(GROUPING SETS), however many criteria.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import asyncpg

from events.customers.values import (
    AgeBand,
    Area,
    BuyingChannel,
    DemandType,
    Gender,
    Region,
    Spending,
    WageBand,
)
from projections.classification.projection import CRITERIA
from projections.figures import share, shares

TITLE = "客户总体分类表"
UNKNOWN = "unknown"
UNKNOWN_LABEL = "未知"

# criterion -> (its label in the source table, its values with their labels)
LABELS: dict[str, tuple[str, type[StrEnum], tuple[str, ...]]] = {
    "gender": ("性别", Gender, ("男性", "女性")),
    "age_band": ("年龄", AgeBand, ("18岁以下", "18~45岁", "46~60岁", "60岁以上")),
    "area": ("地域（城乡）", Area, ("城市", "乡村")),
    "region": ("地域（方位）", Region, ("东部", "西部", "南部", "北部")),
    "spending": ("消费额", Spending, ("高额", "中额", "低额")),
    "demand_type": ("需求类型", DemandType, ("生产资料", "生活资料")),
    "wage_band": ("工薪水平", WageBand, ("1 000元以下", "1 000~3 000元", "3 000元以上")),
    "buying_channel": ("偏好的购物方式", BuyingChannel, ("摊点零售", "市场批发", "厂家批发")),
}


@dataclass(frozen=True)
class T1Filter:
    statuses: list[str] | None = None  # default: every customer
    tiers: list[str] | None = None
    customer_ids: list[str] | None = None


@dataclass(frozen=True)
class ValueShare:
    value: str
    label: str
    count: int
    share: str  # percent, 2 decimals


@dataclass(frozen=True)
class CriterionShares:
    criterion: str
    label: str
    values: list[ValueShare]


@dataclass(frozen=True)
class Classification:
    customers: int
    all_customers: int
    customer_share: str  # 客户比例
    criteria: list[CriterionShares]


_WHERE = (" WHERE ($1::text[] IS NULL OR status = ANY($1)) AND ($2::text[] IS NULL OR"
          " tier = ANY($2)) AND ($3::text[] IS NULL OR customer_id = ANY($3))")
_SQL = (f"SELECT {', '.join(CRITERIA)}, GROUPING({', '.join(CRITERIA)}) AS unused,"
        " count(*) AS n FROM classification_customers" + _WHERE
        + f" GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in CRITERIA)})")


async def classification(pool: asyncpg.Pool, f: T1Filter) -> Classification:
    args = (f.statuses or None, f.tiers or None, f.customer_ids or None)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                        readonly=True):
        rows = await conn.fetch(_SQL, *args)
        everyone = int(await conn.fetchval("SELECT count(*) FROM classification_customers"))
    width = len(CRITERIA)
    counts: dict[str, dict[str | None, int]] = {c: {} for c in CRITERIA}
    for row in rows:
        unused = row["unused"]  # bit set = not grouped by that column (leftmost = highest)
        i = next(i for i in range(width) if not unused & (1 << (width - 1 - i)))
        counts[CRITERIA[i]][row[CRITERIA[i]]] = int(row["n"])
    total = sum(counts[CRITERIA[0]].values())
    return Classification(customers=total, all_customers=everyone,
                          customer_share=share(total, everyone),
                          criteria=[_criterion(c, counts[c]) for c in CRITERIA])


def _criterion(name: str, found: dict[str | None, int]) -> CriterionShares:
    label, enum, value_labels = LABELS[name]
    values = [(m.value, value_labels[i]) for i, m in enumerate(enum)]
    values.append((UNKNOWN, UNKNOWN_LABEL))
    counts = [found.get(v if v != UNKNOWN else None, 0) for v, _ in values]
    return CriterionShares(name, label, [
        ValueShare(v, lbl, n, s)
        for (v, lbl), n, s in zip(values, counts, shares(counts), strict=True)
    ])
