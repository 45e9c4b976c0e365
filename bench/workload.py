"""A realistic log for the replay, rebuild and latency benchmarks, made by the domain itself.

Every event comes out of an aggregate's pure decide() (so it passes the same rules a real
command would), in the proportions of a department's year: per customer one registration, three
visits planned and logged, one meal requested, approved and held (cost recorded), and five
sales. That is 15 events per customer; the projections handle every one of them.
Bulk loading appends whole customers' streams in large store.append calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from events.customers import model as customers
from events.customers.commands import RegisterCustomer
from events.customers.values import Classification, Contact, Region, Tier
from events.meals import model as meals
from events.meals.commands import ApproveMeal, MealRequestForm, RecordMealCost, RequestMeal
from events.meals.state import MealState
from events.policy.figures import SEED_FIGURES
from events.policy.values import Host, MealType
from events.sales import model as sales
from events.sales.commands import DefineProduct, RecordSale
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.store.envelope import Event, Metadata
from events.store.event_store import EventStore, StreamAppend
from events.visits import model as visits
from events.visits.commands import LogVisit, PlanVisit
from events.visits.values import Receiver, VisitPurpose

EVENTS_PER_CUSTOMER = 15
STAFF = Actor("bench-staff", "李明", Role.STAFF)
MANAGER = Actor("bench-mgr", "王芳", Role.MANAGER)
START = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
PRODUCTS = ("TEA-GREEN", "TEA-BLACK", "TEA-OOLONG", "GIFT-BOX")
REGIONS = list(Region)
META_STAFF = Metadata.for_actor(STAFF, correlation_id="bench-load")


def _ctx(actor: Actor, day: int, hours: float = 0) -> Context:
    return Context(actor=actor, now=START + timedelta(days=day, hours=hours))


def catalogue() -> StreamAppend:
    ctx = _ctx(MANAGER, 0)
    events: list[Event] = []
    state: dict[str, str] | None = None
    for code in PRODUCTS:
        for e in sales.decide_product(state, DefineProduct(code, code.title()), ctx):
            state = sales.evolve_catalogue(state, e)
            events.append(e)
    return StreamAppend(sales.CATALOGUE_STREAM, sales.CATALOGUE_TYPE, 0, events)


def _customer(run: str, i: int) -> list[StreamAppend]:
    cid = f"{run}-c{i}"
    day = i % 300
    tier = Tier.IMPORTANT if i % 5 == 0 else Tier.GENERAL
    register = RegisterCustomer(
        customer_id=cid, organisation_name=f"华信贸易有限公司 {i}", tier=tier,
        contacts=(Contact("张伟", "采购部经理", decision_maker=True, phone="13800138000"),),
        classification=Classification(region=REGIONS[i % len(REGIONS)]),
    )
    out = [StreamAppend(customers.stream_id(cid), customers.STREAM_TYPE, 0,
                        customers.decide(None, register, _ctx(STAFF, day)))]
    for v in range(3):
        out.append(_visit(f"{cid}-v{v}", cid, day + 7 * v))
    out.append(_meal(f"{cid}-m", cid, organisation=register.organisation_name, day=day,
                     tier=tier))
    for s in range(5):
        sale = RecordSale(sale_id=f"{cid}-s{s}", customer_id=cid, product_code=PRODUCTS[s % 4],
                          amount_fen=100_000 + 1_000 * ((i + s) % 500),
                          sold_on=date(2024, 1 + (day + 30 * s) // 31 % 12, 1 + s))
        out.append(StreamAppend(sales.sale_stream(sale.sale_id), sales.SALE_TYPE, 0,
                                sales.decide_sale(None, sale, _ctx(STAFF, 365),
                                                  products=dict.fromkeys(PRODUCTS, ""),
                                                  customer_known=True)))
    return out


def _visit(vid: str, cid: str, day: int) -> StreamAppend:
    plan = PlanVisit(visit_id=vid, customer_id=cid, planned_date=(START + timedelta(days=day + 2))
                     .date(), purposes=(VisitPurpose.LEARN_NEEDS,),
                     objectives=("了解下季度的采购量",))
    planned = visits.decide(None, plan, _ctx(STAFF, day))
    state = visits.evolve(None, planned[0])
    log = LogVisit(visit_id=vid, actual_date=plan.planned_date,
                   received_by=Receiver("张伟", "采购部经理", decision_maker=True),
                   attitude_to_products="喜欢绿茶，觉得包装有点旧", training_minutes=90,
                   needs_and_problems=("交货周期太长",))
    logged = visits.decide(state, log, _ctx(STAFF, day + 2, 8))
    return StreamAppend(visits.stream_id(vid), visits.STREAM_TYPE, 0, [*planned, *logged])


def _meal(mid: str, cid: str, *, organisation: str, day: int, tier: Tier) -> StreamAppend:
    meal_at = START + timedelta(days=day + 2, hours=9)  # 19:00 in Shanghai, two days ahead
    form = MealRequestForm(customer_id=cid, organisation=organisation, meal_at=meal_at,
                           meal_type=MealType.BANQUET, host=Host.STAFF, guests=4,
                           accompanying=2, restaurant="翠苑酒家", estimated_total_fen=6 * 5_000,
                           purpose="合同洽谈")
    rules = meals.RuleBook(SEED_FIGURES, 1)
    events: list[Event] = []
    state = None
    steps: list[Callable[[MealState | None], list[Event]]] = [
             lambda s: meals.decide_new(s, RequestMeal(mid, form), _ctx(STAFF, day), rules, tier),
             lambda s: meals.decide_step(s, ApproveMeal(mid), _ctx(MANAGER, day, 1)),
             lambda s: meals.decide_cost(s, RecordMealCost(mid, 6 * 5_000, 3_000, guests=4,
                                                           accompanying=2),
                                         _ctx(STAFF, day + 2, 13), rules)]
    for step in steps:
        for e in step(state):
            state = meals.evolve(state, e)
            events.append(e)
    return StreamAppend(meals.stream_id(mid), meals.STREAM_TYPE, 0, events)


def batches(run: str, customers_total: int, per_append: int) -> Iterator[list[StreamAppend]]:
    """Customers' streams, `per_append` customers to one append."""
    for start in range(0, customers_total, per_append):
        stop = min(start + per_append, customers_total)
        yield [a for i in range(start, stop) for a in _customer(run, i)]


async def load(store: EventStore, events: int, *, run: str = "b", per_append: int = 300) -> int:
    """The product catalogue, then about `events` domain events (whole customers); returns the
    head position."""
    await store.append([catalogue()], Metadata.for_actor(MANAGER, correlation_id="bench-load"))
    return await load_more(store, events, run=run, per_append=per_append)


async def load_more(store: EventStore, events: int, *, run: str, per_append: int = 300) -> int:
    """About `events` more events; `run` keeps the ids apart from earlier loads."""
    for appends in batches(run, max(1, events // EVENTS_PER_CUSTOMER), per_append):
        await store.append(appends, META_STAFF)
    return await store.head_position()
