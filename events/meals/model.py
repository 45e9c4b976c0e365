"""The meal request aggregate (M2-M14): decide() is pure; evolve() lives in meal_state.

requested -> approved | rejected; approved -> held -> signed -> settled.
Emergency (M11): verbally_approved -> pending_paperwork (cost recorded) -> paperwork_completed
-> signed -> settled, or -> reimbursement_denied once the paperwork deadline has passed (M14).
The handler passes the rule book in force on the meal date and the customer's tier.
"""

from __future__ import annotations

from dataclasses import dataclass

from events.meals.commands import (
    ApproveMeal,
    ApproveMealVerbally,
    CompleteMealPaperwork,
    DenyReimbursement,
    IssueMealVouchers,
    RecordMealCost,
    RejectMeal,
    RequestMeal,
    SettleMeal,
    SignMealCost,
    amount_problems,
    headcount_problems,
    validate_form,
)
from events.meals.emergency import approve_verbally, complete_paperwork, deny
from events.meals.events import (
    MealApproved,
    MealCostRecorded,
    MealCostSigned,
    MealRejected,
    MealRequested,
    MealSettled,
    MealVouchersIssued,
)
from events.meals.guards import expect, manager_of_others, need_text
from events.meals.rules import PolicyBlocked, blocking, evaluate
from events.meals.state import MealState, MealStatus, evolve
from events.policy.figures import PolicyFigures
from events.policy.values import COST_CENTER, CustomerTier, MealType
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from events.store.envelope import Event

STREAM_TYPE = "meal"
__all__ = ["STREAM_TYPE", "MealState", "MealStatus", "MealStep", "NewMeal", "RuleBook",
           "decide_cost", "decide_new", "decide_step", "evolve", "stream_id"]


def stream_id(meal_id: str) -> str:
    return f"meal-{meal_id}"


@dataclass(frozen=True)
class RuleBook:
    """The rule-book version a decision is judged by (M15): looked up by the handler for the
    meal's date, passed to the decide functions that need it."""

    figures: PolicyFigures
    version: int


NewMeal = RequestMeal | ApproveMealVerbally
# Commands decided on the meal's state alone (no rule-book figures needed).
MealStep = (ApproveMeal | RejectMeal | CompleteMealPaperwork | IssueMealVouchers | SignMealCost
            | SettleMeal | DenyReimbursement)


def decide_new(state: MealState | None, command: NewMeal, ctx: Context, rules: RuleBook,
               tier: CustomerTier) -> list[Event]:
    """M2/M3 a request, or M11 a verbal emergency approval: a meal that does not exist yet."""
    if state is not None:
        raise InvalidState(f"meal {command.meal_id} already exists", rule="M3")
    if isinstance(command, RequestMeal):
        return [_request(command, ctx, rules.figures, rules.version, tier)]
    return [approve_verbally(command, ctx, rules.figures, rules.version, tier)]


def decide_cost(state: MealState | None, command: RecordMealCost, ctx: Context,
                rules: RuleBook) -> list[Event]:
    """M12: the actual cost, judged by the version in force on the meal's date."""
    if state is None:
        raise NotFound(f"no meal {command.meal_id}")
    return [_record_cost(state, command, ctx, rules.figures, rules.version)]


def decide_step(state: MealState | None, command: MealStep, ctx: Context) -> list[Event]:
    if state is None:
        raise NotFound(f"no meal {command.meal_id}")
    return [_decide_existing(state, command, ctx)]


def _decide_existing(state: MealState, command: MealStep, ctx: Context) -> Event:
    if isinstance(command, ApproveMeal):
        return _approve(state, command, ctx)
    if isinstance(command, RejectMeal):
        manager_of_others(state, ctx, "reject", "M2")
        expect(state, "M2", MealStatus.REQUESTED)
        need_text("reason", command.reason, "M2")
        return MealRejected(state.meal_id, ctx.actor.user_id, ctx.now, command.reason.strip())
    if isinstance(command, CompleteMealPaperwork):
        return complete_paperwork(state, command, ctx)
    if isinstance(command, IssueMealVouchers):
        return _issue_vouchers(state, command, ctx)
    if isinstance(command, SignMealCost):
        return _sign(state, command, ctx)
    if isinstance(command, SettleMeal):
        manager_of_others(state, ctx, "settle", "M13")
        expect(state, "M13", MealStatus.SIGNED)
        return MealSettled(state.meal_id, command.bill_id, command.month,
                           ctx.actor.user_id, ctx.now)
    if isinstance(command, DenyReimbursement):
        return deny(state, command, ctx)
    raise TypeError(f"not a meal command: {type(command).__name__}")


def _request(
    command: RequestMeal, ctx: Context, figures: PolicyFigures, version: int,
    tier: CustomerTier,
) -> MealRequested:
    ctx.require_role(Role.STAFF, Role.MANAGER, action="requesting a meal", rule="M3")
    form = command.form
    validate_form(form)
    if form.meal_at <= ctx.now:
        # M2: approval comes before the meal; a meal already under way is an emergency (M11).
        raise ValidationFailed.single("mealAt", "a meal is requested before it happens", "M2")
    findings = evaluate(
        figures, tier=tier, meal_type=form.meal_type, host=form.host, guests=form.guests,
        accompanying=form.accompanying, total_fen=form.estimated_total_fen,
        drinks_fen=form.estimated_drinks_fen, designated_restaurant=form.designated_restaurant,
    )
    has_blocks = bool(blocking(findings))
    if has_blocks and not (form.exception_reason or "").strip():
        raise PolicyBlocked(findings)
    return MealRequested(
        meal_id=command.meal_id, form=form, requested_by=ctx.actor.user_id,
        requested_at=ctx.now, customer_tier=tier, findings=tuple(findings),
        policy_exception=has_blocks, policy_version=version, cost_center=COST_CENTER,
    )


def _approve(state: MealState, command: ApproveMeal, ctx: Context) -> MealApproved:
    manager_of_others(state, ctx, "approve", "M2")
    expect(state, "M2", MealStatus.REQUESTED)
    if state.meal_at <= ctx.now:
        raise InvalidState("the meal time has passed; approval comes before the meal", rule="M2")
    if state.policy_exception and not command.approve_exception:
        raise InvalidState(
            "this request is a policy exception: approve it explicitly (approveException)",
            rule="M6",
        )
    return MealApproved(state.meal_id, ctx.actor.user_id, ctx.now, command.note,
                        exception_approved=state.policy_exception)






def _issue_vouchers(
    state: MealState, command: IssueMealVouchers, ctx: Context
) -> MealVouchersIssued:
    ctx.require_role(Role.ADMIN_OFFICE, action="issuing meal vouchers", rule="M10")
    expect(state, "M10", MealStatus.APPROVED)
    if state.meal_type is not MealType.CANTEEN or state.customer_tier is not CustomerTier.GENERAL:
        raise InvalidState("vouchers are for general customers' canteen meals", rule="M10")
    if state.vouchers_issued:
        raise InvalidState("vouchers for this meal were already issued", rule="M10")
    persons = state.guests + state.accompanying
    if not 1 <= command.count <= persons:
        raise ValidationFailed.single("count", f"issue 1 to {persons} vouchers", "M10")
    return MealVouchersIssued(state.meal_id, command.count, state.requested_by,
                              ctx.actor.user_id, ctx.now)


def _record_cost(
    state: MealState, command: RecordMealCost, ctx: Context, figures: PolicyFigures,
    version: int,
) -> MealCostRecorded:
    # A verbal approval names its requester freely (M11), so being the requester is not enough:
    # recording a bill is staff's or the manager's (roles table), never another role's.
    ctx.require_role(Role.STAFF, Role.MANAGER, action="recording a meal's cost", rule="M12")
    if ctx.actor.user_id != state.requested_by and ctx.actor.role is not Role.MANAGER:
        raise Forbidden("the requester or a manager records a meal's cost", rule="M12")
    expect(state, "M12", MealStatus.APPROVED, MealStatus.VERBALLY_APPROVED, MealStatus.HELD,
            MealStatus.PENDING_PAPERWORK, MealStatus.PAPERWORK_COMPLETED)
    if ctx.now < state.meal_at:
        raise InvalidState("the cost is recorded after the meal", rule="M12")
    problems = headcount_problems(command.guests, command.accompanying)
    problems += amount_problems("totalFen", command.total_fen, "drinksFen", command.drinks_fen)
    if problems:
        raise ValidationFailed(problems)
    # The tier recorded at request binds the meal; the actual bill is checked, never refused.
    findings = evaluate(
        figures, tier=state.customer_tier, meal_type=state.meal_type, host=state.host,
        guests=command.guests, accompanying=command.accompanying,
        total_fen=command.total_fen, drinks_fen=command.drinks_fen,
    )
    return MealCostRecorded(
        state.meal_id, command.total_fen, command.drinks_fen, command.guests,
        command.accompanying, tuple(findings), version, ctx.actor.user_id, ctx.now,
    )


def _sign(state: MealState, command: SignMealCost, ctx: Context) -> MealCostSigned:
    manager_of_others(state, ctx, "sign", "M12")
    expect(state, "M12", MealStatus.HELD, MealStatus.PAPERWORK_COMPLETED)
    if blocking(state.cost_findings) and not command.annotation.strip():
        raise ValidationFailed.single(
            "annotation", "the actual bill breaks the rule book: annotate why it is signed", "M12"
        )
    return MealCostSigned(state.meal_id, command.annotation.strip(), ctx.actor.user_id, ctx.now)
