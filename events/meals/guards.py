"""Guards shared by the meal decisions: who may act, and in which status.

A refusal for the wrong status says what the meal needs next, not which statuses would do.
"""

from __future__ import annotations

from events.meals.commands import text_problem
from events.meals.state import MealState, MealStatus
from events.people.values import same_person
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, ValidationFailed


def manager_of_others(state: MealState, ctx: Context, action: str, rule: str) -> None:
    ctx.require_role(Role.MANAGER, action=f"{action} a meal", rule=rule)
    # Compared as people, not strings: "MGR1" and "ｍｇｒ1" are the same manager.
    if same_person(state.requested_by, ctx.actor.user_id):
        raise Forbidden(f"nobody may {action} their own meal request", rule=rule)


def expect(state: MealState, rule: str, *allowed: MealStatus) -> None:
    if state.status not in allowed:
        raise InvalidState(
            f"meal {state.meal_id} is {state.status.value}; next: {next_step(state)}",
            rule=rule)


def next_step(state: MealState) -> str:
    """What the meal waits for, in the words of the API (mutation names in brackets)."""
    s, due = state.status, state.paperwork_due
    if s is MealStatus.REQUESTED:
        return "a manager approves or rejects the request (approveMeal, rejectMeal)"
    if s is MealStatus.APPROVED:
        return "after the meal, record its actual cost (recordMealCost)"
    if s in (MealStatus.PENDING_PAPERWORK, MealStatus.VERBALLY_APPROVED):
        by = f" by {due.isoformat()}" if due else ""
        return f"{state.requested_by} completes the paperwork{by} (completeMealPaperwork)"
    if s is MealStatus.PAPERWORK_COMPLETED and state.unapproved and not state.exception_approved:
        return ("a manager approves it as an exception (approveMeal with approveException) "
                "or denies reimbursement (denyReimbursement)")
    if s in (MealStatus.PAPERWORK_COMPLETED, MealStatus.HELD) and state.total_fen is None:
        return "record the actual cost first (recordMealCost)"
    if s in (MealStatus.PAPERWORK_COMPLETED, MealStatus.HELD):
        return "a manager other than the requester signs the cost (signMealCost)"
    if s is MealStatus.SIGNED:
        return "it is settled with the restaurant's monthly bill (settleRestaurantBill)"
    return "nothing: the meal is closed"


def need_text(field: str, value: str, rule: str) -> None:
    problem = text_problem(field, value, required=True, rule=rule)
    if problem:
        raise ValidationFailed([problem])
