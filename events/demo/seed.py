"""Demo data: `kehu seed-demo [--customers N] [--years N]`, and `kehu serve --demo` (KEHU_DEMO=1)
on a log without customers.

Everything goes through the write side, as a user's commands would: customers, visits and meals
through events.handling.execute with each aggregate's pure decide (so the rules of RULES.md
judge the demo too, and some meals are recorded policy exceptions approved explicitly, M6),
sales through the import handler (one all-or-nothing import per year), T2 sign-offs for past
years. Decisions are made "as of" their simulated day (Context.now); the log's recorded_at is
the real time of writing. The world is drawn first from a fixed seed (schema/demo_plan.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from rich.progress import Progress

from events.customers.commands import RegisterCustomer
from events.customers.handlers import handle_customer
from events.customers.values import Contact, CustomerStatus
from events.demo import data as d
from events.demo.plan import CustomerPlan, MealPlan, VisitPlan, plan
from events.meals.commands import (
    ApproveMeal,
    MealCommand,
    MealRequestForm,
    RecordMealCost,
    RequestMeal,
    SignMealCost,
)
from events.meals.handlers import handle_meal
from events.policy.values import Host, MealType
from events.sales.commands import DefineProduct, SignOffSalesTable
from events.sales.handlers import define_product, import_sales, sign_off_sales_table
from events.sales.rows import ParsedRows
from events.shared.actors import Actor
from events.shared.context import Context
from events.shared.errors import DomainError
from events.store.event_store import EventStore
from events.visits.commands import FileVisitReport, LogVisit, PlanVisit, VisitCommand
from events.visits.handlers import handle_visit, log_visit
from events.visits.values import Receiver, VisitPurpose

log = logging.getLogger("kehu.demo")
LOCK = 0x6B656875  # advisory lock: one process seeds
CONCURRENCY = 16


async def seed_if_empty(pool: asyncpg.Pool, store: EventStore, tz: ZoneInfo) -> None:
    """`kehu serve --demo`: seed once, whichever of several starting processes gets here first."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK):
            return  # another process is seeding
        try:
            if await conn.fetchval("SELECT EXISTS (SELECT FROM events"
                                   " WHERE stream_type = 'customer')"):
                return
            await seed_demo(store, tz, customers=200, years=3)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK)


async def seed_demo(store: EventStore, tz: ZoneInfo, *, customers: int,
                    years: int) -> dict[str, int]:
    """Write the demo world; returns what was written (and how many steps the rules refused)."""
    now = datetime.now(tz)
    world = plan(customers, years, now.date(), tz)

    def at(actor: Actor, when: datetime) -> Context:
        return Context(actor=actor, now=when, tz=tz, correlation_id="demo-seed")

    skipped: list[str] = []
    with Progress() as bar:
        for code, name in d.PRODUCTS:
            await define_product(store, at(d.MANAGER, now), DefineProduct(code, name))
        people = bar.add_task("customers, visits, meals", total=len(world.customers))
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(c: CustomerPlan) -> None:
            async with gate:
                await _customer(store, at, c, skipped)
                bar.advance(people)

        await asyncio.gather(*(one(c) for c in world.customers))
        sales = bar.add_task("sales", total=sum(len(s) for s in world.sales.values()))
        for year, found in world.sales.items():
            parsed = ParsedRows(sales=found, numbers=list(range(1, len(found) + 1)))
            await import_sales(store, at(d.STAFF[0], now), f"demo-{year}", parsed)
            bar.advance(sales, len(found))
            if year < now.year:
                await sign_off_sales_table(store, at(d.MANAGER, now), SignOffSalesTable(
                    year, compiled_by="王丽", filled_by="李强", reviewed_by="张伟"))
    if skipped:
        log.warning("demo: %d steps refused by the rules, e.g. %s", len(skipped), skipped[0])
    return {"customers": len(world.customers),
            "visits": sum(len(c.visits) for c in world.customers),
            "meals": sum(len(c.meals) for c in world.customers),
            "policy_exceptions": sum(1 for c in world.customers for m in c.meals
                                     if m.exception_reason),
            "sales": sum(len(s) for s in world.sales.values()), "refused": len(skipped)}


async def _customer(store: Any, at: Any, c: CustomerPlan, skipped: list[str]) -> None:
    contact = Contact(name=c.contact, title=c.contact_title, decision_maker=True)
    command = RegisterCustomer(c.customer_id, c.name, tier=c.tier, status=CustomerStatus.ACTIVE,
                               contacts=(contact,), classification=c.classification)
    ctx = at(c.owner, c.registered_at)
    await handle_customer(store, ctx, command)
    for v in c.visits:
        await _guard(skipped, _visit(store, at, c, v))
    for m in c.meals:
        await _guard(skipped, _meal(store, at, c, m))


async def _guard(skipped: list[str], step: Any) -> None:
    try:
        await step
    except DomainError as exc:  # the rules said no: the demo keeps going and says so
        skipped.append(f"{exc.rule}: {exc.message}")


async def _visit(store: Any, at: Any, c: CustomerPlan, v: VisitPlan) -> None:
    day = datetime.combine(v.day, time(9), c.registered_at.tzinfo)
    steps: list[tuple[datetime, VisitCommand]] = [
        (day - timedelta(days=5), PlanVisit(
            v.visit_id, c.customer_id, v.day, (VisitPurpose.LEARN_NEEDS,
                                               VisitPurpose.MAINTAIN_RELATIONS),
            ("了解客户本季度采购需求", "介绍本月促销政策"), sales_policy="本月订货满十万元返点2%")),
        (day + timedelta(hours=8), LogVisit(
            v.visit_id, v.day, Receiver(v.receiver, v.receiver_title, True),
            attitude_to_products="对产品质量满意，希望缩短交货期",
            training_minutes=v.training_minutes,
            requests_and_suggestions=("希望提供更详细的产品说明书",))),
        (day + timedelta(days=1), FileVisitReport(v.visit_id, "拜访顺利，客户有追加订单意向。",
                                                  "拜访客户记录卡：已填写")),
    ]
    for when, command in steps:
        ctx = at(c.owner, when)
        if isinstance(command, LogVisit):
            await log_visit(store, ctx, command)
        else:
            await handle_visit(store, ctx, command)


async def _meal(store: Any, at: Any, c: CustomerPlan, m: MealPlan) -> None:
    form = MealRequestForm(
        customer_id=c.customer_id, organisation=c.name, meal_at=m.meal_at,
        meal_type=MealType.BANQUET, host=m.host, guests=m.guests, accompanying=m.accompanying,
        restaurant=m.restaurant, estimated_total_fen=m.total_fen,
        arranging_specialist=c.owner.name if m.host is Host.MANAGER else None,
        designated_restaurant=m.host is Host.MANAGER, estimated_drinks_fen=m.drinks_fen,
        exception_reason=m.exception_reason, purpose="业务洽谈")
    steps: list[tuple[Actor, datetime, MealCommand]] = [
        (c.owner, m.meal_at - timedelta(days=2), RequestMeal(m.meal_id, form)),
        (d.MANAGER, m.meal_at - timedelta(days=1),
         ApproveMeal(m.meal_id, "同意", approve_exception=m.exception_reason is not None)),
        (c.owner, m.meal_at + timedelta(hours=3),
         RecordMealCost(m.meal_id, m.total_fen, m.drinks_fen, m.guests, m.accompanying)),
        (d.MANAGER, m.meal_at + timedelta(days=1), SignMealCost(
            m.meal_id, "超标准部分经经理特批" if m.exception_reason else "")),
    ]
    for actor, when, command in steps:
        await handle_meal(store, at(actor, when), command)
