"""Meal entertainment over GraphQL (M2-M14): the meal mutations here; queries, bills and
expenses in their own modules, composed into this module's QUERIES and MUTATIONS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.meals.commands import (
    ApproveMeal,
    CompleteMealPaperwork,
    DenyReimbursement,
    IssueMealVouchers,
    MealCommand,
    RejectMeal,
    RequestMeal,
    SignMealCost,
)
from events.meals.handlers import handle_meal
from events.meals.state import MealStatus
from events.shared.actors import Actor
from events.shared.context import Context
from schema.bills.api import BillMutations, BillQueries
from schema.common import MutationOk
from schema.context import KehuContext
from schema.entity_ids import new_id
from schema.errors import MutationErrors
from schema.meals.expenses import ExpenseQueries
from schema.meals.inputs import (
    ApproveMealInput,
    ApproveMealVerballyInput,
    CompleteMealPaperworkInput,
    IssueMealVouchersInput,
    MealFormInput,
    MealReasonInput,
    RecordMealCostInput,
    SignMealCostInput,
    bounded,
    meal_id,
)
from schema.meals.queries import MealQueries
from schema.meals.types import MealFinding
from schema.mutations import mutate, ok_fields


@strawberry.type(description="A meal command was carried out; the meal as it now stands.")
class MealMutationOk(MutationOk):
    meal_id: strawberry.ID
    status: MealStatus
    policy_version: int = strawberry.field(
        description="The rule-book version the meal was decided under (M15).")
    findings: list[MealFinding]
    cost_findings: list[MealFinding]


RequestMealResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                          strawberry.union("RequestMealResult")]
ApproveMealResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                          strawberry.union("ApproveMealResult")]
RejectMealResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                         strawberry.union("RejectMealResult")]
ApproveMealVerballyResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                                  strawberry.union("ApproveMealVerballyResult")]
CompleteMealPaperworkResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                                    strawberry.union("CompleteMealPaperworkResult")]
IssueMealVouchersResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                                strawberry.union("IssueMealVouchersResult")]
RecordMealCostResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                             strawberry.union("RecordMealCostResult")]
SignMealCostResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                           strawberry.union("SignMealCostResult")]
DenyReimbursementResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
                                                strawberry.union("DenyReimbursementResult")]


async def run_meal(
    info: Info[Any, Any], build: Callable[[Actor], MealCommand], key: str | None
) -> MealMutationOk | MutationErrors:
    """Build the command, run it, answer with the meal's state as the runner decided it."""

    async def action(ctx: KehuContext, command_ctx: Context, key: str | None) -> MealMutationOk:
        outcome = await handle_meal(ctx.store, command_ctx, build(command_ctx.actor),
                                    idempotency_key=key)
        state = outcome.state
        assert state is not None
        return MealMutationOk(
            **ok_fields(outcome), meal_id=strawberry.ID(state.meal_id), status=state.status,
            policy_version=state.policy_version,
            findings=[MealFinding.of(f) for f in state.findings],
            cost_findings=[MealFinding.of(f) for f in state.cost_findings],
        )

    return await mutate(info, key, action)


@strawberry.type
class MealMutations:
    @strawberry.mutation(description="M2/M3: request a meal before it happens; findings M5-M8.")
    async def request_meal(self, info: Info[Any, Any], input: MealFormInput,
                           idempotency_key: str | None = None) -> RequestMealResult:
        return await run_meal(info, lambda actor: RequestMeal(
            new_id(None, field="mealId", actor=actor, key=idempotency_key, kind="meal"),
            input.to_form()), idempotency_key)

    @strawberry.mutation(description="M2/M6: a manager approves another's request.")
    async def approve_meal(self, info: Info[Any, Any], input: ApproveMealInput,
                           idempotency_key: str | None = None) -> ApproveMealResult:
        return await run_meal(info, lambda _: ApproveMeal(
            meal_id(input.meal_id), bounded(input.note, "note", 2000), input.approve_exception),
            idempotency_key)

    @strawberry.mutation(description="M2: a manager rejects another's request, with a reason.")
    async def reject_meal(self, info: Info[Any, Any], input: MealReasonInput,
                          idempotency_key: str | None = None) -> RejectMealResult:
        return await run_meal(info, lambda _: RejectMeal(meal_id(input.meal_id), input.reason),
                              idempotency_key)

    @strawberry.mutation(description="M11: record a verbal emergency approval (by the meal day).")
    async def approve_meal_verbally(
        self, info: Info[Any, Any], input: ApproveMealVerballyInput,
        idempotency_key: str | None = None,
    ) -> ApproveMealVerballyResult:
        return await run_meal(info, lambda actor: input.to_command(
            new_id(None, field="mealId", actor=actor, key=idempotency_key, kind="meal")),
            idempotency_key)

    @strawberry.mutation(description="M11: the requester completes the written request in time.")
    async def complete_meal_paperwork(
        self, info: Info[Any, Any], input: CompleteMealPaperworkInput,
        idempotency_key: str | None = None,
    ) -> CompleteMealPaperworkResult:
        return await run_meal(info, lambda _: CompleteMealPaperwork(
            meal_id(input.meal_id), input.form.to_form()), idempotency_key)

    @strawberry.mutation(description="M10: admin_office issues canteen vouchers.")
    async def issue_meal_vouchers(self, info: Info[Any, Any], input: IssueMealVouchersInput,
                                  idempotency_key: str | None = None) -> IssueMealVouchersResult:
        return await run_meal(info, lambda _: IssueMealVouchers(
            meal_id(input.meal_id), input.count), idempotency_key)

    @strawberry.mutation(description="M12: the actual cost, checked against the rule book.")
    async def record_meal_cost(self, info: Info[Any, Any], input: RecordMealCostInput,
                               idempotency_key: str | None = None) -> RecordMealCostResult:
        return await run_meal(info, lambda _: input.to_command(), idempotency_key)

    @strawberry.mutation(description="M12: a manager annotates and signs another's meal cost.")
    async def sign_meal_cost(self, info: Info[Any, Any], input: SignMealCostInput,
                             idempotency_key: str | None = None) -> SignMealCostResult:
        return await run_meal(info, lambda _: SignMealCost(
            meal_id(input.meal_id), bounded(input.annotation, "annotation", 2000)),
            idempotency_key)

    @strawberry.mutation(description="M14: past the paperwork deadline, deny reimbursement.")
    async def deny_reimbursement(self, info: Info[Any, Any], input: MealReasonInput,
                                 idempotency_key: str | None = None) -> DenyReimbursementResult:
        return await run_meal(info, lambda _: DenyReimbursement(
            meal_id(input.meal_id), input.reason), idempotency_key)


QUERIES: list[type] = [MealQueries, BillQueries, ExpenseQueries]
MUTATIONS: list[type] = [MealMutations, BillMutations]
SUBSCRIPTIONS: list[type] = []
