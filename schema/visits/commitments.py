"""Commitments (V11) and follow-ups (V12) as cursor pages. Overdue and due are judged against
the company time zone's today, at read time."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from events.shared.actors import Role
from projections.paging import Where, cursor_values
from projections.visits.queries import (
    commitment_page,
    commitment_where,
    only_follow_ups,
    only_overdue,
)
from schema.common import Connection, connection
from schema.context import ctx_of, require_reader
from schema.customers.api import company_today
from schema.positions import Position
from schema.visits.inputs import CommitmentFilter
from schema.visits.types import Commitment

READERS = (Role.STAFF, Role.MANAGER, Role.GENERAL_MANAGER, Role.AUDITOR)


def _where(info: Info[Any, Any], f: CommitmentFilter | None) -> Where:
    require_reader(info, *READERS)
    f = f or CommitmentFilter()
    return commitment_where(company_today(info), ctx_of(info).visible_owner(),
                            customer_id=f.customer_id, visit_id=f.visit_id, owner_id=f.owner_id)


async def _page(info: Info[Any, Any], where: Where, first: int | None, after: str | None,
                at_least: int | None, by: str) -> Connection[Commitment]:
    ctx = ctx_of(info)
    limit = ctx.page_size(first)
    position = cursor_values(after, date, str, str)
    await ctx.read_after(at_least)
    rows, total = await commitment_page(ctx.pool, where, position, limit, by=by)
    return connection(rows, limit, total, node=Commitment.from_row,  # type: ignore[no-any-return]
                      key=lambda r: (r[by], r["visit_id"], r["commitment_id"]))


@strawberry.type
class CommitmentQueries:
    @strawberry.field(description="Commitments (V11), soonest due first. overdue: true lists "
                      "open ones past their due date (company time zone); false, the rest.")
    async def commitments(
        self, info: Info[Any, Any], overdue: bool | None = None,
        filter: CommitmentFilter | None = None, first: int | None = None,
        after: str | None = None, at_least: Position | None = None,
    ) -> Connection[Commitment]:
        where = _where(info, filter)
        only_overdue(where, overdue)
        return await _page(info, where, first, after, at_least, "due_date")

    @strawberry.field(description="Follow-up visits (V12) of fulfilled commitments, soonest due "
                      "first. due: true lists those still to be made, false those made; "
                      "overdue: true those still to be made after their due date.")
    async def follow_ups(
        self, info: Info[Any, Any], due: bool | None = None, overdue: bool | None = None,
        filter: CommitmentFilter | None = None, first: int | None = None,
        after: str | None = None, at_least: Position | None = None,
    ) -> Connection[Commitment]:
        where = _where(info, filter)
        only_follow_ups(where, due, overdue)
        return await _page(info, where, first, after, at_least, "follow_up_due")
