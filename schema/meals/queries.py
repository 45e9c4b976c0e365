"""Meal queries: one request, cursor pages of requests, the manager's work lists, and a dry run
of the rule book for forms (evaluateMeal, which writes nothing).

Staff see only their own requests unless KEHU_STAFF_SEE_ALL; everyone else sees all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from events.meals.commands import amount_problems, headcount_problems
from events.meals.handlers import customer_tier, meal_day
from events.meals.rules import blocking, evaluate
from events.meals.state import MealStatus
from events.policy.handlers import in_force_on
from events.policy.values import CustomerTier, Host, MealType
from events.shared.errors import DomainError, Problem, ValidationFailed
from events.shared.validation import MAX_ID, MAX_NAME
from projections.meals.queries import (
    OPEN_EXCEPTION,
    PAPERWORK_OUTSTANDING,
    MealCriteria,
    meal_by_id,
    meal_cursor,
    meal_page,
    meal_where,
    work_list,
)
from schema.common import Connection, connection, fen
from schema.context import BadInput, KehuContext, ctx_of
from schema.live.plan import Plan
from schema.meals.types import MealFinding, MealRequest, meal_from_row
from schema.positions import Position


@strawberry.input
class MealFilter:
    status: list[MealStatus] | None = None
    customer_id: str | None = None
    requested_by: str | None = None
    restaurant: str | None = None
    meal_from: datetime | None = strawberry.field(default=None, name="from")
    meal_to: datetime | None = strawberry.field(default=None, name="to")

    def criteria(self) -> MealCriteria:
        for field, value in (("customerId", self.customer_id),
                             ("requestedBy", self.requested_by)):
            if value is not None and len(value) > MAX_ID:
                raise BadInput(f"at most {MAX_ID} characters", field=f"filter.{field}")
        if self.restaurant is not None and len(self.restaurant) > MAX_NAME:
            raise BadInput(f"at most {MAX_NAME} characters", field="filter.restaurant")
        return MealCriteria([s.value for s in self.status] if self.status else None,
                            self.customer_id, self.requested_by, self.restaurant,
                            self.meal_from, self.meal_to)


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


def open_exceptions_plan(ctx: KehuContext, first: int | None) -> Plan[list[MealRequest]]:
    """openExceptions' checked arguments and computation, for the query and its live twin."""
    limit, owner, pool = ctx.page_size(first), ctx.visible_owner(), ctx.pool

    async def compute() -> list[MealRequest]:
        rows = await work_list(pool, OPEN_EXCEPTION, owner, limit)
        return [meal_from_row(r) for r in rows]

    return Plan("openExceptions", (limit,), owner, frozenset({"meals"}), compute)


@strawberry.type
class MealQueries:
    @strawberry.field(description="One meal request (None when unknown or not yours to see).")
    async def meal_request(self, info: Info[Any, Any], id: strawberry.ID,
                           at_least: Position | None = None) -> MealRequest | None:
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        if len(id) > MAX_ID:
            return None
        row = await meal_by_id(ctx.pool, str(id), ctx.visible_owner())
        return meal_from_row(row) if row else None

    @strawberry.field(description="Meal requests, newest first, as cursor pages.")
    async def meal_requests(
        self, info: Info[Any, Any], filter: MealFilter | None = None, first: int | None = None,
        after: str | None = None, at_least: Position | None = None,
    ) -> Connection[MealRequest]:
        ctx = ctx_of(info)
        limit = ctx.page_size(first)
        await ctx.read_after(at_least)
        where = meal_where(ctx.visible_owner(), filter.criteria() if filter else MealCriteria())
        rows, total = await meal_page(ctx.pool, where, meal_cursor(after), limit)
        return connection(rows, limit, total, node=meal_from_row,  # type: ignore[no-any-return]
                          key=lambda r: (r["requested_at"].isoformat(), r["meal_id"]))

    @strawberry.field(description="M6/M12: policy exceptions awaiting the manager, held meals "
                      "whose actual bill breaks the rule book, meals held without approval "
                      "awaiting the manager's decision (M14), and open meals whose customer's "
                      "tier changed around the request (M5).")
    async def open_exceptions(self, info: Info[Any, Any], first: int | None = None,
                              at_least: Position | None = None) -> list[MealRequest]:
        ctx = ctx_of(info)
        plan = open_exceptions_plan(ctx, first)
        await ctx.read_after(at_least)
        return await plan.compute()

    @strawberry.field(description="M11/M14: meals whose paperwork is outstanding (verbally "
                      "approved, or held without approval); overdue: only those past their "
                      "deadline (company time zone).")
    async def pending_paperwork(self, info: Info[Any, Any], overdue: bool = False,
                                first: int | None = None,
                                at_least: Position | None = None) -> list[MealRequest]:
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        rows = await work_list(ctx.pool, PAPERWORK_OUTSTANDING, ctx.visible_owner(),
                               ctx.page_size(first),
                               due_before=ctx.command_context().today if overdue else None)
        return [meal_from_row(r) for r in rows]

    @strawberry.field(description="M13: signed meals not yet settled with a restaurant bill.")
    async def unsettled_signed_meals(self, info: Info[Any, Any], restaurant: str | None = None,
                                     first: int | None = None,
                                     at_least: Position | None = None) -> list[MealRequest]:
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        if restaurant is not None and len(restaurant) > MAX_NAME:
            raise BadInput(f"at most {MAX_NAME} characters", field="restaurant")
        rows = await work_list(ctx.pool, "true", ctx.visible_owner(), ctx.page_size(first),
                               criteria=MealCriteria([MealStatus.SIGNED.value],
                                                     restaurant=restaurant))
        return [meal_from_row(r) for r in rows]

    @strawberry.field(description="Dry run for forms: every finding the rule book in force on "
                      "the meal date gives (M5-M8); writes nothing.")
    async def evaluate_meal(self, info: Info[Any, Any],
                            input: EvaluateMealInput) -> MealEvaluation:
        ctx = ctx_of(info)
        command_ctx = ctx.command_context()
        try:
            total, drinks = fen(input.total, "total"), fen(input.drinks, "drinks")
            # The same checks as requestMeal (M3, M7), so a dry run never answers a form that
            # the request itself would refuse.
            problems = []
            if input.meal_at.tzinfo is None:
                problems.append(Problem("mealAt", "M3", "the meal time needs a time zone"))
            problems += headcount_problems(input.guests, input.accompanying)
            problems += amount_problems("total", total, "drinks", drinks)
            if problems:
                raise ValidationFailed(problems)
            tier = input.customer_tier
            if input.customer_id is not None:
                if len(input.customer_id) > MAX_ID:
                    raise BadInput(f"at most {MAX_ID} characters", field="customerId")
                tier = await customer_tier(ctx.store, input.customer_id)
            if tier is None:
                raise BadInput("give customerId or customerTier", field="customerId")
            version = await in_force_on(ctx.store, meal_day(command_ctx, input.meal_at))
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
