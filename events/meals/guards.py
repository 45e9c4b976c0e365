"""Guards shared by the meal decisions: who may act, and in which status."""

from __future__ import annotations

from events.meals.commands import text_problem
from events.meals.state import MealState, MealStatus
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import InvalidState, ValidationFailed


def manager_of_others(state: MealState, ctx: Context, action: str, rule: str) -> None:
    ctx.require_role(Role.MANAGER, action=f"{action} a meal", rule=rule)
    ctx.forbid_self(state.requested_by, action=action, rule=rule)


def expect(state: MealState, rule: str, *allowed: MealStatus) -> None:
    if state.status not in allowed:
        wanted = " or ".join(s.value for s in allowed)
        raise InvalidState(f"meal {state.meal_id} is {state.status.value}, not {wanted}",
                           rule=rule)


def need_text(field: str, value: str, rule: str) -> None:
    problem = text_problem(field, value, required=True, rule=rule)
    if problem:
        raise ValidationFailed([problem])
