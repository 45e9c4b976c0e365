"""Commands and contexts for the customer and visit tests: valid by default, one field changed
per test, so each test shows only what it is about."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from events.customers.commands import RegisterCustomer
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.visits.commands import LogVisit, PlanVisit
from events.visits.values import Receiver, VisitPurpose

STAFF = Actor("it-staff", "Li Na", Role.STAFF)
OTHER_STAFF = Actor("it-staff-2", "Zhou Min", Role.STAFF)
MANAGER = Actor("it-mgr", "Wang Qiang", Role.MANAGER)
AUDITOR = Actor("it-aud", "Sun Li", Role.AUDITOR)


def ctx(actor: Actor = STAFF, now: datetime | None = None) -> Context:
    return Context(actor=actor, now=now or datetime.now(UTC),
                   correlation_id=f"test-{uuid.uuid4().hex[:8]}")


def new_id() -> str:
    return str(uuid.uuid4())


def register(customer_id: str | None = None, **changes: Any) -> RegisterCustomer:
    command = RegisterCustomer(customer_id=customer_id or new_id(),
                               organisation_name="华东五金有限公司")
    return replace(command, **changes)


def plan(customer_id: str, today: date, **changes: Any) -> PlanVisit:
    command = PlanVisit(visit_id=new_id(), customer_id=customer_id, planned_date=today,
                        purposes=(VisitPurpose.LEARN_NEEDS,), objectives=("了解明年采购计划",))
    return replace(command, **changes)


def log(visit_id: str, actual: date, **changes: Any) -> LogVisit:
    command = LogVisit(visit_id=visit_id, actual_date=actual,
                       received_by=Receiver("陈经理", "采购经理", True),
                       attitude_to_products="满意", training_minutes=60)
    return replace(command, **changes)


def unplanned(customer_id: str, actual: date, **changes: Any) -> LogVisit:
    return log(new_id(), actual, unplanned=True, customer_id=customer_id,
               purposes=(VisitPurpose.HELP_WITH_PROBLEM,), **changes)


def days_ago(today: date, n: int) -> date:
    return today - timedelta(days=n)


GM_ACTOR = Actor("it-gm", "Zhao Gang", Role.GENERAL_MANAGER)
