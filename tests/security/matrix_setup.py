"""Preconditions and inputs of the authorisation matrix: for each mutation, the records it acts
on, written through the command handlers (milliseconds, no HTTP), and the GraphQL input that
would succeed for a caller with the right role.

Where a rule allows staff only their own records, the record is the caller's own when the caller
is staff, and a colleague's otherwise (a manager acts on others' records, and separation of
duties would refuse a manager's own meal). So a refusal in the matrix is the role's, never a
missing precondition's.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from events import customers, visits
from events.actors import Actor, Role
from events.context import Context
from events.customer_events import RegisterCustomer
from events.customer_handlers import handle_customer
from events.customer_values import CustomerStatus, Tier
from events.sales import CATALOGUE_STREAM, import_stream, sale_stream, table_stream
from events.sales_events import DefineProduct
from events.sales_handlers import define_product
from events.store import EventStore
from events.visit_events import FulfillCommitment, RecordCommitment
from events.visit_handlers import handle_visit, log_visit
from tests.customers.builders import log, plan
from tests.live import LiveServer, gql, token
from tests.meals.flows import person
from tests.meals.helpers import register_customer
from tests.random_refs import random_id


@dataclass(frozen=True)
class Env:
    store: EventStore
    server: LiveServer


@dataclass(frozen=True)
class Case:
    input: dict[str, Any]
    stream: str | None  # the stream a refused call must leave as it was (None: id not known)


Setup = Callable[[Env, Actor], Awaitable[Case]]


def ctx(actor: Actor, now: datetime | None = None) -> Context:
    return Context(actor=actor, now=now or datetime.now(UTC), correlation_id=random_id("mx-"))


def today() -> date:
    return ctx(person(Role.STAFF)).today


def owner_for(me: Actor) -> Actor:
    """Whose record the caller acts on: staff their own, everyone else a staff colleague's."""
    return me if me.role is Role.STAFF else person(Role.STAFF)


# --- customers --------------------------------------------------------------------------------
async def _customer(env: Env, **changes: Any) -> str:
    customer_id = random_id("mx-cust-")
    command = RegisterCustomer(customer_id, f"Org {customer_id}", **changes)
    await handle_customer(env.store, ctx(person(Role.STAFF)), command)
    return customer_id


def _on_customer(build: Callable[[str], dict[str, Any]], **changes: Any) -> Setup:
    async def setup(env: Env, me: Actor) -> Case:
        customer_id = await _customer(env, **changes)
        return Case(build(customer_id), customers.stream_id(customer_id))
    return setup


async def register_customer_case(env: Env, me: Actor) -> Case:
    customer_id = str(uuid.uuid4())  # ids a client chooses are UUIDs
    return Case({"id": customer_id, "organisationName": "Matrix Ltd"},
                customers.stream_id(customer_id))


# --- visits: planned, logged, committed, fulfilled by the owner -------------------------------
async def _visit(env: Env, owner: Actor, *, logged: bool, commitment: str = "",
                 fulfilled: bool = False) -> str:
    customer_id = await register_customer(env.store)
    command = plan(customer_id, today(), visit_id=random_id("mx-visit-"))
    await handle_visit(env.store, ctx(owner), command)
    if logged:
        await log_visit(env.store, ctx(owner), log(command.visit_id, today()))
    if commitment:
        await handle_visit(env.store, ctx(owner), RecordCommitment(
            command.visit_id, commitment, "send the price list", today(), owner.user_id))
    if fulfilled:
        await handle_visit(env.store, ctx(owner),
                           FulfillCommitment(command.visit_id, commitment, today()))
    return command.visit_id


async def plan_visit_case(env: Env, me: Actor) -> Case:
    customer_id = await register_customer(env.store)
    visit_id = str(uuid.uuid4())
    return Case({"id": visit_id, "customerId": customer_id, "plannedDate": today().isoformat(),
                 "purposes": ["LEARN_NEEDS"], "objectives": ["learn next year's plans"]},
                visits.stream_id(visit_id))


async def log_visit_case(env: Env, me: Actor) -> Case:
    visit_id = await _visit(env, owner_for(me), logged=False)
    return Case({"visitId": visit_id, "actualDate": today().isoformat(),
                 "receivedBy": {"name": "Chen", "title": "buyer", "decisionMaker": True},
                 "attitudeToProducts": "satisfied", "trainingMinutes": 60},
                visits.stream_id(visit_id))


async def file_report_case(env: Env, me: Actor) -> Case:
    visit_id = await _visit(env, owner_for(me), logged=True)
    return Case({"visitId": visit_id, "report": "went well", "recordCard": "card"},
                visits.stream_id(visit_id))


async def record_commitment_case(env: Env, me: Actor) -> Case:
    visit_id = await _visit(env, owner_for(me), logged=True)
    return Case({"visitId": visit_id, "id": str(uuid.uuid4()), "what": "a sample",
                 "dueDate": today().isoformat()}, visits.stream_id(visit_id))


async def fulfill_commitment_case(env: Env, me: Actor) -> Case:
    visit_id = await _visit(env, owner_for(me), logged=True, commitment="c1")
    return Case({"visitId": visit_id, "commitmentId": "c1"}, visits.stream_id(visit_id))


async def log_follow_up_case(env: Env, me: Actor) -> Case:
    visit_id = await _visit(env, owner_for(me), logged=True, commitment="c1", fulfilled=True)
    return Case({"visitId": visit_id, "commitmentId": "c1", "satisfaction": 4},
                visits.stream_id(visit_id))


# --- sales ------------------------------------------------------------------------------------
async def _product(env: Env) -> str:
    code = random_id("MX")
    await define_product(env.store, ctx(person(Role.MANAGER)), DefineProduct(code, "Matrix"))
    return code


async def define_product_case(env: Env, me: Actor) -> Case:
    return Case({"code": random_id("MX"), "name": "Matrix"}, CATALOGUE_STREAM)


async def _sale_row(env: Env) -> dict[str, Any]:
    return {"saleId": random_id("mx-sale-"), "customerId": await register_customer(env.store),
            "productCode": await _product(env), "amount": "10.00",
            "soldOn": today().isoformat()}


async def record_sale_case(env: Env, me: Actor) -> Case:
    row = await _sale_row(env)
    return Case(row, sale_stream(row["saleId"]))


async def import_sales_case(env: Env, me: Actor) -> Case:
    import_id = random_id("mx-import-")
    return Case({"importId": import_id, "rows": [await _sale_row(env)]},
                import_stream(import_id))


async def sign_off_case(env: Env, me: Actor) -> Case:
    # A year no other test reads: sign-offs of it only pile up in its own stream.
    return Case({"year": 2001, "compiledBy": "Li", "filledBy": "Zhou", "reviewedBy": "Wang"},
                table_stream(2001))


# --- webhooks: registered over the API (the webhook rows live beside the event) ---------------
WEBHOOK = {"url": "http://127.0.0.1:9/kehu-matrix", "eventTypes": ["SalesTableSignedOff"]}
REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) {
  __typename ... on RegisterWebhookOk { webhook { id } } } }"""


async def register_webhook_case(env: Env, me: Actor) -> Case:
    return Case(WEBHOOK, None)


async def deactivate_webhook_case(env: Env, me: Actor) -> Case:
    owner = me if me.role is Role.INTEGRATION else person(Role.INTEGRATION)
    body = await gql(env.server, REGISTER, {"input": WEBHOOK},
                     auth=token(owner.user_id, owner.role))
    webhook_id = body["data"]["registerWebhook"]["webhook"]["id"]
    return Case({"id": webhook_id}, f"webhook-{webhook_id}")


SETUPS: dict[str, Setup] = {
    "registerCustomer": register_customer_case,
    "updateCustomer": _on_customer(lambda c: {"customerId": c, "notes": "moved offices"}),
    "recordCreditChange": _on_customer(lambda c: {
        "customerId": c, "change": "paid late", "cause": "cash flow", "direction": "WORSENED"}),
    "changeCustomerTier": _on_customer(lambda c: {"customerId": c, "tier": "IMPORTANT"}),
    "promoteProspect": _on_customer(lambda c: {"customerId": c},
                                    status=CustomerStatus.PROSPECT),
    "changeCustomerStatus": _on_customer(
        lambda c: {"customerId": c, "status": "INACTIVE", "reason": "closed"}, tier=Tier.GENERAL),
    "planVisit": plan_visit_case,
    "logVisit": log_visit_case,
    "fileVisitReport": file_report_case,
    "recordCommitment": record_commitment_case,
    "fulfillCommitment": fulfill_commitment_case,
    "logFollowUp": log_follow_up_case,
    "defineProduct": define_product_case,
    "recordSale": record_sale_case,
    "importSales": import_sales_case,
    "signOffSalesTable": sign_off_case,
    "registerWebhook": register_webhook_case,
    "deactivateWebhook": deactivate_webhook_case,
}
