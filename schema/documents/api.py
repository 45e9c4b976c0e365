"""Documents over GraphQL: attach an uploaded receipt or invoice to a meal's cost (M12) or a
restaurant bill (M13), explain a cost without a receipt, and the findings the manager sees.

The bytes themselves are uploaded first with `POST /documents` (schema/documents/http.py),
which answers their SHA-256; a mutation here attaches them by that hash.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

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
from schema.common import MutationOk
from schema.context import KehuContext, Services
from schema.documents.findings import DocumentQueries
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


QUERIES: list[type] = [DocumentQueries]
MUTATIONS: list[type] = [DocumentMutations]
SUBSCRIPTIONS: list[type] = []
