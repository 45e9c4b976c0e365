"""Spend on customer meals, grouped as a dashboard asks: by month (company time zone),
restaurant, customer, customer tier, host and meal type. Spend is the actual cost recorded (M12)
of meals not rejected or denied reimbursement (M14)."""

from __future__ import annotations

from datetime import date
from enum import Enum, StrEnum
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from events.bills.matching import restaurant_key
from events.policy.values import CustomerTier, Host, MealType
from events.shared.validation import MAX_ID, MAX_NAME
from projections.expenses.queries import ExpenseCriteria, expense_groups
from schema.common import yuan
from schema.context import BadInput, KehuContext, ctx_of
from schema.live.plan import Plan
from schema.meals import types as meal_types_api  # noqa: F401  (the shared enums)
from schema.positions import Position


@strawberry.enum(description="A dimension of the expense summary.")
class ExpenseDimension(StrEnum):
    MONTH = "month"
    RESTAURANT = "restaurant"
    CUSTOMER = "customer"
    CUSTOMER_TIER = "customer_tier"
    HOST = "host"
    MEAL_TYPE = "meal_type"


@strawberry.enum(description="Order of expense groups; ties are broken by the group keys.")
class ExpenseOrder(Enum):
    KEY = strawberry.enum_value(
        "key", description="By the groups' own keys: months in date order, then the others.")
    TOTAL_DESC = strawberry.enum_value("total_desc", description="Largest spend first.")
    TOTAL_ASC = strawberry.enum_value("total_asc", description="Smallest spend first.")
    COUNT_DESC = strawberry.enum_value("count_desc", description="Most meals first.")
    COUNT_ASC = strawberry.enum_value("count_asc", description="Fewest meals first.")


@strawberry.input
class ExpenseFilter:
    customer_id: str | None = None
    restaurant: str | None = None
    customer_tier: CustomerTier | None = None
    host: Host | None = None
    meal_type: MealType | None = None
    signed_only: bool = strawberry.field(
        default=False, description="Only meals whose cost a manager signed (M12).")
    settled_only: bool = strawberry.field(
        default=False, description="Only meals settled with their restaurant's bill (M13).")

    def criteria(self) -> ExpenseCriteria:
        if self.customer_id is not None and len(self.customer_id) > MAX_ID:
            raise BadInput(f"at most {MAX_ID} characters", field="filter.customerId")
        if self.restaurant is not None and len(self.restaurant) > MAX_NAME:
            raise BadInput(f"at most {MAX_NAME} characters", field="filter.restaurant")
        return ExpenseCriteria(
            customer_id=self.customer_id,
            restaurant_key=restaurant_key(self.restaurant) if self.restaurant else None,
            customer_tier=self.customer_tier.value if self.customer_tier else None,
            host=self.host.value if self.host else None,
            meal_type=self.meal_type.value if self.meal_type else None,
            signed_only=self.signed_only, settled_only=self.settled_only)


@strawberry.type(description="One group: the dimensions asked for are set, the others null.")
class ExpenseGroup:
    month: str | None
    restaurant: str | None
    customer_id: str | None
    customer_tier: CustomerTier | None
    host: Host | None
    meal_type: MealType | None
    count: int
    total: str
    average: str = strawberry.field(description="Per meal, rounded half up to the fen.")


def _average(total: int, count: int) -> str:
    whole, rest = divmod(total, count)
    return yuan(whole + (1 if rest * 2 >= count else 0)) or "0.00"


def group_from_row(r: asyncpg.Record, dims: list[ExpenseDimension]) -> ExpenseGroup:
    def label(d: ExpenseDimension) -> Any:
        return r[d.value] if d in dims else None

    tier, host, meal_type = (label(ExpenseDimension.CUSTOMER_TIER),
                             label(ExpenseDimension.HOST), label(ExpenseDimension.MEAL_TYPE))
    total, count = int(r["total_fen"]), int(r["meals"])
    return ExpenseGroup(
        month=label(ExpenseDimension.MONTH), restaurant=label(ExpenseDimension.RESTAURANT),
        customer_id=label(ExpenseDimension.CUSTOMER),
        customer_tier=CustomerTier(tier) if tier else None, host=Host(host) if host else None,
        meal_type=MealType(meal_type) if meal_type else None, count=count,
        total=yuan(total) or "0.00", average=_average(total, count),
    )


def expense_plan(ctx: KehuContext, group_by: list[ExpenseDimension], from_day: date,
                 to_day: date, filter: ExpenseFilter | None,
                 order_by: ExpenseOrder) -> Plan[list[ExpenseGroup]]:
    """expenseSummary's checked arguments and computation, for the query and its live twin."""
    if to_day < from_day or (to_day - from_day).days > 3660:
        raise BadInput("from must not be after to; at most ten years", field="to")
    dims = list(dict.fromkeys(group_by))
    criteria = filter.criteria() if filter else ExpenseCriteria()
    owner, pool, tz, order = (ctx.visible_owner(), ctx.pool, ctx.settings.timezone,
                              order_by.name.lower())

    async def compute() -> list[ExpenseGroup]:
        rows = await expense_groups(pool, tz, from_day, to_day, [d.value for d in dims],
                                    criteria, owner, order=order)
        return [group_from_row(r, dims) for r in rows]

    return Plan("expenseSummary", (dims, from_day, to_day, criteria, order), owner,
                frozenset({"expenses"}), compute)


@strawberry.type
class ExpenseQueries:
    @strawberry.field(description="Spend by the chosen dimensions between two days (inclusive, "
                      "company time zone): count, total and average, in yuan.")
    async def expense_summary(
        self, info: Info[Any, Any], group_by: list[ExpenseDimension],
        from_day: Annotated[date, strawberry.argument(name="from")],
        to_day: Annotated[date, strawberry.argument(name="to")],
        filter: ExpenseFilter | None = None, at_least: Position | None = None,
        order_by: ExpenseOrder = ExpenseOrder.KEY,
    ) -> list[ExpenseGroup]:
        ctx = ctx_of(info)
        plan = expense_plan(ctx, group_by, from_day, to_day, filter, order_by)
        await ctx.read_after(at_least)
        return await plan.compute()
