"""GraphQL enums over the domain's customer enums, wrapped exactly once.

strawberry.enum marks the domain class itself; wrapping it in two modules would declare the
GraphQL type twice. Every API module imports these names from here.
"""

from __future__ import annotations

import strawberry

from events.customers import values as cv

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
