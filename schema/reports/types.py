"""GraphQL types of the report tables and aggregates; rows are converted at the edge here."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from events.customers import values as cv
from projections.figures import avg_fen, wan_yuan
from projections.sales.aggregate import Group
from projections.sales.analysis import Signature
from schema.common import yuan
from schema.enums import CustomerStatus, CustomerTier, Region  # noqa: F401


@strawberry.type(description="An amount in yuan (exact) and in 万元 (4 decimals, half up).")
class Money:
    yuan: str
    wan_yuan: str = strawberry.field(description="10,000 yuan; rounded half up to 1 yuan.")

    @classmethod
    def of(cls, fen: int) -> Money:
        return cls(yuan=yuan(fen) or "0.00", wan_yuan=wan_yuan(fen))


@strawberry.type
class SalesColumn:
    code: str
    name: str


@strawberry.type(description="Figures in column order, as parallel lists of decimal strings "
                 "(a table, not one object per cell: a 100-row page stays cheap to serve).")
class SalesFigures:
    yuan: list[str]
    wan_yuan: list[str] = strawberry.field(description="万元, 4 decimals, rounded half up.")

    @classmethod
    def of(cls, fens: list[int]) -> SalesFigures:
        return cls(yuan=[yuan(f) or "0.00" for f in fens], wan_yuan=[wan_yuan(f) for f in fens])


@strawberry.type
class SalesAnalysisRow:
    customer_id: strawberry.ID
    customer_name: str
    cells: SalesFigures = strawberry.field(description="One figure per column.")
    total: Money


@strawberry.type(description="T2 signature fields: 编制, 填写, 审核.")
class SalesTableSignature:
    compiled_by: str
    filled_by: str
    reviewed_by: str
    signed_on: date
    signed_by: str

    @classmethod
    def of(cls, s: Signature | None) -> SalesTableSignature | None:
        return None if s is None else cls(compiled_by=s.compiled_by, filled_by=s.filled_by,
                                          reviewed_by=s.reviewed_by, signed_on=s.signed_on,
                                          signed_by=s.signed_by)


@strawberry.enum(description="What sales aggregates group by.")
class SalesDimension(Enum):
    CUSTOMER = "customer"
    CUSTOMER_TIER = "customer_tier"
    PRODUCT = "product"
    REGION = "region"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@strawberry.enum(description="Group order; ties are broken by the group keys.")
class SalesAggregateOrder(Enum):
    KEY = "key"
    SUM_DESC = "sum_desc"
    SUM_ASC = "sum_asc"
    COUNT_DESC = "count_desc"
    COUNT_ASC = "count_asc"
    AVG_DESC = "avg_desc"
    AVG_ASC = "avg_asc"
    MIN_ASC = "min_asc"
    MAX_DESC = "max_desc"


@strawberry.type(description="One group: keys not grouped by are null. Money in yuan.")
class SalesGroup:
    customer_id: strawberry.ID | None
    customer_name: str | None
    customer_tier: CustomerTier | None
    product_code: str | None
    region: Region | None
    month: str | None = strawberry.field(description="YYYY-MM")
    quarter: str | None = strawberry.field(description="YYYY-Qn")
    year: int | None
    sum: str
    count: int
    avg: str = strawberry.field(description="Mean per sale, rounded half up to the fen.")
    min: str
    max: str
    unknown: list[SalesDimension] = strawberry.field(
        description="Dimensions grouped by whose value is not known for this group (a customer "
        "with no region or tier recorded): their field is null here because the value is "
        "unknown. A null field whose dimension is not listed was not grouped by.")

    @classmethod
    def of(cls, g: Group, names: dict[str, str], *, show_year: bool) -> SalesGroup:
        k = g.key
        customer = k.get("customer_id")
        month = k.get("month")
        quarter = k.get("quarter")
        tier, region = k.get("tier"), k.get("region")
        return cls(
            customer_id=strawberry.ID(customer) if customer else None,
            customer_name=names.get(customer) if customer else None,
            customer_tier=cv.Tier(tier) if tier else None,
            product_code=k.get("product_code"),
            region=cv.Region(region) if region else None,
            month=f"{month:%Y-%m}" if month else None,
            quarter=f"{k['year']}-Q{quarter}" if quarter else None,
            year=k.get("year") if show_year else None,
            sum=yuan(g.sum_fen) or "0.00", count=g.count,
            avg=yuan(avg_fen(g.sum_fen, g.count)) or "0.00",
            min=yuan(g.min_fen) or "0.00", max=yuan(g.max_fen) or "0.00",
            unknown=[d for d, column in ((SalesDimension.REGION, "region"),
                                         (SalesDimension.CUSTOMER_TIER, "tier"))
                     if column in k and not k[column]],
        )
