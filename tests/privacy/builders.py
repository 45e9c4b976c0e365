"""Events and API documents the privacy tests share."""

from __future__ import annotations

from datetime import date

from events.customers.commands import CustomerRegistered
from events.customers.values import (
    AgeBand,
    Area,
    Classification,
    Contact,
    CustomerStatus,
    Gender,
    Region,
    Tier,
    WageBand,
)

PHONE = "13912345678"
NAME = "王秀英"


def registered(customer_id: str, name: str = NAME, phone: str = PHONE) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id, organisation_name="东风五金店", tier=Tier.GENERAL,
        status=CustomerStatus.ACTIVE,
        contacts=(Contact(name=name, title="店主", decision_maker=True, phone=phone),),
        classification=Classification(gender=Gender.FEMALE, age_band=AgeBand.FROM_46_TO_60,
                                      area=Area.URBAN, region=Region.EAST,
                                      wage_band=WageBand.OVER_3000),
        notes=f"{name}喜欢上午来访", source_visit_id=None, registered_on=date(2026, 3, 2))
