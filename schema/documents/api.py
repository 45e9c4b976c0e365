"""Documents over GraphQL: attach an uploaded receipt or invoice to a meal's cost (M12) or a
restaurant bill (M13), explain a cost without a receipt, and the findings the manager sees.

The bytes themselves are uploaded first with `POST /documents` (schema/documents/http.py),
which answers their SHA-256; a mutation here attaches them by that hash.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, TypeAlias

import asyncpg
import strawberry
from strawberry.types import Info

from events.documents.commands import AttachBillDocument, AttachMealDocument, ExplainMissingReceipt
from events.documents.handlers import (
    attach_bill_document,
    attach_meal_document,
    explain_missing_receipt,
)
from events.documents.postgres import PostgresDocuments
from events.documents.storage import DocumentStorage
from events.shared.context import Context
from events.shared.validation import MAX_ID
from projections.documents import queries
from schema.common import MutationOk
from schema.context import BadInput, KehuContext, Services, ctx_of
from schema.enums import DocumentKind
from schema.errors import MutationErrors
from schema.meals.inputs import bounded, meal_id
from schema.mutations import mutate, ok_fields


def storage(services: Services) -> DocumentStorage:
    # KEHU_DOCUMENT_STORAGE: only PostgreSQL is built (Settings refuses anything else).
    return PostgresDocuments(services.pool)


@strawberry.input(description="M12: a stored document (POST /documents) for a meal's cost.")
class AttachMealDocumentInput:
    meal_id: strawberry.ID
    sha256: str = strawberry.field(description="The SHA-256 POST /documents answered.")
    kind: DocumentKind
    invoice_number: str | None = strawberry.field(
        default=None, description="The invoice number (发票号码); with kind INVOICE only.")


@strawberry.input(description="M13: a stored document (POST /documents) for a restaurant's "
                  "monthly bill or one of its lines.")
class AttachBillDocumentInput:
    restaurant: str
    month: str
    sha256: str = strawberry.field(description="The SHA-256 POST /documents answered.")
    kind: DocumentKind
    bill_id: str | None = strawberry.field(
        default=None, description="The bill (default: the month's bill being audited).")
    line_no: int | None = strawberry.field(
        default=None, description="The bill line it belongs to (default: the whole bill).")
    invoice_number: str | None = strawberry.field(
        default=None, description="The invoice number (发票号码); with kind INVOICE only.")


@strawberry.input(description="M12: why a meal's cost has no receipt.")
class ExplainMissingReceiptInput:
    meal_id: strawberry.ID
    reason: str


@strawberry.type(description="A document was attached, or a missing receipt explained.")
class DocumentMutationOk(MutationOk):
    meal_id: str | None = strawberry.field(description="The meal, for a meal's document.")
    bill_id: str | None = strawberry.field(description="The bill, for a bill's document.")
    sha256: str | None = strawberry.field(description="The document (null for an explanation).")

    @strawberry.field(description="Where to download the document (null for an explanation).")
    def download_url(self) -> str | None:
        return f"/documents/{self.sha256}" if self.sha256 else None


AttachMealDocumentResult: TypeAlias = Annotated[DocumentMutationOk | MutationErrors,
                                                 strawberry.union("AttachMealDocumentResult")]
AttachBillDocumentResult: TypeAlias = Annotated[DocumentMutationOk | MutationErrors,
                                                 strawberry.union("AttachBillDocumentResult")]
ExplainMissingReceiptResult: TypeAlias = Annotated[
    DocumentMutationOk | MutationErrors, strawberry.union("ExplainMissingReceiptResult")]


def _invoice(number: str | None) -> str | None:
    return bounded(number.strip(), "invoiceNumber", 100) if number is not None else None


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(description="M12: attach a receipt or invoice to a meal's cost; the "
                         "staff member who held the meal or a manager.")
    async def attach_meal_document(self, info: Info[Any, Any], input: AttachMealDocumentInput,
                                   idempotency_key: str | None = None,
                                   ) -> AttachMealDocumentResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> DocumentMutationOk:
            command = AttachMealDocument(meal_id(input.meal_id), bounded(input.sha256, "sha256"),
                                         input.kind, _invoice(input.invoice_number))
            outcome = await attach_meal_document(ctx.store, storage(ctx.services), command_ctx,
                                                 command, idempotency_key=key)
            return DocumentMutationOk(**ok_fields(outcome), meal_id=command.meal_id,
                                      bill_id=None, sha256=command.sha256)

        return await mutate(info, idempotency_key, action)

    @strawberry.mutation(description="M12: say why a meal's cost has no receipt; without a "
                         "receipt or a reason the cost stays an open finding.")
    async def explain_missing_receipt(self, info: Info[Any, Any],
                                      input: ExplainMissingReceiptInput,
                                      idempotency_key: str | None = None,
                                      ) -> ExplainMissingReceiptResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> DocumentMutationOk:
            command = ExplainMissingReceipt(meal_id(input.meal_id),
                                            bounded(input.reason, "reason", 2000))
            outcome = await explain_missing_receipt(ctx.store, command_ctx, command,
                                                    idempotency_key=key)
            return DocumentMutationOk(**ok_fields(outcome), meal_id=command.meal_id,
                                      bill_id=None, sha256=None)

        return await mutate(info, idempotency_key, action)

    @strawberry.mutation(description="M13: attach a document to a restaurant's monthly bill "
                         "or one of its lines; a manager.")
    async def attach_bill_document(self, info: Info[Any, Any], input: AttachBillDocumentInput,
                                   idempotency_key: str | None = None,
                                   ) -> AttachBillDocumentResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> DocumentMutationOk:
            command = AttachBillDocument(
                bounded(input.restaurant, "restaurant"), bounded(input.month, "month", 7),
                bounded(input.sha256, "sha256"), input.kind,
                bounded(input.bill_id, "billId") if input.bill_id is not None else None,
                input.line_no, _invoice(input.invoice_number))
            outcome = await attach_bill_document(ctx.store, storage(ctx.services), command_ctx,
                                                 command, idempotency_key=key)
            papers = outcome.state
            bill = papers.bill if papers is not None else None
            return DocumentMutationOk(
                **ok_fields(outcome), meal_id=None,
                bill_id=command.bill_id or (bill.bill_id if bill else None),
                sha256=command.sha256)

        return await mutate(info, idempotency_key, action)


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
        at_least: int | None = None,
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


QUERIES: list[type] = [DocumentQueries]
MUTATIONS: list[type] = [DocumentMutations]
SUBSCRIPTIONS: list[type] = []
