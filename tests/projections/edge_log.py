"""A small log of the cases bulk writers fold, made by the aggregates' decide functions: a tier
change between a customer's meals (M5, before and after), a meal rejected, a cost recorded
twice, an unplanned visit, sales on both sides of the tier change. Appended one stream step
at a time, so the events interleave in the log as they would in a department's day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import workload as w
from events.customers import model as customers
from events.customers.commands import ChangeCustomerTier, RegisterCustomer
from events.customers.values import Tier
from events.meals import model as meals
from events.meals.commands import (
    ApproveMeal,
    MealRequestForm,
    RecordMealCost,
    RejectMeal,
    RequestMeal,
)
from events.meals.state import evolve as evolve_meal
from events.policy.figures import SEED_FIGURES
from events.policy.values import CustomerTier, Host, MealType
from events.sales import model as sales
from events.sales.commands import RecordSale
from events.shared.context import Context
from events.store.envelope import Event
from events.store.event_store import EventStore, StreamAppend
from events.visits import model as visits
from events.visits.commands import LogVisit
from events.visits.values import Receiver, VisitPurpose

CID = "edge-c"
RULES = meals.RuleBook(SEED_FIGURES, 1)


class Streams:
    """Each stream's state and version, so every step is decided on what came before."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state: dict[str, Any] = {}
        self.version: dict[str, int] = {}

    async def step(self, stream: str, kind: str, evolve: Callable[[Any, Event], Any],
                   decide: Callable[[Any], list[Event]]) -> None:
        events = decide(self.state.get(stream))
        for e in events:
            self.state[stream] = evolve(self.state.get(stream), e)
        await self.store.append([StreamAppend(stream, kind, self.version.get(stream, 0), events)],
                                w.META_STAFF)
        self.version[stream] = self.version.get(stream, 0) + len(events)


def _form(at: datetime) -> MealRequestForm:
    return MealRequestForm(customer_id=CID, organisation="边界贸易公司",
                           meal_at=at + timedelta(days=2),
                           meal_type=MealType.BANQUET, host=Host.STAFF, guests=4, accompanying=2,
                           restaurant="翠苑酒家", estimated_total_fen=30_000, purpose="合同洽谈")


async def append_edges(store: EventStore) -> None:
    s = Streams(store)
    cust = customers.stream_id(CID)

    async def meal(mid: str, decide: Callable[[Any], list[Event]]) -> None:
        await s.step(meals.stream_id(mid), meals.STREAM_TYPE, evolve_meal, decide)

    async def sale(n: int) -> None:
        command = RecordSale(sale_id=f"edge-s{n}", customer_id=CID, product_code="TEA-GREEN",
                             amount_fen=1_000 * n, sold_on=date(2024, 5, 1 + n))
        await s.step(sales.sale_stream(command.sale_id), sales.SALE_TYPE, sales.evolve_sale,
                     lambda st: sales.decide_sale(st, command, w._ctx(w.STAFF, 365),
                                                  products=dict.fromkeys(w.PRODUCTS, ""),
                                                  customer_known=True))

    await s.step(cust, customers.STREAM_TYPE, customers.evolve, lambda st: customers.decide(
        st, RegisterCustomer(customer_id=CID, organisation_name="边界贸易公司",
                             tier=Tier.GENERAL), w._ctx(w.STAFF, 1)))
    await sale(1)
    await meal("edge-m1", lambda st: meals.decide_new(st, RequestMeal("edge-m1", _form(w.START)),
                                                        w._ctx(w.STAFF, 1), RULES,
                                                        CustomerTier.GENERAL))
    await meal("edge-m1", lambda st: meals.decide_step(st, ApproveMeal("edge-m1"),
                                                         w._ctx(w.MANAGER, 1, 1)))
    await s.step(cust, customers.STREAM_TYPE, customers.evolve, lambda st: customers.decide(
        st, ChangeCustomerTier(CID, Tier.IMPORTANT, "年度采购额上升"), w._ctx(w.MANAGER, 2)))
    await sale(2)
    # Requested after the tier change was recorded (the log's clock): "changed before" (M5).
    soon = Context(actor=w.STAFF, now=datetime.now(UTC) + timedelta(days=1))
    for mid in ("edge-m2", "edge-m3"):
        await meal(mid, lambda st, mid=mid: meals.decide_new(  # type: ignore[misc]
            st, RequestMeal(mid, _form(soon.now)), soon, RULES, CustomerTier.IMPORTANT))
    await meal("edge-m3", lambda st: meals.decide_step(
        st, RejectMeal("edge-m3", "预算不足"), Context(actor=w.MANAGER, now=soon.now)))
    for hours, total in ((13, 30_000), (14, 28_000)):  # a corrected cost: status stays held
        await meal("edge-m1", lambda st, h=hours, t=total: meals.decide_cost(  # type: ignore[misc]
            st, RecordMealCost("edge-m1", t, 3_000, guests=4, accompanying=2),
            w._ctx(w.STAFF, 3, h), RULES))
    log = LogVisit(visit_id="edge-v1", actual_date=date(2024, 3, 9),
                   received_by=Receiver("张伟", "采购部经理", decision_maker=True),
                   attitude_to_products="满意", training_minutes=90, unplanned=True,
                   customer_id=CID, purposes=(VisitPurpose.LEARN_NEEDS,))
    await s.step(visits.stream_id("edge-v1"), visits.STREAM_TYPE, visits.evolve,
                 lambda st: visits.decide(st, log, w._ctx(w.STAFF, 5)))
