"""Messages of the sales side (RULES T2): the product catalogue, sales, imports, sign-offs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from events.store.envelope import Event

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefineProduct:
    """Adds a product to the catalogue, or renames one (the code is the key)."""

    code: str
    name: str


@dataclass(frozen=True)
class RecordSale:
    sale_id: str
    customer_id: str
    product_code: str
    amount_fen: int
    sold_on: date
    reference: str | None = None


@dataclass(frozen=True)
class ImportSales:
    """Many sales at once: all are written, or none is (one transaction)."""

    import_id: str
    sales: tuple[RecordSale, ...]


@dataclass(frozen=True)
class SignOffSalesTable:
    """T2's signature fields: 编制 (compiled by), 填写 (filled by), 审核 (reviewed by)."""

    year: int
    compiled_by: str
    filled_by: str
    reviewed_by: str


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductDefined(Event):
    code: str
    name: str


@dataclass(frozen=True)
class SaleRecorded(Event):
    sale_id: str
    customer_id: str
    product_code: str
    amount_fen: int
    sold_on: date  # a calendar day in the company time zone, as the sale was booked
    reference: str | None
    import_id: str | None = None


@dataclass(frozen=True)
class SalesImported(Event):
    """The import's own record: how many sales it wrote and their total."""

    import_id: str
    rows: int
    total_fen: int
    imported_on: date


@dataclass(frozen=True)
class SalesTableSignedOff(Event):
    year: int
    compiled_by: str
    filled_by: str
    reviewed_by: str
    signed_on: date
