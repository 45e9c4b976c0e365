"""Meals held without approval (M14, Art. 8.3): reported after the fact, paperwork within the
M11 deadline, then the manager decides: approve as an exception, or deny reimbursement.

"未办理客餐审批手续而自行安排的客餐,若不补办手续,客户服务部均不予报销": without the paperwork
(补办) such a meal is never reimbursed; with it, reimbursement is the manager's explicit call.
"""

from __future__ import annotations

from events.meals.commands import (
    ApproveMeal,
    ReportUnapprovedMeal,
    headcount_problems,
    text_problem,
)
from events.meals.emergency import paperwork_deadline
from events.meals.events import MealApprovedAfterTheFact, MealReportedUnapproved
from events.meals.guards import expect, manager_of_others
from events.meals.rules import evaluate
from events.meals.state import MealState, MealStatus
from events.policy.figures import PolicyFigures
from events.policy.values import COST_CENTER, CustomerTier
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import InvalidState, Problem, ValidationFailed


def report(
    command: ReportUnapprovedMeal, ctx: Context, figures: PolicyFigures, version: int,
    tier: CustomerTier,
) -> MealReportedUnapproved:
    # The staff member who held the meal reports it; it becomes their meal (four eyes: a
    # manager decides on it later, never the reporter).
    ctx.require_role(Role.STAFF, action="reporting a meal held without approval", rule="M14")
    problems = [p for p in (
        text_problem("customerId", command.customer_id, required=True, rule="M3"),
        text_problem("restaurant", command.restaurant, required=True, rule="M3"),
        text_problem("reason", command.reason, required=True, rule="M14"),
    ) if p]
    problems += headcount_problems(command.guests, command.accompanying)
    if command.meal_at.tzinfo is None:
        problems.append(Problem("mealAt", "M3", "the meal time needs a time zone"))
    if problems:
        raise ValidationFailed(problems)
    if command.meal_at > ctx.now:
        raise ValidationFailed.single(
            "mealAt", "this meal has not happened yet: request it (requestMeal) for the "
            "manager's approval beforehand", "M2",
        )
    meal_day = command.meal_at.astimezone(ctx.tz).date()
    findings = evaluate(
        figures, tier=tier, meal_type=command.meal_type, host=command.host,
        guests=command.guests, accompanying=command.accompanying, total_fen=None,
    )
    return MealReportedUnapproved(
        meal_id=command.meal_id, requested_by=ctx.actor.user_id,
        customer_id=command.customer_id, organisation=command.organisation,
        meal_at=command.meal_at, restaurant=command.restaurant.strip(),
        guests=command.guests, accompanying=command.accompanying,
        meal_type=command.meal_type, host=command.host, reason=command.reason.strip(),
        customer_tier=tier, findings=tuple(findings), policy_version=version,
        paperwork_due=paperwork_deadline(figures, meal_day, version),
        cost_center=COST_CENTER, reported_at=ctx.now,
    )


def approve_after_the_fact(
    state: MealState, command: ApproveMeal, ctx: Context
) -> MealApprovedAfterTheFact:
    manager_of_others(state, ctx, "approve", "M14")
    if state.status is MealStatus.PENDING_PAPERWORK:
        raise InvalidState(
            f"meal {state.meal_id} was held without approval and its paperwork is not done: "
            f"the staff member completes it by {_due(state)} (completeMealPaperwork), then "
            "you decide", rule="M14",
        )
    expect(state, "M14", MealStatus.PAPERWORK_COMPLETED)
    if state.exception_approved:
        raise InvalidState(f"meal {state.meal_id} is already approved as an exception",
                           rule="M14")
    if not command.approve_exception:
        raise InvalidState(
            "a meal held without approval is reimbursed only as an exception: approve it "
            "with approveException: true, or deny reimbursement (denyReimbursement)",
            rule="M14",
        )
    return MealApprovedAfterTheFact(state.meal_id, ctx.actor.user_id, ctx.now, command.note)


def _due(state: MealState) -> str:
    return state.paperwork_due.isoformat() if state.paperwork_due else "the deadline"
