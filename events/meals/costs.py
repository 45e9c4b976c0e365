"""After the meal (M12): its actual cost is recorded and a manager annotates and signs it.

Four eyes: the staff member who held the meal (or a manager who did not approve it) records
the cost; a manager who neither asked for the meal nor recorded its cost signs it.
"""

from __future__ import annotations

from events.meals.commands import RecordMealCost, SignMealCost, amount_problems, headcount_problems
from events.meals.events import MealCostRecorded, MealCostSigned
from events.meals.guards import expect, manager_of_others, next_step
from events.meals.rules import blocking, evaluate
from events.meals.state import MealState, MealStatus
from events.people.values import same_person
from events.policy.figures import PolicyFigures
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, ValidationFailed


def record_cost(
    state: MealState, command: RecordMealCost, ctx: Context, figures: PolicyFigures,
    version: int,
) -> MealCostRecorded:
    ctx.require_role(Role.STAFF, Role.MANAGER, action="recording a meal's cost", rule="M12")
    if state.approved_by is not None and same_person(ctx.actor.user_id, state.approved_by):
        raise Forbidden(
            f"the manager who approved meal {state.meal_id} does not record its cost: "
            f"{state.requested_by}, who held it, records it", rule="M12")
    if not same_person(ctx.actor.user_id, state.requested_by) \
            and ctx.actor.role is not Role.MANAGER:
        raise Forbidden(f"{state.requested_by}, who held the meal, or a manager records its "
                        "cost", rule="M12")
    expect(state, "M12", MealStatus.APPROVED, MealStatus.VERBALLY_APPROVED, MealStatus.HELD,
           MealStatus.PENDING_PAPERWORK, MealStatus.PAPERWORK_COMPLETED)
    if ctx.now < state.meal_at:
        raise InvalidState(
            f"the meal is at {state.meal_at.isoformat()}: record its cost after it", rule="M12")
    problems = headcount_problems(command.guests, command.accompanying)
    problems += amount_problems("totalFen", command.total_fen, "drinksFen", command.drinks_fen)
    if problems:
        raise ValidationFailed(problems)
    # The tier recorded at request binds the meal; the actual bill is checked, never refused.
    findings = evaluate(
        figures, tier=state.customer_tier, meal_type=state.meal_type, host=state.host,
        guests=command.guests, accompanying=command.accompanying,
        total_fen=command.total_fen, drinks_fen=command.drinks_fen,
        manager_attends=state.form.manager_attends if state.form else False,
    )
    return MealCostRecorded(
        state.meal_id, command.total_fen, command.drinks_fen, command.guests,
        command.accompanying, tuple(findings), version, ctx.actor.user_id, ctx.now,
    )


def sign(state: MealState, command: SignMealCost, ctx: Context) -> MealCostSigned:
    manager_of_others(state, ctx, "sign", "M12")
    expect(state, "M12", MealStatus.HELD, MealStatus.PAPERWORK_COMPLETED)
    waiting = state.total_fen is None or (state.unapproved and not state.exception_approved)
    if waiting:
        raise InvalidState(f"meal {state.meal_id} cannot be signed yet; next: "
                           f"{next_step(state)}", rule="M14" if state.unapproved else "M12")
    if state.cost_recorded_by is not None and same_person(ctx.actor.user_id,
                                                          state.cost_recorded_by):
        raise Forbidden("you recorded this meal's cost: another manager signs it", rule="M12")
    if blocking(state.cost_findings) and not command.annotation.strip():
        detail = "; ".join(f"{f.rule}: {f.message}" for f in blocking(state.cost_findings))
        raise ValidationFailed.single(
            "annotation", f"the actual bill breaks the rule book ({detail}): annotate why it is "
            "signed", "M12")
    return MealCostSigned(state.meal_id, command.annotation.strip(), ctx.actor.user_id, ctx.now)
