"""Handlers for the meal aggregate: look up the facts a decision needs, then execute it.

The facts: the rule book in force on the meal date in the company time zone (M15) and the
customer's tier from the customer record (M5). Decisions on an existing meal record the version
the meal was decided under in their metadata, so an auditor sees it on every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from events.customers import model as customers
from events.handling import execute, load
from events.meals import model as meals
from events.meals.commands import (
    ApproveMealVerbally,
    MealCommand,
    RecordMealCost,
    RequestMeal,
    validate_form,
)
from events.policy.figures import PolicyFigures
from events.policy.handlers import in_force_on
from events.policy.values import CustomerTier
from events.shared.context import Context
from events.shared.errors import NotFound
from events.store.event_store import AppendResult, EventStore


@dataclass(frozen=True)
class Facts:
    figures: PolicyFigures | None = None
    policy_version: int | None = None
    customer_tier: CustomerTier | None = None


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


async def facts_for(store: EventStore, ctx: Context, command: MealCommand) -> Facts:
    if isinstance(command, RequestMeal):
        # Input errors first, all at once, before any lookup can fail on a malformed field.
        validate_form(command.form)
        return await _new_meal_facts(store, ctx, command.form.customer_id, command.form.meal_at)
    if isinstance(command, ApproveMealVerbally):
        if not command.customer_id.strip():
            # decide() reports the blank id with every other problem of the input.
            return await _policy_facts(store, ctx, command.meal_at, CustomerTier.GENERAL)
        return await _new_meal_facts(store, ctx, command.customer_id, command.meal_at)
    state, _ = await load(store, meals.stream_id(command.meal_id), meals.evolve)
    if state is None:
        return Facts()  # decide() says NotFound
    if isinstance(command, RecordMealCost):
        # The actual bill is judged by the version in force on the (possibly corrected) date.
        return await _policy_facts(store, ctx, state.meal_at, state.customer_tier)
    return Facts(policy_version=state.policy_version)


async def _new_meal_facts(
    store: EventStore, ctx: Context, customer_id: str, meal_at: datetime
) -> Facts:
    tier = await customer_tier(store, customer_id)
    return await _policy_facts(store, ctx, meal_at, tier)


async def _policy_facts(
    store: EventStore, ctx: Context, meal_at: datetime, tier: CustomerTier
) -> Facts:
    version = await in_force_on(store, meal_day(ctx, meal_at))
    return Facts(version.figures, version.version, tier)


async def handle_meal(
    store: EventStore, ctx: Context, command: MealCommand, *, idempotency_key: str | None = None
) -> AppendResult:
    """Run any meal command except SettleMeal (settled with its bill, see bill_handlers)."""
    facts = await facts_for(store, ctx, command)
    return await execute(
        store, ctx, stream_id=meals.stream_id(command.meal_id), stream_type=meals.STREAM_TYPE,
        evolve=meals.evolve,
        decide=lambda state: meals.decide(
            state, command, ctx, figures=facts.figures, policy_version=facts.policy_version,
            customer_tier=facts.customer_tier,
        ),
        command=command, idempotency_key=idempotency_key, policy_version=facts.policy_version,
    )
