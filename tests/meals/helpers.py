"""Shared pieces of the meal tests: customers written through the domain, GraphQL documents,
and a small client that unwraps mutation results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.customers import model as customers
from events.customers.commands import RegisterCustomer
from events.customers.handlers import customer_stream
from events.customers.values import Tier
from events.handling import execute
from events.policy.figures import SEED_FIGURES
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.shared.money import format_fen
from events.store.event_store import EventStore
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id

RESULT = """
  __typename
  ... on MutationOk { position replayed }
  ... on MealMutationOk { mealId status policyVersion
      findings { rule severity message actual limit }
      costFindings { rule severity actual limit } }
  ... on MutationError { message code rule }
  ... on ValidationError { problems { field rule message } }
  ... on PolicyBlockedError { findings { rule severity message actual limit } }
"""

BILL_RESULT = """
  __typename
  ... on MutationOk { position replayed }
  ... on BillMutationOk { billId restaurant month settled settledTotal
      matched { lineNo mealId amount } discrepancies { lineNo mealId reason message } }
  ... on MutationError { message code rule }
  ... on ValidationError { problems { field rule message } }
"""

POLICY_RESULT = """
  __typename
  ... on MutationOk { position replayed }
  ... on PolicyMutationOk { version }
  ... on MutationError { message code rule }
  ... on ValidationError { problems { field rule message } }
"""

MEAL = """
  id status requestedBy approvedBy signedBy customerTier mealType host restaurant guests
  accompanying estimatedTotal total drinks policyVersion costPolicyVersion policyException
  exceptionApproved verbal paperworkDue billId settledMonth denialReason annotation
  findings { rule severity actual limit } costFindings { rule severity actual limit }
  history { type actorId policyVersion }
"""


async def register_customer(store: EventStore, tier: Tier = Tier.IMPORTANT) -> str:
    """A customer written through the customers aggregate (the customers API is not ours)."""
    customer_id = random_id("cust-")
    actor = Actor(random_id("clerk-"), "Clerk", Role.STAFF)
    ctx = Context(actor=actor, now=datetime.now(UTC))
    command = RegisterCustomer(customer_id, f"Org {customer_id}", tier=tier)
    await execute(store, ctx, customer_stream(customer_id), command,
                  lambda state: customers.decide(state, command, ctx))
    return customer_id


INPUT_TYPES = {"requestMeal": "MealFormInput", "rejectMeal": "MealReasonInput",
               "denyReimbursement": "MealReasonInput"}


class User:
    """One caller of the live API with a role."""

    def __init__(self, server: LiveServer, role: Role, user_id: str | None = None):
        self.server = server
        self.role = role
        self.id = user_id or random_id(f"{role.value}-")
        self.token = token(self.id, role)

    @property
    def actor(self) -> Actor:
        """The same person, for driving handlers directly (with an injected clock)."""
        return Actor(self.id, self.id, self.role)

    async def query(self, document: str, **variables: Any) -> dict[str, Any]:
        body = await gql(self.server, document, variables, auth=self.token)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, name: str, input: dict[str, Any], key: str | None = None,
                     input_type: str | None = None, fields: str = RESULT) -> dict[str, Any]:
        type_name = input_type or INPUT_TYPES.get(name, name[0].upper() + name[1:] + "Input")
        document = (f"mutation($input: {type_name}!, $key: String) "
                    f"{{ {name}(input: $input, idempotencyKey: $key) {{ {fields} }} }}")
        data = await self.query(document, input=input, key=key)
        result: dict[str, Any] = data[name]
        return result

    async def meal(self, meal_id: str, at_least: int = 0) -> dict[str, Any] | None:
        data = await self.query(
            f"query($id: ID!, $at: Int) {{ mealRequest(id: $id, atLeast: $at) {{ {MEAL} }} }}",
            id=meal_id, at=at_least)
        meal: dict[str, Any] | None = data["mealRequest"]
        return meal


def form(customer_id: str, meal_at: datetime, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "customerId": customer_id, "organisation": "Huaxin Ltd", "mealAt": meal_at.isoformat(),
        "mealType": "BANQUET", "host": "STAFF", "guests": 4, "accompanying": 2,
        "restaurant": "Jade Garden", "estimatedTotal": "540.00", "purpose": "contract talks",
    }
    return {**base, **changes}


def soon(seconds: float = 3600) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def figures_input(staff_banquet_cap: str) -> dict[str, Any]:
    """Version 1's figures, with the important customers' staff-hosted banquet cap changed."""
    caps = []
    for c in SEED_FIGURES.caps:
        cap = format_fen(c.cap_fen)
        if c.tier == "important" and c.meal_type == "banquet" and c.host == "staff":
            cap = staff_banquet_cap
        caps.append({"tier": c.tier.name, "mealType": c.meal_type.name,
                     "host": c.host.name if c.host else None, "cap": cap})
    return {
        "caps": caps, "drinksShareNumerator": 1, "drinksShareDenominator": 3,
        "accompanyingAtMostGuests": True,
        "accompanyingBrackets": [{"guestsAtMost": 5, "accompanyingAtMost": 3},
                                 {"guestsAtMost": 10, "accompanyingAtMost": 5}],
        "paperworkDeadlineWorkingDays": 3, "followUpDelayDays": 7,
    }
