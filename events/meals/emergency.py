"""Emergency meals (M11) and their end when the paperwork never comes (M14).

The manager records a verbal approval naming the staff member who asked; the meal happens
first; from that moment the paperwork is due (PENDING_PAPERWORK), within a number of working
days on the calendar of the rule-book version in force. It does not wait for the cost. Past the
deadline without paperwork, a manager denies reimbursement.
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
from events.people.model import PersonState, named_staff_problem
from events.people.values import same_person
from events.policy.calendar import CalendarGap
from events.policy.figures import PolicyFigures, calendar_of
from events.policy.values import COST_CENTER, CustomerTier
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, Problem, ValidationFailed

VERBAL_NEXT_STEP = "approve it as a policy exception (approveException: true) or do not approve"


def paperwork_deadline(figures: PolicyFigures, meal_day: date, version: int) -> date:
    """The last day for the paperwork (M11): N working days after the meal on the calendar of
    the version in force. A year that calendar does not cover is refused, never guessed."""
    try:
        return calendar_of(figures).add_working_days(
            meal_day, figures.paperwork_deadline_working_days)
    except CalendarGap as gap:
        raise InvalidState(
            f"rule-book version {version} has no working-day calendar for {gap.year} "
            f"({gap}), so the paperwork deadline cannot be set: the department drafts a "
            f"version with the {gap.year} calendar and the general manager approves it (M15)",
            rule="M11",
        ) from None


def approve_verbally(
    command: ApproveMealVerbally, ctx: Context, figures: PolicyFigures, version: int,
    tier: CustomerTier, named: PersonState | None,
) -> MealApprovedVerbally:
    ctx.require_role(Role.MANAGER, action="approving a meal verbally", rule="M11")
    problems = [p for p in (
        text_problem("requestedBy", command.requested_by, required=True, rule="M11"),
        text_problem("customerId", command.customer_id, required=True, rule="M3"),
        text_problem("restaurant", command.restaurant, required=True, rule="M3"),
        text_problem("urgencyReason", command.urgency_reason, required=True, rule="M11"),
    ) if p]
    if not problems:
        who = named_staff_problem(command.requested_by, named, ctx.actor.user_id)
        if who is not None:
            if same_person(command.requested_by, ctx.actor.user_id):
                raise Forbidden(f"nobody approves their own meal: {who}", rule="M11")
            problems.append(Problem("requestedBy", "M11", who))
    problems += headcount_problems(command.guests, command.accompanying)
    problems += amount_problems("estimatedTotalFen", command.estimated_total_fen, "", None)
    if command.meal_at.tzinfo is None:
        problems.append(Problem("mealAt", "M3", "the meal time needs a time zone"))
    if problems:
        raise ValidationFailed(problems)
    assert named is not None
    meal_day = command.meal_at.astimezone(ctx.tz).date()
    if meal_day < ctx.today:
        raise ValidationFailed.single(
            "mealAt", "a verbal approval is recorded by the meal day; for an older meal the "
            "staff member reports it (reportUnapprovedMeal, M14)", "M11")
    findings = evaluate(
        figures, tier=tier, meal_type=command.meal_type, host=command.host,
        guests=command.guests, accompanying=command.accompanying,
        total_fen=command.estimated_total_fen,
    )
    if blocking(findings) and not command.approve_exception:
        raise PolicyBlocked(findings, next_step=VERBAL_NEXT_STEP)
    return MealApprovedVerbally(
        meal_id=command.meal_id, requested_by=named.user_id,
        customer_id=command.customer_id, organisation=command.organisation,
        meal_at=command.meal_at, restaurant=command.restaurant, guests=command.guests,
        accompanying=command.accompanying, meal_type=command.meal_type, host=command.host,
        urgency_reason=command.urgency_reason.strip(),
        estimated_total_fen=command.estimated_total_fen, customer_tier=tier,
        findings=tuple(findings), exception_approved=bool(blocking(findings)),
        policy_version=version,
        paperwork_due=paperwork_deadline(figures, meal_day, version),
        cost_center=COST_CENTER, approved_by=ctx.actor.user_id, approved_at=ctx.now,
    )


def complete_paperwork(
    state: MealState, command: CompleteMealPaperwork, ctx: Context
) -> MealPaperworkCompleted:
    # The paperwork is the written meal request (M3), which only staff or a manager may file.
    ctx.require_role(Role.STAFF, Role.MANAGER, action="completing a meal's paperwork", rule="M11")
    if not same_person(ctx.actor.user_id, state.requested_by):
        raise Forbidden(
            f"only {state.requested_by}, who held the meal, completes its paperwork", rule="M11")
    if state.status is not MealStatus.PENDING_PAPERWORK:
        expect(state, "M11", MealStatus.PENDING_PAPERWORK)
    if state.paperwork_due is not None and ctx.today > state.paperwork_due:
        raise InvalidState(
            f"the paperwork was due by {state.paperwork_due.isoformat()}; a manager can now "
            "only deny reimbursement (denyReimbursement, M14)", rule="M11",
        )
    validate_form(command.form)
    if command.form.customer_id != state.customer_id:
        raise ValidationFailed.single(
            "customerId", f"the paperwork names another customer than {state.customer_id}, "
            "the one the meal was held for", "M11")
    return MealPaperworkCompleted(state.meal_id, command.form, ctx.actor.user_id, ctx.now)


def deny(state: MealState, command: DenyReimbursement, ctx: Context) -> MealReimbursementDenied:
    manager_of_others(state, ctx, "deny", "M14")
    deciding = state.unapproved and state.status is MealStatus.PAPERWORK_COMPLETED \
        and not state.exception_approved
    if not deciding:
        if not (state.verbal or state.unapproved):
            raise InvalidState(
                f"meal {state.meal_id} was approved beforehand (M2); reimbursement is denied "
                "only to meals whose paperwork never came (M14)", rule="M14")
        expect(state, "M14", MealStatus.PENDING_PAPERWORK)
        due = state.paperwork_due or date.min
        if ctx.today <= due:
            raise InvalidState(
                f"the paperwork is due by {due.isoformat()}: wait until that day has passed "
                "before denying reimbursement", rule="M14")
    need_text("reason", command.reason, "M14")
    return MealReimbursementDenied(state.meal_id, command.reason.strip(), ctx.actor.user_id,
                                   ctx.now)
