"""The demo world as plain data, drawn from one seeded Random before anything is written, so the
same arguments and day always give the same world however the writes are scheduled."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from events.customers import values as cv
from events.demo import data as d
from events.policy.values import Host
from events.sales.commands import RecordSale
from events.shared.actors import Actor

# Per-person caps of the seed rule book (RULES M5) the demo aims under, or above on purpose.
_CAPS = {(cv.Tier.IMPORTANT, Host.MANAGER): 200, (cv.Tier.IMPORTANT, Host.STAFF): 100,
         (cv.Tier.GENERAL, Host.MANAGER): 100, (cv.Tier.GENERAL, Host.STAFF): 55}
VIOLATION_SHARE = 0.15


@dataclass(frozen=True)
class VisitPlan:
    visit_id: str
    day: date
    receiver: str
    receiver_title: str
    training_minutes: int


@dataclass(frozen=True)
class MealPlan:
    meal_id: str
    meal_at: datetime
    host: Host
    guests: int
    accompanying: int
    total_fen: int
    drinks_fen: int
    restaurant: str
    exception_reason: str | None  # set when the meal breaks a cap on purpose (M6)


@dataclass
class CustomerPlan:
    customer_id: str
    name: str
    tier: cv.Tier
    classification: cv.Classification
    contact: str
    contact_title: str
    owner: Actor
    registered_at: datetime
    visits: list[VisitPlan] = field(default_factory=list)
    meals: list[MealPlan] = field(default_factory=list)


@dataclass
class World:
    customers: list[CustomerPlan]
    sales: dict[int, list[RecordSale]]  # by year


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def plan(customers: int, years: int, today: date, tz: ZoneInfo) -> World:
    rng = random.Random(d.SEED)
    first = today.year - years + 1
    used: set[str] = set()
    people = []
    for _ in range(customers):
        tier = cv.Tier.IMPORTANT if rng.random() < 0.25 else cv.Tier.GENERAL
        c = CustomerPlan(
            customer_id=_id(rng), name=d.organisation(rng, used), tier=tier,
            classification=d.classification(rng), contact=d.person(rng),
            contact_title=d.title(rng), owner=rng.choice(d.STAFF),
            registered_at=datetime.combine(date(first, 1, 1) - timedelta(days=rng.randint(1, 300)),
                                           time(10), tz))
        for year in range(first, today.year + 1):
            for _ in range(rng.randint(0, 3)):
                c.visits.append(VisitPlan(_id(rng), d.day_in(rng, year, today - timedelta(2)),
                                          d.person(rng), d.title(rng), rng.randint(60, 120)))
            if rng.random() < 0.5:
                c.meals.append(_meal(rng, tier, year, today, tz))
        people.append(c)
    sales = {year: _sales(rng, people, year, today) for year in range(first, today.year + 1)}
    return World(people, sales)


def _meal(rng: random.Random, tier: cv.Tier, year: int, today: date, tz: ZoneInfo) -> MealPlan:
    host = Host.MANAGER if tier is cv.Tier.IMPORTANT and rng.random() < 0.4 else Host.STAFF
    guests = rng.randint(2, 6)
    accompanying = rng.randint(1, min(guests, 3))
    violates = rng.random() < VIOLATION_SHARE
    cap = _CAPS[(tier, host)]
    per_person = cap * (rng.uniform(1.2, 1.6) if violates else rng.uniform(0.55, 0.95))
    total = int(per_person * (guests + accompanying)) * 100
    day = d.day_in(rng, year, today - timedelta(3))
    return MealPlan(
        meal_id=_id(rng), meal_at=datetime.combine(day, time(18, 30), tz), host=host,
        guests=guests, accompanying=accompanying, total_fen=total,
        drinks_fen=total // rng.choice((4, 5, 6)), restaurant=d.restaurant(rng),
        exception_reason="重要合作洽谈，客户级别高，申请超标准接待" if violates else None)


def _sales(rng: random.Random, people: list[CustomerPlan], year: int,
           today: date) -> list[RecordSale]:
    found: list[RecordSale] = []
    for c in people:
        for code, _ in rng.sample(d.PRODUCTS, rng.randint(2, 5)):
            for _ in range(rng.randint(1, 8)):
                found.append(RecordSale(
                    sale_id=f"DEMO-{year}-{len(found) + 1:06d}", customer_id=c.customer_id,
                    product_code=code,
                    amount_fen=d.sale_amount_fen(rng, c.tier, c.classification.spending),
                    sold_on=d.day_in(rng, year, today),
                    reference=f"发票{rng.randint(10**7, 10**8)}"))
    return found

