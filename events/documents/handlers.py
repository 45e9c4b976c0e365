"""Handlers of the documents context: look up the stored document, then decide on the meal's
or the bill's own stream (so the attachment is ordered with the meal's or bill's other events
and a concurrent change makes the decision run again)."""

from __future__ import annotations

from events.bills import model as bills
from events.documents import model
from events.documents.commands import AttachBillDocument, AttachMealDocument, ExplainMissingReceipt
from events.documents.state import BillPapers, MealPapers, evolve_bill, evolve_meal
from events.documents.storage import DocumentStorage
from events.documents.values import valid_sha256
from events.handling import Decision, Outcome, Stream, run
from events.meals import model as meals
from events.shared.context import Context
from events.store.event_store import EventStore


def meal_papers(meal_id: str) -> Stream[MealPapers]:
    return Stream(meals.stream_id(meal_id), meals.STREAM_TYPE, evolve_meal)


def bill_papers(restaurant: str, month: str) -> Stream[BillPapers]:
    return Stream(bills.stream_id(restaurant, month), bills.STREAM_TYPE, evolve_bill)


async def attach_meal_document(
    store: EventStore, documents: DocumentStorage, ctx: Context, command: AttachMealDocument,
    *, idempotency_key: str | None = None,
) -> Outcome[MealPapers]:
    async def decide(state: MealPapers | None) -> Decision:
        stored = await documents.info(command.sha256) if valid_sha256(command.sha256) else None
        return Decision(model.attach_to_meal(state, command, ctx, stored))

    return await run(store, ctx, meal_papers(command.meal_id), command, decide,
                     idempotency_key=idempotency_key)


async def explain_missing_receipt(
    store: EventStore, ctx: Context, command: ExplainMissingReceipt, *,
    idempotency_key: str | None = None,
) -> Outcome[MealPapers]:
    async def decide(state: MealPapers | None) -> Decision:
        return Decision(model.explain_missing_receipt(state, command, ctx))

    return await run(store, ctx, meal_papers(command.meal_id), command, decide,
                     idempotency_key=idempotency_key)


async def attach_bill_document(
    store: EventStore, documents: DocumentStorage, ctx: Context, command: AttachBillDocument,
    *, idempotency_key: str | None = None,
) -> Outcome[BillPapers]:
    async def decide(state: BillPapers | None) -> Decision:
        stored = await documents.info(command.sha256) if valid_sha256(command.sha256) else None
        return Decision(model.attach_to_bill(state, command, ctx, stored))

    return await run(store, ctx, bill_papers(command.restaurant, command.month), command,
                     decide, idempotency_key=idempotency_key)
