"""Application functions of the customer aggregate: load the facts a decision needs, decide,
append (RULES V6, T1 attributes).

Plain functions taking their dependencies (store, context) as parameters, so the GraphQL layer,
the V6 process in visit_handlers.py and the tests all call the same code.
"""

from __future__ import annotations

from events.customers import model as customers
from events.customers.commands import CustomerCommand
from events.customers.model import CustomerState
from events.handling import Outcome, Stream, execute, load
from events.shared.context import Context
from events.store.event_store import EventStore


def customer_stream(customer_id: str) -> Stream[CustomerState]:
    return Stream(customers.stream_id(customer_id), customers.STREAM_TYPE, customers.evolve)


async def handle_customer(
    store: EventStore,
    ctx: Context,
    command: CustomerCommand,
    *,
    idempotency_key: str | None = None,
) -> Outcome[CustomerState]:
    """Any customer command: register, update, change tier/status, credit change, promote."""
    return await execute(store, ctx, customer_stream(command.customer_id), command,
                         lambda state: customers.decide(state, command, ctx),
                         idempotency_key=idempotency_key)


async def load_customer(store: EventStore, customer_id: str) -> CustomerState | None:
    state, _ = await load(store, customers.stream_id(customer_id), customers.evolve)
    return state


async def customer_exists(store: EventStore, customer_id: str | None) -> bool:
    """A fact for the visit aggregate (V2): visits are planned and logged for known customers.
    The write side asks the customer's own stream, never a projection that may lag."""
    if not customer_id:
        return False
    return await load_customer(store, customer_id) is not None
