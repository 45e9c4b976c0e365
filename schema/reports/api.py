"""The department's report tables and dashboard aggregates over GraphQL (RULES T1, T2).

salesAnalysis (T2), customerClassification (T1) and salesAggregate read projections that are
maintained incrementally (projections/sales.py, projections/classification.py); none scans the
event log. Readers: managers, the general manager and auditors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from events.shared.actors import Role
from projections.classification.queries import TITLE as T1_TITLE
from projections.classification.queries import T1Filter, classification
from projections.paging import decode_cursor, encode_cursor
from projections.sales.aggregate import AggregateFilter, aggregate, customer_names
from projections.sales.analysis import TITLE as T2_TITLE
from projections.sales.analysis import T2Filter, sales_table
from schema.common import Connection, PageInfo, connection
from schema.context import BadInput, ctx_of, require_reader
from schema.enums import CustomerStatus, CustomerTier, Region
from schema.live.plan import Plan
from schema.positions import Position
from schema.reports.types import (
    Money,
    SalesAggregateOrder,
    SalesAnalysisRow,
    SalesColumn,
    SalesDimension,
    SalesFigures,
    SalesGroup,
    SalesTableSignature,
)
from schema.scalars import FIRST_YEAR, LAST_YEAR, year_in_range

READERS = (Role.MANAGER, Role.GENERAL_MANAGER, Role.AUDITOR)
MAX_LIST = 1000  # items in any list filter


def _list(values: list[Any] | None, field: str) -> list[Any] | None:
    if values is not None and len(values) > MAX_LIST:
        raise BadInput(f"at most {MAX_LIST} values", field=field)
    return None if values is None else [getattr(v, "value", v) for v in values]


@strawberry.input(description="Customers by their current tier/region, or by id; columns by "
                  "product code.")
class SalesAnalysisFilter:
    customer_tiers: list[CustomerTier] | None = None
    regions: list[Region] | None = None
    customer_ids: list[strawberry.ID] | None = None
    product_codes: list[str] | None = None

    def to_filter(self) -> T2Filter:
        return T2Filter(tiers=_list(self.customer_tiers, "filter.customerTiers"),
                        regions=_list(self.regions, "filter.regions"),
                        customer_ids=_list(self.customer_ids, "filter.customerIds"),
                        product_codes=_list(self.product_codes, "filter.productCodes"))


@strawberry.type(description="T2 客户销售分析表: rows = customers with sales in the year, "
                 "columns = products; column and grand totals cover all rows, not the page.")
class SalesAnalysis:
    title: str
    year: int
    unit: str
    columns: list[SalesColumn]
    rows: list[SalesAnalysisRow]
    page_info: PageInfo
    total_count: int
    column_totals: SalesFigures
    grand_total: Money
    signature: SalesTableSignature | None


@strawberry.input
class ClassificationFilter:
    statuses: list[CustomerStatus] | None = None
    customer_tiers: list[CustomerTier] | None = None
    customer_ids: list[strawberry.ID] | None = None


@strawberry.type
class ClassificationValue:
    value: str = strawberry.field(description="The attribute's value, or 'unknown'.")
    label: str
    count: int
    share: str = strawberry.field(description="Percent, 2 decimals (largest remainder).")


@strawberry.type
class ClassificationCriterion:
    criterion: str
    label: str
    values: list[ClassificationValue] = strawberry.field(
        description="Shares sum to exactly 100.00.")


@strawberry.type(description="T1 客户总体分类表.")
class CustomerClassificationTable:
    title: str
    customers: int
    all_customers: int
    customer_share: str = strawberry.field(description="客户比例: percent of all customers.")
    criteria: list[ClassificationCriterion]


@strawberry.input(description="Months as YYYY-MM, inclusive; tier and region as of each sale.")
class SalesAggregateFilter:
    years: list[int] | None = None
    from_month: str | None = None
    to_month: str | None = None
    customer_ids: list[strawberry.ID] | None = None
    product_codes: list[str] | None = None
    customer_tiers: list[CustomerTier] | None = None
    regions: list[Region] | None = None

    def to_filter(self) -> AggregateFilter:
        return AggregateFilter(
            years=_list(self.years, "filter.years"),
            from_month=_month(self.from_month, "filter.fromMonth"),
            to_month=_month(self.to_month, "filter.toMonth"),
            customer_ids=_list(self.customer_ids, "filter.customerIds"),
            product_codes=_list(self.product_codes, "filter.productCodes"),
            tiers=_list(self.customer_tiers, "filter.customerTiers"),
            regions=_list(self.regions, "filter.regions"))


def _month(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        if len(text) != 7:
            raise ValueError(text)
        return date.fromisoformat(text + "-01")
    except ValueError:
        raise BadInput("a month is YYYY-MM", field=field) from None


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(description="T2 for one year, a page of customer rows (cursor by name).")
    async def sales_analysis(
        self, info: Info[Any, Any], year: int, filter: SalesAnalysisFilter | None = None,
        first: int | None = None, after: str | None = None, at_least: Position | None = None,
    ) -> SalesAnalysis:
        require_reader(info, *READERS)
        ctx = ctx_of(info)
        if not year_in_range(year):
            raise BadInput(f"year must be within {FIRST_YEAR} to {LAST_YEAR}", field="year")
        limit = ctx.page_size(first)
        cursor = decode_cursor(after)
        await ctx.read_after(at_least)
        f = (filter or SalesAnalysisFilter()).to_filter()
        if cursor is not None and len(cursor) != 2:
            raise BadInput("not a salesAnalysis cursor", field="after")
        start = (str(cursor[0]), str(cursor[1])) if cursor else None
        t = await sales_table(ctx.pool, year, f, limit=limit, after=start)
        rows = [SalesAnalysisRow(
            customer_id=strawberry.ID(r.customer_id), customer_name=r.customer_name,
            cells=SalesFigures.of(r.cells), total=Money.of(r.total)) for r in t.rows]
        end = encode_cursor(*t.cursor_of[t.rows[-1].customer_id]) if t.rows else None
        return SalesAnalysis(
            title=T2_TITLE, year=year, unit="万元",
            columns=[SalesColumn(code=c, name=n) for c, n in t.products], rows=rows,
            page_info=PageInfo(has_next_page=t.has_next_page, end_cursor=end),
            total_count=t.total_rows,
            column_totals=SalesFigures.of(t.column_totals),
            grand_total=Money.of(t.grand_total), signature=SalesTableSignature.of(t.signature))

    @strawberry.field(description="T1: per criterion, each value's count and share, plus "
                      "'unknown'; shares sum to 100.00 per criterion.")
    async def customer_classification(
        self, info: Info[Any, Any], filter: ClassificationFilter | None = None,
        at_least: Position | None = None,
    ) -> CustomerClassificationTable:
        plan = classification_plan(info, filter)
        await ctx_of(info).read_after(at_least)
        return await plan.compute()

    @strawberry.field(description="Sales grouped by any of the dimensions, with sum, count, "
                      "avg, min and max; pages over groups.")
    async def sales_aggregate(
        self, info: Info[Any, Any], group_by: list[SalesDimension],
        filter: SalesAggregateFilter | None = None,
        order_by: SalesAggregateOrder = SalesAggregateOrder.KEY,
        first: int | None = None, after: str | None = None, at_least: Position | None = None,
    ) -> Connection[SalesGroup]:
        plan = sales_aggregate_plan(info, group_by, filter, order_by, first, after)
        await ctx_of(info).read_after(at_least)
        return await plan.compute()


def classification_plan(info: Info[Any, Any], filter: ClassificationFilter | None,
                        ) -> Plan[CustomerClassificationTable]:
    """customerClassification's checked arguments and computation (query and live twin)."""
    require_reader(info, *READERS)
    pool = ctx_of(info).pool
    g = filter or ClassificationFilter()
    t1 = T1Filter(statuses=_list(g.statuses, "filter.statuses"),
                  tiers=_list(g.customer_tiers, "filter.customerTiers"),
                  customer_ids=_list(g.customer_ids, "filter.customerIds"))

    async def compute() -> CustomerClassificationTable:
        c = await classification(pool, t1)
        return CustomerClassificationTable(
            title=T1_TITLE, customers=c.customers, all_customers=c.all_customers,
            customer_share=c.customer_share,
            criteria=[ClassificationCriterion(criterion=k.criterion, label=k.label, values=[
                ClassificationValue(value=v.value, label=v.label, count=v.count, share=v.share)
                for v in k.values]) for k in c.criteria])

    return Plan("customerClassification", t1, None, frozenset({"classification"}), compute)


def sales_aggregate_plan(
    info: Info[Any, Any], group_by: list[SalesDimension], filter: SalesAggregateFilter | None,
    order_by: SalesAggregateOrder, first: int | None, after: str | None,
) -> Plan[Connection[SalesGroup]]:
    """salesAggregate's checked arguments and computation (query and live twin)."""
    require_reader(info, *READERS)
    ctx = ctx_of(info)
    limit = ctx.page_size(first)
    cursor = decode_cursor(after)
    if cursor is not None and (len(cursor) != 1 or not isinstance(cursor[0], int)):
        raise BadInput("not a salesAggregate cursor", field="after")
    offset = cursor[0] + 1 if cursor else 0
    dims = [d.value for d in dict.fromkeys(group_by)]
    wanted = (filter or SalesAggregateFilter()).to_filter()
    pool, order = ctx.pool, order_by.value

    async def compute() -> Connection[SalesGroup]:
        groups, total = await aggregate(pool, dims, wanted, order, limit=limit, offset=offset)
        ids = [str(g.key["customer_id"]) for g in groups if g.key.get("customer_id")]
        names = await customer_names(pool, ids) if ids else {}
        numbered = list(enumerate(groups, start=offset))
        return connection(  # type: ignore[no-any-return]
            numbered, limit, total, key=lambda t: (t[0],),
            node=lambda t: SalesGroup.of(t[1], names, show_year="year" in dims))

    return Plan("salesAggregate", (dims, wanted, order, limit, offset), None,
                frozenset({"sales"}), compute)


QUERIES = [AnalyticsQueries]
MUTATIONS: list[type] = []
SUBSCRIPTIONS: list[type] = []
