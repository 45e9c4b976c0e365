"""Live dashboard subscriptions: the dashboard queries' twins, with the same arguments and
result types, pushing a new result whenever a projection the query reads has advanced.

Each checks its arguments and the caller's visibility exactly as its query does (the query
module builds the plan), waits for `atLeast` like the query, then joins the process's one
computation for that (operation, arguments, visibility): staff see their own figures, so
their user id is part of the key; managers with equal arguments share.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.common import Connection
from schema.context import KehuContext, ctx_of
from schema.live.plan import Plan
from schema.live.registry import live_registry
from schema.meals.expenses import (
    ExpenseDimension,
    ExpenseFilter,
    ExpenseGroup,
    ExpenseOrder,
    expense_plan,
)
from schema.meals.queries import open_exceptions_plan
from schema.meals.types import MealRequest
from schema.positions import Position
from schema.reports.api import (
    ClassificationFilter,
    CustomerClassificationTable,
    SalesAggregateFilter,
    classification_plan,
    sales_aggregate_plan,
)
from schema.reports.types import SalesAggregateOrder, SalesDimension, SalesGroup


async def _live(ctx: KehuContext, plan: Plan[Any], at_least: int | None,
                ) -> AsyncGenerator[Any, None]:
    user = ctx.require_actor().user_id
    await ctx.read_after(at_least)
    async for result in live_registry(ctx.services).subscribe(plan, user):
        yield result


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(description="expenseSummary, live: its result at once, then again "
                             "whenever the expense view has changed it (at most once per "
                             "KEHU_LIVE_INTERVAL_MS).")
    async def expense_summary(
        self, info: Info[Any, Any], group_by: list[ExpenseDimension],
        from_day: Annotated[date, strawberry.argument(name="from")],
        to_day: Annotated[date, strawberry.argument(name="to")],
        filter: ExpenseFilter | None = None, at_least: Position | None = None,
        order_by: ExpenseOrder = ExpenseOrder.KEY,
    ) -> AsyncGenerator[list[ExpenseGroup], None]:
        ctx = ctx_of(info)
        plan = expense_plan(ctx, group_by, from_day, to_day, filter, order_by)
        async for result in _live(ctx, plan, at_least):
            yield result

    @strawberry.subscription(description="salesAggregate, live: its page at once, then again "
                             "whenever the sales view has changed it (at most once per "
                             "KEHU_LIVE_INTERVAL_MS).")
    async def sales_aggregate(
        self, info: Info[Any, Any], group_by: list[SalesDimension],
        filter: SalesAggregateFilter | None = None,
        order_by: SalesAggregateOrder = SalesAggregateOrder.KEY,
        first: int | None = None, after: str | None = None, at_least: Position | None = None,
    ) -> AsyncGenerator[Connection[SalesGroup], None]:
        plan = sales_aggregate_plan(info, group_by, filter, order_by, first, after)
        async for result in _live(ctx_of(info), plan, at_least):
            yield result

    @strawberry.subscription(description="customerClassification (T1), live: the table at "
                             "once, then again whenever the classification view has changed "
                             "it (at most once per KEHU_LIVE_INTERVAL_MS).")
    async def customer_classification(
        self, info: Info[Any, Any], filter: ClassificationFilter | None = None,
        at_least: Position | None = None,
    ) -> AsyncGenerator[CustomerClassificationTable, None]:
        plan = classification_plan(info, filter)
        async for result in _live(ctx_of(info), plan, at_least):
            yield result

    @strawberry.subscription(description="openExceptions, live: the list at once, then again "
                             "whenever the meal view has changed it (at most once per "
                             "KEHU_LIVE_INTERVAL_MS).")
    async def open_exceptions(
        self, info: Info[Any, Any], first: int | None = None, at_least: Position | None = None,
    ) -> AsyncGenerator[list[MealRequest], None]:
        ctx = ctx_of(info)
        plan = open_exceptions_plan(ctx, first)
        async for result in _live(ctx, plan, at_least):
            yield result


QUERIES: list[type] = []
MUTATIONS: list[type] = []
SUBSCRIPTIONS = [LiveSubscriptions]
