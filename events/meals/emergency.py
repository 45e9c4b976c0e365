"""Emergency meals (M11) and their end when the paperwork never comes (M14).

The manager records a verbal approval; the meal happens first; the requester completes the
written request within the deadline; past it, a manager may deny reimbursement.
"""

from __future__ import annotations

from datetime import date

from events.meals.commands import (
    ApproveMealVerbally,
    CompleteMealPaperwork,
    DenyReimbursement,
    amount_problems,
    headcount_problems,
    text_problem,
    validate_form,
)
from events.meals.events import (
    MealApprovedVerbally,
    MealPaperworkCompleted,
    MealReimbursementDenied,
)
from events.meals.guards import expect, manager_of_others, need_text
from events.meals.rules import PolicyBlocked, blocking, evaluate
from events.meals.state import MealState, MealStatus
from events.policy.figures import PolicyFigures, add_working_days
from events.policy.values import COST_CENTER, CustomerTier
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, Problem, ValidationFailed


def approve_verbally(
    command: ApproveMealVerbally, ctx: Context, figures: PolicyFigures, version: int,
    tier: CustomerTier,
) -> MealApprovedVerbally:
    ctx.require_role(Role.MANAGER, action="approving a meal verbally", rule="M11")
    ctx.forbid_self(command.requested_by, action="approve", rule="M11")
    problems = [p for p in (
        text_problem("requestedBy", command.requested_by, required=True, rule="M11"),
        text_problem("customerId", command.customer_id, required=True, rule="M3"),
        text_problem("restaurant", command.restaurant, required=True, rule="M3"),
        text_problem("urgencyReason", command.urgency_reason, required=True, rule="M11"),
    ) if p]
    problems += headcount_problems(command.guests, command.accompanying)
    problems += amount_problems("estimatedTotalFen", command.estimated_total_fen, "", None)
    if command.meal_at.tzinfo is None:
        problems.append(Problem("mealAt", "M3", "the meal time needs a time zone"))
    if problems:
        raise ValidationFailed(problems)
    meal_day = command.meal_at.astimezone(ctx.tz).date()
    if meal_day < ctx.today:
        # Recorded no later than the meal day; an older meal without approval is M14's case.
        raise ValidationFailed.single("mealAt", "record a verbal approval by the meal day", "M11")
    findings = evaluate(
        figures, tier=tier, meal_type=command.meal_type, host=command.host,
        guests=command.guests, accompanying=command.accompanying,
        total_fen=command.estimated_total_fen,
    )
    if blocking(findings) and not command.approve_exception:
        raise PolicyBlocked(findings)
    return MealApprovedVerbally(
        meal_id=command.meal_id, requested_by=command.requested_by,
        customer_id=command.customer_id, organisation=command.organisation,
        meal_at=command.meal_at, restaurant=command.restaurant, guests=command.guests,
        accompanying=command.accompanying, meal_type=command.meal_type, host=command.host,
        urgency_reason=command.urgency_reason.strip(),
        estimated_total_fen=command.estimated_total_fen, customer_tier=tier,
        findings=tuple(findings), exception_approved=bool(blocking(findings)),
        policy_version=version,
        paperwork_due=add_working_days(meal_day, figures.paperwork_deadline_working_days),
        cost_center=COST_CENTER, approved_by=ctx.actor.user_id, approved_at=ctx.now,
    )


def complete_paperwork(
    state: MealState, command: CompleteMealPaperwork, ctx: Context
) -> MealPaperworkCompleted:
    # The paperwork is the written meal request (M3), which only staff or a manager may file;
    # the verbal approval names its requester freely, so the role is checked here too.
    ctx.require_role(Role.STAFF, Role.MANAGER, action="completing a meal's paperwork", rule="M11")
    if ctx.actor.user_id != state.requested_by:
        raise Forbidden("only the staff member who asked completes the paperwork", rule="M11")
    expect(state, "M11", MealStatus.PENDING_PAPERWORK)
    if state.paperwork_due is not None and ctx.today > state.paperwork_due:
        raise InvalidState(
            f"the paperwork was due by {state.paperwork_due.isoformat()}; the meal can only be "
            "denied reimbursement now (M14)", rule="M11",
        )
    validate_form(command.form)
    if command.form.customer_id != state.customer_id:
        raise ValidationFailed.single("customerId", "the paperwork names another customer", "M11")
    return MealPaperworkCompleted(state.meal_id, command.form, ctx.actor.user_id, ctx.now)


def deny(state: MealState, command: DenyReimbursement, ctx: Context) -> MealReimbursementDenied:
    manager_of_others(state, ctx, "deny", "M14")
    expect(state, "M14", MealStatus.VERBALLY_APPROVED, MealStatus.PENDING_PAPERWORK)
    due = state.paperwork_due or date.min
    if ctx.today <= due:
        raise InvalidState(f"the paperwork is due by {due.isoformat()}; wait for it", rule="M14")
    need_text("reason", command.reason, "M14")
    return MealReimbursementDenied(state.meal_id, command.reason.strip(), ctx.actor.user_id,
                                   ctx.now)
