"""Restaurant bills over GraphQL (M13): record a month's bill, settle it against the signed
meals (each matched meal gets MealSettled in the same append), and read bill vs signed meals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeAlias

import asyncpg
import strawberry
from strawberry.types import Info

from events.bills import model as restaurant_bills
from events.bills.handlers import record_bill, settle_bill
from events.bills.matching import restaurant_key
from events.bills.model import (
    RecordRestaurantBill,
    RestaurantBillState,
    SettleRestaurantBill,
)
from events.handling import Outcome
from events.shared.context import Context
from events.store.codec import to_data
from projections.meals.projection import signed_unsettled_ids
from projections.runner import wait_for_position
from schema.common import MutationOk, yuan
from schema.context import BadInput, KehuContext, ctx_of
from schema.documents.types import Document, bill_documents
from schema.errors import MutationErrors
from schema.meals.inputs import (
    RecordRestaurantBillInput,
    SettleRestaurantBillInput,
    bounded,
)
from schema.mutations import mutate, ok_fields
from schema.positions import Position


@strawberry.type
class SettledLine:
    line_no: int
    meal_id: str
    amount: str


@strawberry.type(description="A discrepancy (M13): a bill line without its signed meal, or a "
                 "signed meal of the month the bill omits.")
class Discrepancy:
    line_no: int | None
    meal_id: str | None
    reason: str
    message: str


@strawberry.type
class BillMutationOk(MutationOk):
    bill_id: str
    restaurant: str
    month: str
    settled: bool
    settled_total: str | None
    matched: list[SettledLine]
    discrepancies: list[Discrepancy]


RecordRestaurantBillResult: TypeAlias = Annotated[BillMutationOk | MutationErrors,
                                                   strawberry.union("RecordRestaurantBillResult")]
SettleRestaurantBillResult: TypeAlias = Annotated[BillMutationOk | MutationErrors,
                                                   strawberry.union("SettleRestaurantBillResult")]


def discrepancies_of(lines: Sequence[dict[str, Any]],
                     meals: Sequence[dict[str, Any]]) -> list[Discrepancy]:
    # A line that names a meal (with another amount, say) carries that meal's id (M13).
    return [Discrepancy(line_no=d["line_no"], meal_id=d.get("meal_id"), reason=d["reason"],
                        message=d["message"]) for d in lines] + [
        Discrepancy(line_no=None, meal_id=d["meal_id"], reason=d["reason"],
                    message=d["message"]) for d in meals]


def _bill_answer(outcome: Outcome[RestaurantBillState]) -> BillMutationOk:
    bill = outcome.state
    assert bill is not None
    settled = bill.settlement
    common = {**ok_fields(outcome), "bill_id": bill.bill_id, "restaurant": bill.restaurant,
              "month": bill.month}
    if settled is None:
        return BillMutationOk(**common, settled=False, settled_total=None, matched=[],
                              discrepancies=[])
    return BillMutationOk(
        **common, settled=True, settled_total=yuan(settled.settled_total_fen),
        matched=[SettledLine(line_no=m.line_no, meal_id=m.meal_id, amount=yuan(m.amount_fen)
                             or "") for m in settled.matched],
        discrepancies=discrepancies_of(to_data(list(settled.unmatched_lines)),
                                       to_data(list(settled.unmatched_meals))),
    )


def _candidates(ctx: KehuContext) -> Any:
    async def candidates(restaurant: str) -> list[str]:
        # The meals projection is the index of signed meals: let it catch up with the log
        # first, so a meal signed a moment ago is not reported as missing from the bill.
        head = await ctx.store.head_position()
        if not await wait_for_position(ctx.pool, ["meals"], head,
                                       ctx.settings.read_your_writes_timeout_s):
            raise BadInput("the meals view is behind the log; try again shortly")
        return await signed_unsettled_ids(ctx.pool, restaurant)

    return candidates


@strawberry.type
class BillMutations:
    @strawberry.mutation(description="M13: record (or, before settlement, correct) a designated "
                         "restaurant's bill for a month.")
    async def record_restaurant_bill(self, info: Info[Any, Any],
                                     input: RecordRestaurantBillInput,
                                     idempotency_key: str | None = None,
                                     ) -> RecordRestaurantBillResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> BillMutationOk:
            restaurant = bounded(input.restaurant, "restaurant")
            month = bounded(input.month, "month", 7)
            stream = restaurant_bills.stream_id(restaurant, month)
            bill_id = bounded(input.bill_id, "billId") if input.bill_id else stream
            command = RecordRestaurantBill(bill_id, restaurant, month,
                                           tuple(line.to_line() for line in input.lines))
            return _bill_answer(await record_bill(ctx.store, command_ctx, command,
                                                  idempotency_key=key))

        return await mutate(info, idempotency_key, action)

    @strawberry.mutation(description="M13: audit the month's bill against the signed meals and "
                         "settle it; unmatched lines and meals are discrepancies with reasons.")
    async def settle_restaurant_bill(self, info: Info[Any, Any],
                                     input: SettleRestaurantBillInput,
                                     idempotency_key: str | None = None,
                                     ) -> SettleRestaurantBillResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> BillMutationOk:
            command = SettleRestaurantBill(bounded(input.restaurant, "restaurant"),
                                           bounded(input.month, "month", 7),
                                           bounded(input.note, "note", 2000))
            return _bill_answer(await settle_bill(ctx.store, command_ctx, command,
                                                  candidates=_candidates(ctx),
                                                  idempotency_key=key))

        return await mutate(info, idempotency_key, action)


@strawberry.type(description="One restaurant's month: the bill beside the signed meals (M13).")
class RestaurantMonth:
    restaurant: str
    month: str
    bill_id: str | None = strawberry.field(description="The month's first bill.")
    bill_ids: list[str] = strawberry.field(
        description="Every bill of the month: the first, then supplementary bills (M13).")
    bill_total: str | None = strawberry.field(
        description="All bills of the month together; null in a staff member's own view.")
    line_count: int
    signed_meals: int = strawberry.field(description="Signed or settled meals of the month.")
    signed_total: str
    difference: str | None = strawberry.field(description="Bill total minus signed total.")
    settled: bool
    settled_total: str | None
    discrepancies: list[Discrepancy]
    own_only: strawberry.Private[bool] = False

    @strawberry.field(description="M13: documents attached to the month's bills and their "
                      "lines; empty in a staff member's own view (a bill covers others' meals).")
    async def documents(self, info: Info[Any, Any]) -> list[Document]:
        if self.own_only:
            return []
        stream = restaurant_bills.stream_id(self.restaurant, self.month)
        return await bill_documents(ctx_of(info)).load(stream)


def month_from_row(r: asyncpg.Record, own_only: bool = False) -> RestaurantMonth:
    """`own_only`: a staff member's view, their own meals only. The bill's totals cover other
    people's meals too, so they are left out; discrepancies are those naming their meals."""
    bill, signed = r["total_fen"], int(r["signed_fen"] or 0)
    lines = [d for group in r["unmatched_lines"] or [] for d in group]
    meals = [d for group in r["unmatched_meals"] or [] for d in group]
    if own_only:
        mine = set(r["meal_ids"] or [])
        lines = [d for d in lines if d.get("meal_id") in mine]
        meals = [d for d in meals if d.get("meal_id") in mine]
        bill = None
    bill_ids = list(r["bill_ids"] or [])
    return RestaurantMonth(
        restaurant=r["restaurant"], month=r["month"], bill_id=bill_ids[0] if bill_ids else None,
        bill_ids=bill_ids, bill_total=yuan(bill),
        line_count=0 if own_only else r["line_count"] or 0,
        signed_meals=int(r["signed_count"] or 0), signed_total=yuan(signed) or "0.00",
        difference=yuan(bill - signed) if bill is not None else None,
        settled=bool(r["settled"]),
        settled_total=None if own_only else yuan(r["settled_total_fen"]),
        discrepancies=discrepancies_of(lines, meals), own_only=own_only,
    )


# $4: the staff member whose meals alone are shown (NULL: everyone's). A month may have a
# supplementary bill after the first one's settlement (M13): the bills are summed.
_MONTH_SQL = """
WITH signed AS (
    SELECT restaurant_key, min(restaurant) AS restaurant, count(*) AS signed_count,
           sum(amount_fen)::bigint AS signed_fen, array_agg(meal_id) AS meal_ids
    FROM meal_expenses
    WHERE (signed OR settled) AND NOT closed
      AND to_char(meal_at AT TIME ZONE $2, 'YYYY-MM') = $1
      AND ($4::text IS NULL OR requested_by = $4)
    GROUP BY restaurant_key
), bills AS (
    SELECT restaurant_key, min(restaurant) AS restaurant,
           array_agg(bill_id ORDER BY settled DESC, bill_id) AS bill_ids,
           sum(total_fen)::bigint AS total_fen, sum(line_count)::int AS line_count,
           bool_and(settled) AS settled, sum(settled_total_fen)::bigint AS settled_total_fen,
           jsonb_agg(unmatched_lines) AS unmatched_lines,
           jsonb_agg(unmatched_meals) AS unmatched_meals
    FROM restaurant_bills WHERE month = $1 GROUP BY restaurant_key
)
SELECT coalesce(b.restaurant, s.restaurant) AS restaurant, $1 AS month, b.bill_ids,
       b.total_fen, b.line_count, b.settled, b.settled_total_fen, b.unmatched_lines,
       b.unmatched_meals, s.signed_count, s.signed_fen, s.meal_ids
FROM bills b
FULL JOIN signed s ON s.restaurant_key = b.restaurant_key
WHERE ($3::text IS NULL OR coalesce(b.restaurant_key, s.restaurant_key) = $3)
  AND ($4::text IS NULL OR s.restaurant_key IS NOT NULL)
ORDER BY 1
"""


@strawberry.type
class BillQueries:
    @strawberry.field(description="M13: per restaurant, the month's bills vs its signed meals. "
                      "Staff see only restaurants and discrepancies of their own meals, without "
                      "the bill totals (which include other people's meals).")
    async def restaurant_bills(self, info: Info[Any, Any], month: str,
                               restaurant: str | None = None,
                               at_least: Position | None = None) -> list[RestaurantMonth]:
        ctx = ctx_of(info)
        owner = ctx.visible_owner()
        await ctx.read_after(at_least)
        key = restaurant_key(restaurant[:200]) if restaurant is not None else None
        rows = await ctx.pool.fetch(_MONTH_SQL, month[:7], ctx.settings.timezone.key, key, owner)
        return [month_from_row(r, own_only=owner is not None) for r in rows]
