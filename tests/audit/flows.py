"""Drive aggregates through the pure domain and events.handling.execute, as the API would, so
audit tests do not depend on other API modules. Decisions use the Context's clock, so a meal's
whole life (request, approve, hold, sign, settle) can be played in seconds of real time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from events.customers import model as customers
from events.customers.commands import ChangeCustomerTier, RegisterCustomer
from events.customers.handlers import customer_stream
from events.customers.values import Tier
from events.handling import execute
from events.meals import model as meals
from events.meals.commands import (
    ApproveMeal,
    ApproveMealVerbally,
    MealCommand,
    MealRequestForm,
    RecordMealCost,
    RequestMeal,
    SettleMeal,
    SignMealCost,
)
from events.meals.handlers import meal_stream
from events.meals.model import MealState, RuleBook
from events.policy.figures import SEED_FIGURES
from events.policy.values import CustomerTier, Host, MealType
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.store.envelope import Event
from events.store.event_store import AppendResult, EventStore
from events.visits import model as visits
from events.visits.commands import PlanVisit
from events.visits.handlers import visit_stream
from events.visits.values import VisitPurpose
from tests.random_refs import random_id

POLICY_VERSION = 1


def staff() -> Actor:
    return Actor(random_id("staff-"), "Li", Role.STAFF)


def manager() -> Actor:
    return Actor(random_id("mgr-"), "Wang", Role.MANAGER)


async def meal_command(store: EventStore, actor: Actor, command: MealCommand,
                       now: datetime) -> AppendResult:
    ctx = Context(actor=actor, now=now, correlation_id=random_id("corr-"))
    outcome = await execute(store, ctx, meal_stream(command.meal_id), command,
                            lambda state: _decide_meal(state, command, ctx),
                            policy_version=POLICY_VERSION)
    return outcome.result


def _decide_meal(state: MealState | None, command: MealCommand, ctx: Context) -> list[Event]:
    """Decide on the seed rule book, for an important customer, without the store's lookups."""
    rules = RuleBook(SEED_FIGURES, POLICY_VERSION)
    if isinstance(command, RequestMeal | ApproveMealVerbally):
        return meals.decide_new(state, command, ctx, rules, CustomerTier.IMPORTANT)
    if isinstance(command, RecordMealCost):
        return meals.decide_cost(state, command, ctx, rules)
    return meals.decide_step(state, command, ctx)


def meal_form(meal_at: datetime) -> MealRequestForm:
    return MealRequestForm(
        customer_id=random_id("c-"), organisation="Huaxin Ltd", meal_at=meal_at,
        meal_type=MealType.BANQUET, host=Host.STAFF, guests=4, accompanying=2,
        restaurant="Jade Garden", estimated_total_fen=6 * 9_000, purpose="contract talks",
    )


async def request_and_approve(store: EventStore, meal_id: str, requester: Actor,
                              approver: Actor) -> tuple[AppendResult, AppendResult]:
    now = datetime.now(UTC)
    requested = await meal_command(store, requester,
                                   RequestMeal(meal_id, meal_form(now + timedelta(hours=2))), now)
    approved = await meal_command(store, approver, ApproveMeal(meal_id, note="ok"), now)
    return requested, approved


async def settled_meal(store: EventStore) -> AppendResult:
    """A meal from request to MealSettled (M2, M12, M13); returns the settlement's append."""
    meal_id = random_id("meal-")
    requester, boss = staff(), manager()
    await request_and_approve(store, meal_id, requester, boss)
    after_meal = datetime.now(UTC) + timedelta(hours=3)
    await meal_command(store, requester, RecordMealCost(meal_id, 52_000, 0, 4, 2), after_meal)
    await meal_command(store, boss, SignMealCost(meal_id), after_meal)
    bill = random_id("bill-")
    return await meal_command(store, boss, SettleMeal(meal_id, bill, "2024-06"), after_meal)


async def customer_command(store: EventStore, actor: Actor,
                           command: RegisterCustomer | ChangeCustomerTier) -> AppendResult:
    ctx = Context(actor=actor, now=datetime.now(UTC), correlation_id=random_id("corr-"))
    return (await execute(
        store, ctx, customer_stream(command.customer_id), command,
        lambda state: customers.decide(state, command, ctx),
    )).result


async def register_then_promote(store: EventStore, customer_id: str, actor: Actor) -> None:
    await customer_command(store, actor, RegisterCustomer(customer_id, "Hangzhou Tea Co.",
                                                          tier=Tier.GENERAL))
    await customer_command(store, actor, ChangeCustomerTier(customer_id, Tier.IMPORTANT,
                                                            reason="annual volume"))


async def plan_visit(store: EventStore, visit_id: str, actor: Actor) -> AppendResult:
    ctx = Context(actor=actor, now=datetime.now(UTC), correlation_id=random_id("corr-"))
    command = PlanVisit(visit_id, random_id("c-"), date.today() + timedelta(days=3),
                        (VisitPurpose.LEARN_NEEDS,), ("hear their plans for next year",))
    return (await execute(
        store, ctx, visit_stream(visit_id), command,
        lambda state: visits.decide(state, command, ctx, customer_exists=True),
    )).result
