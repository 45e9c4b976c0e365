"""Meal queries: one request, cursor pages of requests, the manager's work lists, and a dry run
of the rule book for forms (evaluateMeal, which writes nothing).

Staff see only their own requests unless KEHU_STAFF_SEE_ALL; everyone else sees all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import strawberry
from strawberry.types import Info

from events.meals.handlers import customer_tier, meal_day
from events.meals.rules import blocking, evaluate
from events.meals.state import MealStatus
from events.policy.handlers import in_force_on
from events.policy.values import CustomerTier, Host, MealType
from events.shared.errors import DomainError
from projections.paging import decode_cursor
from schema.common import Connection, connection, fen
from schema.context import BadInput, KehuContext, ctx_of
from schema.meals.types import MealFinding, MealRequest, meal_from_row

_OPEN_EXCEPTION = (
    "((policy_exception AND status = 'requested') OR (cost_blocked AND status IN"
    " ('held', 'pending_paperwork', 'paperwork_completed')))"
)


@strawberry.input
class MealFilter:
    status: list[MealStatus] | None = None
    customer_id: str | None = None
    requested_by: str | None = None
    restaurant: str | None = None
    meal_from: datetime | None = strawberry.field(default=None, name="from")
    meal_to: datetime | None = strawberry.field(default=None, name="to")


@strawberry.input(description="A meal as a form has it; customerId or customerTier.")
class EvaluateMealInput:
    meal_at: datetime
    meal_type: MealType
    host: Host
    guests: int
    accompanying: int
    customer_id: str | None = None
    customer_tier: CustomerTier | None = None
    total: str | None = None
    drinks: str | None = None
    designated_restaurant: bool = False


@strawberry.type(description="What the rule book in force on the meal date says (dry run).")
class MealEvaluation:
    policy_version: int
    customer_tier: CustomerTier
    findings: list[MealFinding]
    blocked: bool = strawberry.field(
        description="True: a request needs an exception reason and explicit approval (M6).")


async def _meals(ctx: KehuContext, where: list[str], args: list[Any], limit: int,
                 after: list[Any] | None = None) -> tuple[list[asyncpg.Record], int]:
    owner = ctx.visible_owner()
    if owner is not None:
        args.append(owner)
        where.append(f"requested_by = ${len(args)}")
    clause = " AND ".join(where) or "true"
    total = await ctx.pool.fetchval(f"SELECT count(*) FROM meal_requests WHERE {clause}", *args)
    page_where = clause
    if after is not None:
        args = [*args, datetime.fromisoformat(after[0]), after[1]]
        page_where += f" AND (requested_at, meal_id) < (${len(args) - 1}, ${len(args)})"
    rows = await ctx.pool.fetch(
        f"SELECT * FROM meal_requests WHERE {page_where}"
        f" ORDER BY requested_at DESC, meal_id DESC LIMIT {limit + 1}", *args,
    )
    return rows, int(total)


def _filter_sql(f: MealFilter | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if f is None:
        return where, args
    pairs: list[tuple[str, Any]] = [
        ("status = ANY(${})", [s.value for s in f.status] if f.status else None),
        ("customer_id = ${}", f.customer_id), ("requested_by = ${}", f.requested_by),
        ("restaurant = ${}", f.restaurant), ("meal_at >= ${}", f.meal_from),
        ("meal_at < ${}", f.meal_to),
    ]
    for sql, value in pairs:
        if value is not None:
            args.append(value)
            where.append(sql.format(len(args)))
    return where, args


def _cursor(after: str | None) -> list[Any] | None:
    values = decode_cursor(after)
    if values is not None and (len(values) != 2 or not all(isinstance(v, str) for v in values)):
        raise BadInput("not a cursor returned by this API", field="after")
    return values


@strawberry.type
class MealQueries:
    @strawberry.field(description="One meal request (None when unknown or not yours to see).")
    async def meal_request(self, info: Info[Any, Any], id: strawberry.ID,
                           at_least: int | None = None) -> MealRequest | None:
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        rows, _ = await _meals(ctx, ["meal_id = $1"], [str(id)], 1)
        return meal_from_row(rows[0]) if rows else None

    @strawberry.field(description="Meal requests, newest first, as cursor pages.")
    async def meal_requests(
        self, info: Info[Any, Any], filter: MealFilter | None = None, first: int | None = None,
        after: str | None = None, at_least: int | None = None,
    ) -> Connection[MealRequest]:
        ctx = ctx_of(info)
        limit = ctx.page_size(first)
        await ctx.read_after(at_least)
        where, args = _filter_sql(filter)
        rows, total = await _meals(ctx, where, args, limit, _cursor(after))
        return connection(rows, limit, total, node=meal_from_row,  # type: ignore[no-any-return]
                          key=lambda r: (r["requested_at"].isoformat(), r["meal_id"]))

    @strawberry.field(description="M6/M12: policy exceptions awaiting the manager, and held "
                      "meals whose actual bill breaks the rule book, before signing.")
    async def open_exceptions(self, info: Info[Any, Any], first: int | None = None,
                              at_least: int | None = None) -> list[MealRequest]:
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        rows, _ = await _meals(ctx, [_OPEN_EXCEPTION], [], ctx.page_size(first))
        return [meal_from_row(r) for r in rows[: ctx.page_size(first)]]

    @strawberry.field(description="M11: verbally approved meals whose paperwork is outstanding; "
                      "overdue: only those past their deadline (company time zone).")
    async def pending_paperwork(self, info: Info[Any, Any], overdue: bool = False,
                                first: int | None = None,
                                at_least: int | None = None) -> list[MealRequest]:
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        where = ["status IN ('verbally_approved', 'pending_paperwork')"]
        args: list[Any] = []
        if overdue:
            args.append(ctx.command_context().today)
            where.append("paperwork_due < $1")
        rows, _ = await _meals(ctx, where, args, ctx.page_size(first))
        return [meal_from_row(r) for r in rows[: ctx.page_size(first)]]

    @strawberry.field(description="M13: signed meals not yet settled with a restaurant bill.")
    async def unsettled_signed_meals(self, info: Info[Any, Any], restaurant: str | None = None,
                                     first: int | None = None,
                                     at_least: int | None = None) -> list[MealRequest]:
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        where, args = _filter_sql(MealFilter(status=[MealStatus.SIGNED], restaurant=restaurant))
        rows, _ = await _meals(ctx, where, args, ctx.page_size(first))
        return [meal_from_row(r) for r in rows[: ctx.page_size(first)]]

    @strawberry.field(description="Dry run for forms: every finding the rule book in force on "
                      "the meal date gives (M5-M8); writes nothing.")
    async def evaluate_meal(self, info: Info[Any, Any],
                            input: EvaluateMealInput) -> MealEvaluation:
        ctx = ctx_of(info)
        command_ctx = ctx.command_context()
        try:
            tier = input.customer_tier
            if input.customer_id is not None:
                tier = await customer_tier(ctx.store, input.customer_id[:200])
            if tier is None:
                raise BadInput("give customerId or customerTier", field="customerId")
            version = await in_force_on(ctx.store, meal_day(command_ctx, input.meal_at))
            total, drinks = fen(input.total, "total"), fen(input.drinks, "drinks")
            if not 1 <= input.guests <= 500 or not 0 <= input.accompanying <= 500:
                raise BadInput("guests 1 to 500, accompanying 0 to 500", field="guests")
            findings = evaluate(
                version.figures, tier=tier, meal_type=input.meal_type, host=input.host,
                guests=input.guests, accompanying=input.accompanying, total_fen=total,
                drinks_fen=drinks, designated_restaurant=input.designated_restaurant,
            )
        except DomainError as exc:
            raise BadInput(exc.message, rule=exc.rule, field=exc.field) from None
        return MealEvaluation(policy_version=version.version, customer_tier=tier,
                              findings=[MealFinding.of(f) for f in findings],
                              blocked=bool(blocking(findings)))
