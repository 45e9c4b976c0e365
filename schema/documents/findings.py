"""Findings about the paper of meals and bills (M12, M13) the manager sees: the same file on
two meals, an invoice number seen twice, a cost without a receipt or a reason."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from events.shared.validation import MAX_ID
from projections.documents import queries
from schema.context import BadInput, ctx_of
from schema.positions import Position


class DocumentFindingKind(Enum):
    DUPLICATE_DOCUMENT = "DUPLICATE_DOCUMENT"
    DUPLICATE_INVOICE_NUMBER = "DUPLICATE_INVOICE_NUMBER"
    MISSING_RECEIPT = "MISSING_RECEIPT"


strawberry.enum(DocumentFindingKind, description="What a document finding is about: the same "
                "file on two meals, an invoice number seen twice, or a meal's cost without a "
                "receipt or a reason (M12).")


@strawberry.type(description="Something about the paper of meals and bills a manager should "
                 "look at (M12, M13). Staff see only their own meals' missing receipts.")
class DocumentFinding:
    kind: DocumentFindingKind
    rule: str = strawberry.field(description="The rule ID (docs/rules.md) it concerns.")
    message: str = strawberry.field(description="What was found and what to do next.")
    sha256: str | None = strawberry.field(description="The document, for a duplicate document.")
    invoice_number: str | None = strawberry.field(
        description="The invoice number, for a duplicate invoice number.")
    meal_ids: list[str] = strawberry.field(description="The meals involved.")
    bill_ids: list[str] = strawberry.field(description="The bills involved.")
    at: datetime = strawberry.field(description="When it last changed.")


def finding(kind: str, r: asyncpg.Record) -> DocumentFinding:
    # Each message's template has its zh-CN entry in schema/i18n (the Translate extension).
    meals, number = ", ".join(r["meal_ids"]), r["invoice_number"]
    if kind == "DUPLICATE_DOCUMENT":
        rule, message = "M12", f"the same document is attached to meals {meals}"
    elif kind == "DUPLICATE_INVOICE_NUMBER":
        places = ", ".join([*r["meal_ids"], *r["bill_ids"]])
        rule = "M12" if r["meal_ids"] else "M13"
        message = f"invoice number {number} is given on several documents: {places}"
    else:
        rule, meal = "M12", meals
        message = (f"meal {meal} has its cost recorded without a receipt: attach one "
                   "(attachMealDocument) or say why (explainMissingReceipt)")
    return DocumentFinding(kind=DocumentFindingKind(kind), rule=rule, message=message,
                           sha256=r["sha256"], invoice_number=r["invoice_number"],
                           meal_ids=list(r["meal_ids"]), bill_ids=list(r["bill_ids"]),
                           at=r["at"])


@strawberry.type
class DocumentQueries:
    @strawberry.field(description="M12/M13: the same document on two meals, an invoice number "
                      "seen twice, meals whose cost has neither a receipt nor a reason; newest "
                      "first.")
    async def document_findings(
        self, info: Info[Any, Any], first: int | None = None,
        meal_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only the findings involving this meal.")] = None,
        at_least: Position | None = None,
    ) -> list[DocumentFinding]:
        ctx = ctx_of(info)
        owner = ctx.visible_owner()
        limit = ctx.page_size(first)
        meal = str(meal_id) if meal_id is not None else None
        if meal is not None and len(meal) > MAX_ID:
            raise BadInput(f"at most {MAX_ID} characters", field="mealId")
        await ctx.read_after(at_least)
        rows = await queries.findings(ctx.pool, owner, limit, meal)
        return [finding(r["kind"], r) for r in rows]
