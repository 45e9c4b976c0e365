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
from schema.errors import MutationErrors
from schema.meals.inputs import (
    RecordRestaurantBillInput,
    SettleRestaurantBillInput,
    bounded,
)
from schema.mutations import mutate, ok_fields


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
    return [Discrepancy(line_no=d["line_no"], meal_id=None, reason=d["reason"],
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
    bill_id: str | None
    bill_total: str | None
    line_count: int
    signed_meals: int = strawberry.field(description="Signed or settled meals of the month.")
    signed_total: str
    difference: str | None = strawberry.field(description="Bill total minus signed total.")
    settled: bool
    settled_total: str | None
    discrepancies: list[Discrepancy]


def month_from_row(r: asyncpg.Record) -> RestaurantMonth:
    bill, signed = r["total_fen"], int(r["signed_fen"] or 0)
    return RestaurantMonth(
        restaurant=r["restaurant"], month=r["month"], bill_id=r["bill_id"],
        bill_total=yuan(bill), line_count=r["line_count"] or 0,
        signed_meals=int(r["signed_count"] or 0), signed_total=yuan(signed) or "0.00",
        difference=yuan(bill - signed) if bill is not None else None,
        settled=bool(r["settled"]), settled_total=yuan(r["settled_total_fen"]),
        discrepancies=discrepancies_of(r["unmatched_lines"] or [], r["unmatched_meals"] or []),
    )


_MONTH_SQL = """
WITH signed AS (
    SELECT restaurant_key, min(restaurant) AS restaurant, count(*) AS signed_count,
           sum(amount_fen) AS signed_fen
    FROM meal_expenses
    WHERE (signed OR settled) AND NOT closed
      AND to_char(meal_at AT TIME ZONE $2, 'YYYY-MM') = $1
    GROUP BY restaurant_key
)
SELECT coalesce(b.restaurant, s.restaurant) AS restaurant, $1 AS month, b.bill_id,
       b.total_fen, b.line_count, b.settled, b.settled_total_fen, b.unmatched_lines,
       b.unmatched_meals, s.signed_count, s.signed_fen
FROM (SELECT * FROM restaurant_bills WHERE month = $1) b
FULL JOIN signed s ON s.restaurant_key = b.restaurant_key
WHERE $3::text IS NULL OR coalesce(b.restaurant_key, s.restaurant_key) = $3
ORDER BY 1
"""


@strawberry.type
class BillQueries:
    @strawberry.field(description="M13: per restaurant, the month's bill vs its signed meals.")
    async def restaurant_bills(self, info: Info[Any, Any], month: str,
                               restaurant: str | None = None,
                               at_least: int | None = None) -> list[RestaurantMonth]:
        ctx = ctx_of(info)
        ctx.require_actor()
        await ctx.read_after(at_least)
        key = restaurant_key(restaurant[:200]) if restaurant is not None else None
        rows = await ctx.pool.fetch(_MONTH_SQL, month[:7], ctx.settings.timezone.key, key)
        return [month_from_row(r) for r in rows]
