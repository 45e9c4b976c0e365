"""Visits, commitments and follow-ups over GraphQL (RULES V1-V12).

Mutations: planVisit, logVisit, fileVisitReport, recordCommitment, fulfillCommitment,
logFollowUp. Queries: visit, visits, commitments, followUps. Staff see only their own visits
(unless KEHU_STAFF_SEE_ALL); managers, the general manager and auditors see all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeAlias, TypeVar

import strawberry
from strawberry.types import Info

from events.handling import Outcome
from events.shared.actors import Role
from events.shared.context import Context
from events.visits.handlers import handle_visit, log_visit
from events.visits.model import VisitState
from projections.paging import cursor_values, date_range
from projections.visits.queries import visit_by_id, visit_page, visit_where
from schema.common import Connection, connection
from schema.context import KehuContext, ctx_of, require_reader
from schema.entity_ids import new_id, ref
from schema.errors import MutationErrors
from schema.mutations import IdempotencyKey, mutate, ok_fields
from schema.positions import Position
from schema.visits.commitments import CommitmentQueries
from schema.visits.inputs import (
    FileVisitReportInput,
    FulfillCommitmentInput,
    LogFollowUpInput,
    LogVisitInput,
    PlanVisitInput,
    RecordCommitmentInput,
    VisitFilter,
)
from schema.visits.types import CommitmentMutationOk, LogVisitOk, Visit, VisitMutationOk

T = TypeVar("T")

PlanVisitResult: TypeAlias = Annotated[VisitMutationOk | MutationErrors,
                                        strawberry.union("PlanVisitResult")]
LogVisitResult: TypeAlias = Annotated[LogVisitOk | MutationErrors,
                                       strawberry.union("LogVisitResult")]
FileVisitReportResult: TypeAlias = Annotated[VisitMutationOk | MutationErrors,
                                              strawberry.union("FileVisitReportResult")]
RecordCommitmentResult: TypeAlias = Annotated[CommitmentMutationOk | MutationErrors,
                                               strawberry.union("RecordCommitmentResult")]
FulfillCommitmentResult: TypeAlias = Annotated[CommitmentMutationOk | MutationErrors,
                                                strawberry.union("FulfillCommitmentResult")]
LogFollowUpResult: TypeAlias = Annotated[CommitmentMutationOk | MutationErrors,
                                          strawberry.union("LogFollowUpResult")]

VISIT_READERS = (Role.STAFF, Role.MANAGER, Role.GENERAL_MANAGER, Role.AUDITOR)


async def _run(info: Info[Any, Any], key: str | None,
               action: Callable[[Context, str | None], Awaitable[T]]) -> T | MutationErrors:
    async def run(ctx: KehuContext, command_ctx: Context, key: str | None) -> T:
        return await action(command_ctx, key)

    return await mutate(info, key, run)


def _visit_ok(outcome: Outcome[VisitState]) -> VisitMutationOk:
    state = outcome.state
    assert state is not None
    return VisitMutationOk(**ok_fields(outcome), visit_id=strawberry.ID(state.visit_id),
                           status=state.status)


def _commitment_ok(outcome: Outcome[VisitState], commitment_id: str) -> CommitmentMutationOk:
    state = outcome.state
    assert state is not None
    c = state.commitments[commitment_id]
    return CommitmentMutationOk(**ok_fields(outcome), visit_id=strawberry.ID(state.visit_id),
                                commitment_id=strawberry.ID(commitment_id), status=c.status,
                                follow_up_due=c.follow_up_due)


@strawberry.type
class VisitMutations:
    @strawberry.mutation(description="Plan a visit (V1-V3): it is planned before it happens.")
    async def plan_visit(self, info: Info[Any, Any], input: PlanVisitInput,
                         idempotency_key: IdempotencyKey = None) -> PlanVisitResult:
        async def act(ctx: Context, key: str | None) -> Any:
            visit_id = new_id(input.id, field="id", actor=ctx.actor, key=idempotency_key,
                              kind="visit")
            command = input.to_command(visit_id)
            return _visit_ok(await handle_visit(ctx_of(info).store, ctx, command,
                                                idempotency_key=key))
        return await _run(info, idempotency_key, act)

    @strawberry.mutation(description="Log a visit (V4-V9); findings of prospects and credit "
                         "changes are recorded on customers at once (V6).")
    async def log_visit(self, info: Info[Any, Any], input: LogVisitInput,
                        idempotency_key: IdempotencyKey = None) -> LogVisitResult:
        async def act(ctx: Context, key: str | None) -> Any:
            if input.unplanned and input.visit_id is None:
                visit_id = new_id(None, field="visitId", actor=ctx.actor, key=idempotency_key,
                                  kind="visit")
            elif input.unplanned:
                visit_id = new_id(input.visit_id, field="visitId", actor=ctx.actor, key=None,
                                  kind="visit")
            else:
                visit_id = input.planned_visit_id()
            outcome = await log_visit(ctx_of(info).store, ctx, input.to_command(visit_id),
                                      idempotency_key=key)
            state = outcome.state
            assert state is not None
            return LogVisitOk(
                **ok_fields(outcome.result), visit_id=strawberry.ID(visit_id),
                status=state.status, unplanned=state.unplanned,
                prospect_customer_ids=[strawberry.ID(i) for i in outcome.prospect_ids],
                credit_changes_recorded=outcome.credit_changes_recorded,
            )
        return await _run(info, idempotency_key, act)

    @strawberry.mutation(description="File the report and record card (V10): completes it.")
    async def file_visit_report(self, info: Info[Any, Any], input: FileVisitReportInput,
                                idempotency_key: IdempotencyKey = None) -> FileVisitReportResult:
        async def act(ctx: Context, key: str | None) -> Any:
            command = input.to_command()
            return _visit_ok(await handle_visit(ctx_of(info).store, ctx, command,
                                                idempotency_key=key))
        return await _run(info, idempotency_key, act)

    @strawberry.mutation(description="Record a commitment made on a logged visit (V11).")
    async def record_commitment(self, info: Info[Any, Any], input: RecordCommitmentInput,
                                idempotency_key: IdempotencyKey = None) -> RecordCommitmentResult:
        async def act(ctx: Context, key: str | None) -> Any:
            commitment_id = new_id(input.id, field="id", actor=ctx.actor, key=idempotency_key,
                                   kind="commitment")
            if input.owner_id is not None:
                ref(input.owner_id, "ownerId")
            command = input.to_command(commitment_id, ctx.actor.user_id)
            return _commitment_ok(await handle_visit(ctx_of(info).store, ctx, command,
                                                     idempotency_key=key), commitment_id)
        return await _run(info, idempotency_key, act)

    @strawberry.mutation(description="Fulfil a commitment (V11); its follow-up becomes due "
                         "after the rule book's delay (V12, 7 days by default).")
    async def fulfill_commitment(
        self, info: Info[Any, Any], input: FulfillCommitmentInput,
        idempotency_key: IdempotencyKey = None,
    ) -> FulfillCommitmentResult:
        async def act(ctx: Context, key: str | None) -> Any:
            command = input.to_command(ctx.today)
            return _commitment_ok(await handle_visit(ctx_of(info).store, ctx, command,
                                                     idempotency_key=key),
                                  command.commitment_id)
        return await _run(info, idempotency_key, act)

    @strawberry.mutation(description="Log the follow-up visit with satisfaction 1-5 (V12).")
    async def log_follow_up(self, info: Info[Any, Any], input: LogFollowUpInput,
                            idempotency_key: IdempotencyKey = None) -> LogFollowUpResult:
        async def act(ctx: Context, key: str | None) -> Any:
            command = input.to_command(ctx.today)
            return _commitment_ok(await handle_visit(ctx_of(info).store, ctx, command,
                                                     idempotency_key=key),
                                  command.commitment_id)
        return await _run(info, idempotency_key, act)


@strawberry.type
class VisitQueries:
    @strawberry.field(description="One visit; null if there is none or the caller may not see "
                      "it (staff see their own).")
    async def visit(self, info: Info[Any, Any], id: strawberry.ID,
                    at_least: Position | None = None) -> Visit | None:
        require_reader(info, *VISIT_READERS)
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        row = await visit_by_id(ctx.pool, str(id), ctx.visible_owner())
        return None if row is None else Visit.from_row(row)

    @strawberry.field(description="Visits, newest first, a cursor page.")
    async def visits(self, info: Info[Any, Any], filter: VisitFilter | None = None,
                     first: int | None = None, after: str | None = None,
                     at_least: Position | None = None) -> Connection[Visit]:
        require_reader(info, *VISIT_READERS)
        ctx = ctx_of(info)
        limit = ctx.page_size(first)
        position = cursor_values(after, int)
        f = filter or VisitFilter()
        date_range(f.date_from, f.date_to, "filter.dateTo")
        await ctx.read_after(at_least)
        where = visit_where(
            ctx.visible_owner(), customer_id=f.customer_id, staff_id=f.staff_id,
            date_from=f.date_from, date_to=f.date_to, status=f.status, purpose=f.purpose,
            unplanned=f.unplanned,
        )
        rows, total = await visit_page(ctx.pool, where, position, limit)
        return connection(rows, limit, total, node=Visit.from_row,  # type: ignore[no-any-return]
                          key=lambda r: (r["seq"],))


QUERIES = [VisitQueries, CommitmentQueries]
MUTATIONS = [VisitMutations]
SUBSCRIPTIONS: list[type] = []
