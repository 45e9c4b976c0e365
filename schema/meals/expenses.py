"""Spend on customer meals, grouped as a dashboard asks: by month (company time zone),
restaurant, customer, customer tier, host and meal type. Spend is the actual cost recorded (M12)
of meals not rejected or denied reimbursement (M14)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import Enum, StrEnum
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from events.bills.matching import restaurant_key
from events.policy.values import CustomerTier, Host, MealType
from schema.common import yuan
from schema.context import BadInput, ctx_of
from schema.meals import types as meal_types_api  # noqa: F401  (the shared enums)


@strawberry.enum(description="A dimension of the expense summary.")
class ExpenseDimension(StrEnum):
    MONTH = "month"
    RESTAURANT = "restaurant"
    CUSTOMER = "customer"
    CUSTOMER_TIER = "customer_tier"
    HOST = "host"
    MEAL_TYPE = "meal_type"


# Each dimension: the SQL that groups, the SQL that labels the group ($1 is the time zone).
_SQL = {
    ExpenseDimension.MONTH: ("to_char(meal_at AT TIME ZONE $1, 'YYYY-MM')",) * 2,
    ExpenseDimension.RESTAURANT: ("restaurant_key", "min(restaurant)"),
    ExpenseDimension.CUSTOMER: ("customer_id", "customer_id"),
    ExpenseDimension.CUSTOMER_TIER: ("customer_tier", "customer_tier"),
    ExpenseDimension.HOST: ("host", "host"),
    ExpenseDimension.MEAL_TYPE: ("meal_type", "meal_type"),
}


@strawberry.enum(description="Order of expense groups; ties are broken by the group keys.")
class ExpenseOrder(Enum):
    KEY = strawberry.enum_value(
        "key", description="By the groups' own keys: months in date order, then the others.")
    TOTAL_DESC = strawberry.enum_value("total_desc", description="Largest spend first.")
    TOTAL_ASC = strawberry.enum_value("total_asc", description="Smallest spend first.")
    COUNT_DESC = strawberry.enum_value("count_desc", description="Most meals first.")
    COUNT_ASC = strawberry.enum_value("count_asc", description="Fewest meals first.")


_ORDERS = {ExpenseOrder.KEY: None, ExpenseOrder.TOTAL_DESC: "total_fen DESC",
           ExpenseOrder.TOTAL_ASC: "total_fen ASC", ExpenseOrder.COUNT_DESC: "meals DESC",
           ExpenseOrder.COUNT_ASC: "meals ASC"}


def order_sql(order: ExpenseOrder, dims: list[ExpenseDimension]) -> str:
    """A total order: the chosen one, then every group key (so equal totals keep a stable
    order), month first so that dates read in date order."""
    keys = sorted(dims, key=lambda d: d is not ExpenseDimension.MONTH)
    ordering = [o for o in (_ORDERS[order],) if o] + [d.value for d in keys]
    return " ORDER BY " + ", ".join(ordering) if ordering else ""


@strawberry.input
class ExpenseFilter:
    customer_id: str | None = None
    restaurant: str | None = None
    customer_tier: CustomerTier | None = None
    host: Host | None = None
    meal_type: MealType | None = None
    signed_only: bool = strawberry.field(
        default=False, description="Only meals whose cost a manager signed (M12).")


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


def _filters(f: ExpenseFilter | None, args: list[Any]) -> list[str]:
    if f is None:
        return []
    where = ["signed"] if f.signed_only else []
    pairs: list[tuple[str, Any]] = [
        ("customer_id = ${}", f.customer_id),
        ("restaurant_key = ${}", restaurant_key(f.restaurant[:200]) if f.restaurant else None),
        ("customer_tier = ${}", f.customer_tier.value if f.customer_tier else None),
        ("host = ${}", f.host.value if f.host else None),
        ("meal_type = ${}", f.meal_type.value if f.meal_type else None),
    ]
    for sql, value in pairs:
        if value is not None:
            args.append(value)
            where.append(sql.format(len(args)))
    return where


@strawberry.type
class ExpenseQueries:
    @strawberry.field(description="Spend by the chosen dimensions between two days (inclusive, "
                      "company time zone): count, total and average, in yuan.")
    async def expense_summary(
        self, info: Info[Any, Any], group_by: list[ExpenseDimension],
        from_day: Annotated[date, strawberry.argument(name="from")],
        to_day: Annotated[date, strawberry.argument(name="to")],
        filter: ExpenseFilter | None = None, at_least: int | None = None,
        order_by: ExpenseOrder = ExpenseOrder.KEY,
    ) -> list[ExpenseGroup]:
        ctx = ctx_of(info)
        if to_day < from_day or (to_day - from_day).days > 3660:
            raise BadInput("from must not be after to; at most ten years", field="to")
        await ctx.read_after(at_least)
        tz = ctx.settings.timezone
        dims = list(dict.fromkeys(group_by))
        args: list[Any] = [tz.key, datetime.combine(from_day, time(), tz),
                           datetime.combine(to_day + timedelta(days=1), time(), tz)]
        # $1 (the time zone) typed here too, for queries that do not group by month.
        where = ["$1::text IS NOT NULL", "amount_fen IS NOT NULL", "NOT closed",
                 "meal_at >= $2", "meal_at < $3"]
        where += _filters(filter, args)
        owner = ctx.visible_owner()
        if owner is not None:
            args.append(owner)
            where.append(f"requested_by = ${len(args)}")
        labels = ", ".join(f"{_SQL[d][1]} AS {d.value}" for d in dims)
        groups = ", ".join(_SQL[d][0] for d in dims)
        rows = await ctx.pool.fetch(
            f"SELECT {labels + ', ' if labels else ''}count(*) AS meals,"
            f" sum(amount_fen) AS total_fen FROM meal_expenses WHERE {' AND '.join(where)}"
            f"{' GROUP BY ' + groups if groups else ''}{order_sql(order_by, dims)}",
            *args,
        )
        return [group_from_row(r, dims) for r in rows if r["meals"]]
