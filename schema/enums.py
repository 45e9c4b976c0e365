"""GraphQL enums over the domain's enums, wrapped exactly once, here.

strawberry.enum marks the domain class itself; wrapping it in two modules would declare the
GraphQL type twice. Every API module imports these names from here.
"""

from __future__ import annotations

import strawberry

from events.customers import values as cv
from events.documents import values as dv
from events.meals import rules, state
from events.policy import values as pv

# Aliases of the domain classes (so type checkers see classes), each wrapped once below.
CustomerTier = cv.Tier
strawberry.enum(CustomerTier, name="CustomerTier", description="The customer's tier (M5).")
CustomerStatus = cv.CustomerStatus
strawberry.enum(CustomerStatus, name="CustomerStatus")
CreditDirection = cv.CreditDirection
strawberry.enum(CreditDirection, name="CreditDirection")
Gender = cv.Gender
strawberry.enum(Gender, name="Gender")
AgeBand = cv.AgeBand
strawberry.enum(AgeBand, name="AgeBand")
Area = cv.Area
strawberry.enum(Area, name="Area")
Region = cv.Region
strawberry.enum(Region, name="Region")
Spending = cv.Spending
strawberry.enum(Spending, name="Spending")
DemandType = cv.DemandType
strawberry.enum(DemandType, name="DemandType")
WageBand = cv.WageBand
strawberry.enum(WageBand, name="WageBand")
BuyingChannel = cv.BuyingChannel
strawberry.enum(BuyingChannel, name="BuyingChannel")

# The rule book's and meals' vocabulary: the domain's own enums are the GraphQL enums.
MealType = pv.MealType
strawberry.enum(MealType, description="The standard of a meal (M3/M5).")
Host = pv.Host
strawberry.enum(Host, description="Who gives the meal, which decides the banquet cap (M5).")
MealStatus = state.MealStatus
strawberry.enum(MealStatus, description="Where a meal request is in its life cycle.")
Severity = rules.Severity
strawberry.enum(Severity, name="FindingSeverity",
                description="block: refused unless an approved exception (M6); warn: guidance.")
DocumentKind = dv.DocumentKind
strawberry.enum(DocumentKind, description="What a document is: the restaurant's receipt (小票) "
                "or the tax invoice (发票).")
