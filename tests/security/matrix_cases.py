"""Per-mutation preconditions and inputs of the role matrix (tests/security/test_role_matrix.py).

Each factory writes the records its mutation acts on through the command handlers (with a chosen
clock, so a meal's past costs milliseconds) and returns the GraphQL input that succeeds for a
caller whose role may act. Every call gets fresh ids, so cases are independent and run together.

Whose record: `owned_by(me)` gives the caller's own record (same user id) when the rule is "your
own" (visits, a meal's cost, its paperwork, a webhook), so a refusal there is the ROLE's, not a
missing ownership; a manager acts on a staff member's record (the manager's extra right). Meal
decisions (approve, sign, deny, settle) are always on a colleague's request: separation of duties
has its own tests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from events.bills import model as restaurant_bills
from events.bills.handlers import bill_stream
from events.bills.matching import BillLine
from events.bills.model import RecordRestaurantBill
from events.customers import model as customers
from events.customers.commands import RegisterCustomer
from events.customers.handlers import handle_customer
from events.customers.values import Contact, CustomerStatus, Tier
from events.documents.postgres import PostgresDocuments
from events.documents.values import DocumentInfo, MediaType, sha256_of
from events.handling import execute, load
from events.meals import model as meals
from events.meals.commands import ApproveMeal, ApproveMealVerbally, RecordMealCost, RequestMeal
from events.meals.handlers import handle_meal
from events.people.commands import RegisterPerson
from events.people.handlers import handle_person, load_person
from events.people.values import stream_id as person_stream
from events.policy import model as policy
from events.policy.handlers import POLICY_STREAM
from events.policy.values import Host, MealType
from events.reminders.model import notifications_stream
from events.sales.commands import DefineProduct
from events.sales.handlers import define_product
from events.sales.model import import_stream, sale_stream
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.store.event_store import EventStore
from events.visits import model as visits
from events.visits.commands import FulfillCommitment, RecordCommitment
from events.visits.handlers import handle_visit, log_visit
from tests.customers.builders import log, plan
from tests.live import LiveServer, gql, token
from tests.meals.flows import meal_form
from tests.meals.helpers import figures_input, form
from tests.random_refs import random_id

DEPARTMENT = (Role.STAFF, Role.MANAGER)


@dataclass(frozen=True)
class Env:
    store: EventStore
    server: LiveServer


@dataclass(frozen=True)
class Case:
    input: dict[str, Any]
    stream: str | None  # a stream a refused call must leave untouched (None: id made by server)


Setup = Callable[[Env, Actor], Awaitable[Case]]


def person(role: Role, user_id: str | None = None) -> Actor:
    return Actor(user_id or random_id(f"mx-{role.value}-"), role.value.title(), role)


def ctx(actor: Actor, now: datetime | None = None) -> Context:
    return Context(actor=actor, now=now or datetime.now(UTC), correlation_id=random_id("mx-"))


def today() -> date:
    return ctx(person(Role.STAFF)).today


def owned_by(me: Actor) -> Actor:
    """Who writes the caller's "own" record: the caller (as department member, since only staff
    and managers create such records) or, for a manager, a staff colleague."""
    if me.role is Role.MANAGER:
        return person(Role.STAFF)
    return Actor(me.user_id, me.name, me.role if me.role in DEPARTMENT else Role.STAFF)


# --- customers --------------------------------------------------------------------------------
async def customer(env: Env, tier: Tier = Tier.IMPORTANT, **changes: Any) -> str:
    customer_id = random_id("mx-cust-")
    command = RegisterCustomer(customer_id, f"Org {customer_id}", tier=tier, **changes)
    await handle_customer(env.store, ctx(person(Role.STAFF)), command)
    return customer_id


def on_customer(build: Callable[[str], dict[str, Any]], **changes: Any) -> Setup:
    async def setup(env: Env, me: Actor) -> Case:
        customer_id = await customer(env, **changes)
        return Case(build(customer_id), customers.stream_id(customer_id))
    return setup


async def register_customer(env: Env, me: Actor) -> Case:
    customer_id = str(uuid.uuid4())
    return Case({"id": customer_id, "organisationName": "Matrix Ltd"},
                customers.stream_id(customer_id))


# --- visits -----------------------------------------------------------------------------------
async def visit(env: Env, owner: Actor, *, logged: bool = True, commitment: bool = False,
                fulfilled: bool = False) -> str:
    command = plan(await customer(env), today())
    await handle_visit(env.store, ctx(owner), command)
    if logged:
        await log_visit(env.store, ctx(owner), log(command.visit_id, today()))
    if commitment:
        await handle_visit(env.store, ctx(owner), RecordCommitment(
            command.visit_id, "c1", "send the price list", today(), owner.user_id))
    if fulfilled:
        await handle_visit(env.store, ctx(owner), FulfillCommitment(command.visit_id, "c1",
                                                                    today()))
    return command.visit_id


def on_visit(build: Callable[[str], dict[str, Any]], **state: bool) -> Setup:
    async def setup(env: Env, me: Actor) -> Case:
        visit_id = await visit(env, owned_by(me), **state)
        return Case(build(visit_id), visits.stream_id(visit_id))
    return setup


async def plan_visit(env: Env, me: Actor) -> Case:
    visit_id = str(uuid.uuid4())
    return Case({"id": visit_id, "customerId": await customer(env),
                 "plannedDate": today().isoformat(), "purposes": ["LEARN_NEEDS"],
                 "objectives": ["next year's plans"]}, visits.stream_id(visit_id))


LOG = {"actualDate": None, "receivedBy": {"name": "Chen", "title": "buyer", "decisionMaker": True},
       "attitudeToProducts": "satisfied", "trainingMinutes": 60}


# --- meals ------------------------------------------------------------------------------------
async def meal(env: Env, requester: Actor, *, meal_at: datetime, tier: Tier = Tier.IMPORTANT,
               approved: bool = True, cost: bool = False, restaurant: str = "Jade Garden",
               **changes: Any) -> str:
    """A written request (filed two days before the meal), approved, its cost recorded."""
    meal_id, before = random_id("mx-meal-"), meal_at - timedelta(days=2)
    request = RequestMeal(meal_id, meal_form(await customer(env, tier), meal_at, restaurant,
                                             **changes))
    await handle_meal(env.store, ctx(requester, before), request)
    if approved:
        await handle_meal(env.store, ctx(person(Role.MANAGER), before), ApproveMeal(meal_id))
    if cost:
        await handle_meal(env.store, ctx(requester), RecordMealCost(meal_id, 50_000, 0, 4, 2))
    return meal_id


async def verbal(env: Env, requested_by: str, meal_at: datetime, *, cost: bool = False) -> str:
    """M11: a manager's verbal approval, recorded at the meal time."""
    meal_id, customer_id = random_id("mx-meal-"), await customer(env)
    await register_staff(env, requested_by)
    await handle_meal(env.store, ctx(person(Role.MANAGER), meal_at), ApproveMealVerbally(
        meal_id, requested_by, customer_id, meal_at, "Jade Garden", 4, 2, MealType.BANQUET,
        Host.STAFF, "the delegation came early", "Huaxin", 50_000))
    if cost:
        await handle_meal(env.store, ctx(person(Role.STAFF, requested_by)),
                          RecordMealCost(meal_id, 50_000, 0, 4, 2))
    return meal_id


def on_meal(build: Callable[[str], dict[str, Any]], make: Callable[[Env, Actor], Awaitable[str]]
            ) -> Setup:
    async def setup(env: Env, me: Actor) -> Case:
        meal_id = await make(env, me)
        return Case({"mealId": meal_id, **build(meal_id)}, meals.stream_id(meal_id))
    return setup


def hours(n: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=n)


def colleague() -> Actor:
    return person(Role.STAFF)


async def request_meal(env: Env, me: Actor) -> Case:
    return Case(form(await customer(env), hours(48)), None)


async def approve_verbally(env: Env, me: Actor) -> Case:
    held_by = colleague().user_id
    await register_staff(env, held_by)
    return Case({"requestedBy": held_by, "customerId": await customer(env),
                 "mealAt": hours(1).isoformat(), "restaurant": "Jade Garden", "guests": 4,
                 "accompanying": 2, "mealType": "BANQUET", "host": "STAFF",
                 "urgencyReason": "the delegation came early", "estimatedTotal": "500.00"}, None)


async def register_staff(env: Env, user_id: str) -> None:
    if await load_person(env.store, user_id) is None:
        await handle_person(env.store, ctx(person(Role.ADMIN_OFFICE)),
                            RegisterPerson(user_id, "Staff", Role.STAFF))


async def complete_paperwork(env: Env, me: Actor) -> Case:
    # Only staff are named in a verbal approval: anyone else tries a colleague's paperwork.
    meal_at = hours(-2)
    held_by = me.user_id if me.role is Role.STAFF else colleague().user_id
    meal_id = await verbal(env, held_by, meal_at, cost=True)
    state, _ = await load(env.store, meals.stream_id(meal_id), meals.evolve)
    assert state is not None
    return Case({"mealId": meal_id, "form": form(state.customer_id, meal_at)},
                meals.stream_id(meal_id))


async def report_unapproved(env: Env, me: Actor) -> Case:
    return Case({"customerId": await customer(env), "mealAt": hours(-3).isoformat(),
                 "restaurant": "Jade Garden", "guests": 4, "accompanying": 2,
                 "mealType": "BANQUET", "host": "STAFF", "reason": "no time to ask"}, None)


async def deactivate_person(env: Env, me: Actor) -> Case:
    user_id = random_id("mx-leaver-")
    await register_staff(env, user_id)
    return Case({"userId": user_id, "reason": "left the company"}, person_stream(user_id))


async def record_contact(env: Env, me: Actor) -> Case:
    user_id = random_id("mx-contact-")
    await register_staff(env, user_id)
    return Case({"userId": user_id, "email": f"{user_id}@example.com", "language": "zh"},
                person_stream(user_id))


async def mark_read(env: Env, me: Actor) -> Case:
    # One's own notifications only: the stream is the caller's, so a refused call leaves it.
    return Case({"upTo": 1}, notifications_stream(me.user_id))


# --- restaurant bills -------------------------------------------------------------------------
def month() -> str:
    return today().strftime("%Y-%m")


def last_month() -> tuple[str, date]:
    """M13 settles a month only after it ends: the previous month and a day in it."""
    day = today().replace(day=1) - timedelta(days=1)
    return day.strftime("%Y-%m"), day


def bill_input(restaurant: str) -> dict[str, Any]:
    return {"restaurant": restaurant, "month": month(), "lines": [
        {"lineNo": 1, "date": today().isoformat(), "amount": "300.00", "reference": "T1"}]}


async def record_bill(env: Env, me: Actor) -> Case:
    restaurant = random_id("Matrix House ")
    return Case(bill_input(restaurant), restaurant_bills.stream_id(restaurant, month()))


async def settle_bill(env: Env, me: Actor) -> Case:
    restaurant = random_id("Matrix House ")
    ended, day = last_month()
    command = RecordRestaurantBill(random_id("mx-bill-"), restaurant, ended,
                                   (BillLine(1, day, 30_000, "T1"),))
    await execute(env.store, ctx(colleague()), bill_stream(restaurant, ended), command,
                  lambda s: restaurant_bills.decide(s, command, ctx(colleague())))
    return Case({"restaurant": restaurant, "month": ended},
                restaurant_bills.stream_id(restaurant, ended))


# --- documents (M12, M13) ---------------------------------------------------------------------
async def document(env: Env) -> str:
    """A stored document (as POST /documents stores it): PNG magic and unique bytes."""
    content = b"\x89PNG\r\n\x1a\n" + random_id("mx-doc-").encode()
    info = DocumentInfo(sha256_of(content), len(content), MediaType.PNG)
    await PostgresDocuments(env.store.pool).put(info, content, "mx-uploader")
    return info.sha256


async def attach_meal_document(env: Env, me: Actor) -> Case:
    meal_id = await meal(env, owned_by(me), meal_at=hours(-1), cost=True)
    return Case({"mealId": meal_id, "sha256": await document(env), "kind": "RECEIPT"},
                meals.stream_id(meal_id))


async def explain_missing_receipt(env: Env, me: Actor) -> Case:
    meal_id = await meal(env, owned_by(me), meal_at=hours(-1), cost=True)
    return Case({"mealId": meal_id, "reason": "the stall gives no receipt"},
                meals.stream_id(meal_id))


async def attach_bill_document(env: Env, me: Actor) -> Case:
    restaurant = random_id("Matrix House ")
    command = RecordRestaurantBill(random_id("mx-bill-"), restaurant, month(),
                                   (BillLine(1, today(), 30_000, "T1"),))
    await execute(env.store, ctx(colleague()), bill_stream(restaurant, month()), command,
                  lambda s: restaurant_bills.decide(s, command, ctx(colleague())))
    return Case({"restaurant": restaurant, "month": month(), "sha256": await document(env),
                 "kind": "INVOICE", "lineNo": 1}, restaurant_bills.stream_id(restaurant, month()))


# --- policy (on a server of its own: approvals change what binds later dates) ------------------
async def next_version(store: EventStore) -> int:
    state, _ = await load(store, policy.STREAM_ID, policy.evolve)
    return max((d.version for d in (state or policy.PolicyState()).drafts), default=0) + 1


async def draft_policy(env: Env, me: Actor) -> Case:
    return Case({"version": await next_version(env.store), "figures": figures_input("100.00"),
                 "compiledBy": "客户服务部"}, policy.STREAM_ID)


async def draft(env: Env, author: Actor) -> int:
    version = await next_version(env.store)
    command = policy.DraftPolicy(version, policy.SEED_FIGURES, "matrix", "客户服务部")
    await execute(env.store, ctx(author), POLICY_STREAM, command,
                  lambda s: policy.decide(s, command, ctx(author)))
    return version


async def approve_policy(env: Env, me: Actor) -> Case:
    state, _ = await load(env.store, policy.STREAM_ID, policy.evolve)
    latest = max(v.effective_from for v in (state or policy.PolicyState()).approved)
    effective = max(latest + timedelta(days=1), today() + timedelta(days=30))
    return Case({"version": await draft(env, colleague()), "effectiveFrom": effective.isoformat()},
                policy.STREAM_ID)


# --- sales ------------------------------------------------------------------------------------
_products: dict[int, str] = {}
_catalogue = asyncio.Lock()


async def product(env: Env) -> str:
    """One product per store: the catalogue is one stream, and a dozen concurrent definitions
    would exhaust its conflict retries."""
    async with _catalogue:
        if id(env.store) not in _products:
            code = random_id("MX")
            await define_product(env.store, ctx(person(Role.MANAGER)),
                                 DefineProduct(code, "Matrix"))
            _products[id(env.store)] = code
        return _products[id(env.store)]


async def sale_row(env: Env) -> dict[str, Any]:
    return {"saleId": random_id("mx-sale-"), "customerId": await customer(env),
            "productCode": await product(env), "amount": "10.00", "soldOn": today().isoformat()}


async def record_sale(env: Env, me: Actor) -> Case:
    row = await sale_row(env)
    return Case(row, sale_stream(row["saleId"]))


async def import_sales(env: Env, me: Actor) -> Case:
    import_id = random_id("mx-import-")
    return Case({"importId": import_id, "rows": [await sale_row(env)]}, import_stream(import_id))


# --- webhooks (rows beside the event: registered over the API) ---------------------------------
WEBHOOK = {"url": "http://127.0.0.1:9/kehu-matrix", "eventTypes": ["SalesTableSignedOff"]}
REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) {
  __typename ... on RegisterWebhookOk { webhook { id } } } }"""


async def deactivate_webhook(env: Env, me: Actor) -> Case:
    # The caller's own webhook (registered under its user id as an integration), a manager
    # another integration's.
    owner = person(Role.INTEGRATION) if me.role is Role.MANAGER else me
    body = await gql(env.server, REGISTER, {"input": WEBHOOK},
                     auth=token(owner.user_id, Role.INTEGRATION))
    webhook_id = body["data"]["registerWebhook"]["webhook"]["id"]
    return Case({"id": webhook_id}, f"webhook-{webhook_id}")


async def erase_customer(env: Env, me: Actor) -> Case:
    customer_id = await customer(env, contacts=(Contact("Chen", phone="13800000000"),))
    return Case({"subjectId": customer_id, "reason": "PIPL deletion request"},
                f"erasure-{customer_id}")


def fixed(values: dict[str, Any], stream: str | None = None) -> Setup:
    async def setup(env: Env, me: Actor) -> Case:
        return Case(dict(values), stream)
    return setup


def fresh(build: Callable[[], dict[str, Any]]) -> Setup:
    async def setup(env: Env, me: Actor) -> Case:
        return Case(build(), None)
    return setup


SETUPS: dict[str, Setup] = {
    "registerCustomer": register_customer,
    "updateCustomer": on_customer(lambda c: {"customerId": c, "notes": "moved offices"}),
    "recordCreditChange": on_customer(lambda c: {
        "customerId": c, "change": "paid late", "cause": "cash flow", "direction": "WORSENED"}),
    "changeCustomerTier": on_customer(lambda c: {"customerId": c, "tier": "GENERAL"}),
    "promoteProspect": on_customer(lambda c: {"customerId": c}, status=CustomerStatus.PROSPECT),
    "changeCustomerStatus": on_customer(lambda c: {"customerId": c, "status": "INACTIVE",
                                                   "reason": "closed"}),
    "planVisit": plan_visit,
    "logVisit": on_visit(lambda v: {**LOG, "visitId": v, "actualDate": today().isoformat()},
                         logged=False),
    "fileVisitReport": on_visit(lambda v: {"visitId": v, "report": "went well",
                                           "recordCard": "card"}),
    "recordCommitment": on_visit(lambda v: {"visitId": v, "what": "a sample",
                                            "dueDate": today().isoformat()}),
    "fulfillCommitment": on_visit(lambda v: {"visitId": v, "commitmentId": "c1"},
                                  commitment=True),
    "logFollowUp": on_visit(lambda v: {"visitId": v, "commitmentId": "c1", "satisfaction": 4},
                            commitment=True, fulfilled=True),
    "draftPolicy": draft_policy,
    "approvePolicy": approve_policy,
    "requestMeal": request_meal,
    "approveMeal": on_meal(lambda m: {}, lambda env, me: meal(env, colleague(),
                                                              meal_at=hours(48),
                                                              approved=False)),
    "rejectMeal": on_meal(lambda m: {"reason": "over budget"}, lambda env, me: meal(
        env, colleague(), meal_at=hours(48), approved=False)),
    "approveMealVerbally": approve_verbally,
    "completeMealPaperwork": complete_paperwork,
    "issueMealVouchers": on_meal(lambda m: {"count": 2}, lambda env, me: meal(
        env, colleague(), meal_at=hours(48), tier=Tier.GENERAL, meal_type=MealType.CANTEEN,
        estimated_total_fen=12_000)),
    "recordMealCost": on_meal(
        lambda m: {"total": "500.00", "drinks": "50.00", "guests": 4, "accompanying": 2},
        lambda env, me: meal(env, owned_by(me), meal_at=hours(-1))),
    "signMealCost": on_meal(lambda m: {"annotation": "checked"}, lambda env, me: meal(
        env, colleague(), meal_at=hours(-1), cost=True)),
    "denyReimbursement": on_meal(lambda m: {"reason": "no paperwork"}, lambda env, me: verbal(
        env, colleague().user_id, hours(-24 * 20))),
    "recordRestaurantBill": record_bill,
    "settleRestaurantBill": settle_bill,
    "attachMealDocument": attach_meal_document,
    "explainMissingReceipt": explain_missing_receipt,
    "attachBillDocument": attach_bill_document,
    "defineProduct": fresh(lambda: {"code": random_id("MX"), "name": "Matrix"}),
    "recordSale": record_sale,
    "importSales": import_sales,
    "signOffSalesTable": fixed({"year": 2002, "compiledBy": "Li", "filledBy": "Zhou",
                                "reviewedBy": "Wang"}),
    "registerWebhook": fixed(WEBHOOK),
    "registerPerson": fresh(lambda: {"userId": random_id("mx-new-"), "name": "New",
                                     "role": "STAFF"}),
    "deactivatePerson": deactivate_person,
    "recordPersonContact": record_contact,
    "markNotificationsRead": mark_read,
    "reportUnapprovedMeal": report_unapproved,
    "deactivateWebhook": deactivate_webhook,
    "rotateWebhookSecret": deactivate_webhook,  # the same: one's own webhook, or a manager
    "erasePersonalData": erase_customer,
}

# Cases that read-then-write one shared stream (the rule book's next version): run one by one.
SERIAL = frozenset({"draftPolicy", "approvePolicy"})
POLICY = SERIAL


async def written_by(store: EventStore, user_id: str) -> int:
    return int(await store.pool.fetchval(
        "SELECT count(*) FROM kehu_log.events WHERE metadata->>'actor_id' = $1", user_id))
