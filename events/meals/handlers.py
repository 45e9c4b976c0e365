"""Handlers for the meal aggregate: look up the facts a decision needs, then execute it.

The facts: the rule book in force on the meal date in the company time zone (M15) and the
customer's tier from the customer record (M5). Decisions on an existing meal record the version
the meal was decided under in their metadata, so an auditor sees it on every event.
"""

from __future__ import annotations

from datetime import date, datetime

from events.customers import model as customers
from events.handling import Decision, Outcome, Stream, load, run
from events.meals import model as meals
from events.meals.commands import (
    ApproveMealVerbally,
    MealCommand,
    RecordMealCost,
    RequestMeal,
    SettleMeal,
    validate_form,
)
from events.meals.model import MealState, RuleBook
from events.policy.handlers import in_force_on
from events.policy.values import CustomerTier
from events.shared.context import Context
from events.shared.errors import NotFound
from events.store.event_store import EventStore


def meal_stream(meal_id: str) -> Stream[MealState]:
    return Stream(meals.stream_id(meal_id), meals.STREAM_TYPE, meals.evolve)


async def customer_tier(store: EventStore, customer_id: str) -> CustomerTier:
    state, _ = await load(store, customers.stream_id(customer_id), customers.evolve)
    if state is None:
        raise NotFound(f"no customer {customer_id}", rule="M3", field="customerId")
    return state.tier


def meal_day(ctx: Context, meal_at: datetime) -> date:
    # A naive time is refused by the domain (M3); until then, read it as company time.
    if meal_at.tzinfo is None:
        return meal_at.date()
    return meal_at.astimezone(ctx.tz).date()


async def rule_book_on(store: EventStore, ctx: Context, meal_at: datetime) -> RuleBook:
    version = await in_force_on(store, meal_day(ctx, meal_at))
    return RuleBook(version.figures, version.version)


async def decide_meal(store: EventStore, ctx: Context, command: MealCommand,
                      state: MealState | None) -> Decision:
    """Look up the facts this command needs (and only those), then call its pure decide."""
    if isinstance(command, RequestMeal | ApproveMealVerbally):
        if isinstance(command, RequestMeal):
            # Input errors first, all at once, before any lookup can fail on a malformed field.
            validate_form(command.form)
            customer_id, meal_at = command.form.customer_id, command.form.meal_at
        else:
            customer_id, meal_at = command.customer_id, command.meal_at
        # A blank customer id is reported by decide with every other problem of the input.
        tier = (await customer_tier(store, customer_id) if customer_id.strip()
                else CustomerTier.GENERAL)
        rules = await rule_book_on(store, ctx, meal_at)
        return Decision(meals.decide_new(state, command, ctx, rules, tier),
                        policy_version=rules.version)
    if state is None:
        raise NotFound(f"no meal {command.meal_id}")
    if isinstance(command, RecordMealCost):
        # The actual bill is judged by the version in force on the (possibly corrected) date.
        rules = await rule_book_on(store, ctx, state.meal_at)
        return Decision(meals.decide_cost(state, command, ctx, rules),
                        policy_version=rules.version)
    if isinstance(command, SettleMeal):
        raise TypeError("a meal is settled with its restaurant bill (bills.handlers)")
    return Decision(meals.decide_step(state, command, ctx), policy_version=state.policy_version)


async def handle_meal(
    store: EventStore, ctx: Context, command: MealCommand, *, idempotency_key: str | None = None
) -> Outcome[MealState]:
    """Run any meal command except SettleMeal (settled with its bill, see bills.handlers)."""

    async def decide(state: MealState | None) -> Decision:
        return await decide_meal(store, ctx, command, state)

    return await run(store, ctx, meal_stream(command.meal_id), command, decide,
                     idempotency_key=idempotency_key)
