"""GraphQL types of documents: a document as attached to a meal or a bill, and the loaders
that read the documents of a page of meals or bills in one query."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader

from projections.documents import queries
from schema.context import KehuContext
from schema.enums import DocumentKind
from schema.loaders import MAX_BATCH


@strawberry.type(description="A receipt or invoice attached to a meal's cost (M12) or a "
                 "restaurant bill (M13); the log's event names it by its SHA-256.")
class Document:
    sha256: str = strawberry.field(description="SHA-256 of the file's bytes (hex): its name.")
    size: int = strawberry.field(description="Size of the file in bytes.")
    media_type: str = strawberry.field(
        description="The media type read from the file's own bytes (image/jpeg, image/png, "
        "application/pdf, application/ofd).")
    kind: DocumentKind
    invoice_number: str | None = strawberry.field(
        description="The invoice number (发票号码) given when it was attached, if any.")
    attached_at: datetime = strawberry.field(description="When it was attached.")
    attached_by: str = strawberry.field(description="User id of whoever attached it.")
    bill_id: str | None = strawberry.field(
        description="For a bill's document: the bill it belongs to.")
    line_no: int | None = strawberry.field(
        description="For a bill's document: the line it belongs to (null: the whole bill).")

    @strawberry.field(description="Where to download it (GET, with the same bearer token); "
                      "seen by whoever sees the meal or bill it is attached to.")
    def download_url(self) -> str:
        return f"/documents/{self.sha256}"


def document_from_row(r: asyncpg.Record) -> Document:
    return Document(sha256=r["sha256"], size=r["size"], media_type=r["media_type"],
                    kind=DocumentKind(r["kind"]), invoice_number=r["invoice_number"],
                    attached_at=r["attached_at"], attached_by=r["attached_by"],
                    bill_id=r["bill_id"], line_no=r["line_no"])


def _loader(ctx: KehuContext, name: str, column: str) -> DataLoader[str, list[Document]]:
    loader: DataLoader[str, list[Document]] | None = ctx.per_request.get(name)
    if loader is None:
        read = queries.of_meals if column == "meal_id" else queries.of_bills

        async def load(keys: list[str]) -> list[list[Document]]:
            grouped: dict[str, list[Document]] = defaultdict(list)
            for row in await read(ctx.pool, keys):
                grouped[row[column]].append(document_from_row(row))
            return [grouped.get(k, []) for k in keys]

        loader = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
        ctx.per_request[name] = loader
    return loader


def meal_documents(ctx: KehuContext) -> DataLoader[str, list[Document]]:
    """The documents of each requested meal, in the order they were attached."""
    return _loader(ctx, "meal-documents", "meal_id")


def no_receipt_reasons(ctx: KehuContext) -> DataLoader[str, str | None]:
    """Why each requested meal's cost has no receipt (None: no reason given)."""
    loader: DataLoader[str, str | None] | None = ctx.per_request.get("no-receipt")
    if loader is None:
        async def load(keys: list[str]) -> list[str | None]:
            reasons = await queries.receipt_reasons(ctx.pool, keys)
            return [reasons.get(k) for k in keys]

        loader = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
        ctx.per_request["no-receipt"] = loader
    return loader


def bill_documents(ctx: KehuContext) -> DataLoader[str, list[Document]]:
    """The documents of each requested restaurant month (its bill stream id)."""
    return _loader(ctx, "bill-documents", "bill_stream")
