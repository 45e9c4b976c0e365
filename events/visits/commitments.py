"""Commitments made on a visit (V11) and the follow-up due after each is fulfilled (V12).

They live in the visit's stream: a commitment belongs to the visit it was made on, and the
visit's owner is who answers for it. visits.decide() hands these commands here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from events.shared.context import Context
from events.shared.errors import InvalidState, NotFound
from events.shared.validation import MAX_ID, MAX_TEXT, Problems
from events.store.envelope import Event
from events.visits.commands import (
    CommitmentCommand,
    CommitmentFulfilled,
    CommitmentRecorded,
    FollowUpLogged,
    FulfillCommitment,
    LogFollowUp,
    RecordCommitment,
)
from events.visits.values import require_may_act

if TYPE_CHECKING:  # visits imports this module; the state type is only needed by mypy
    from events.visits.model import VisitState

DEFAULT_FOLLOW_UP_DAYS = 7  # V12 interpretation; the handler passes the rule book's figure


class CommitmentStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    FOLLOWED_UP = "followed_up"


@dataclass(frozen=True)
class CommitmentState:
    commitment_id: str
    what: str
    owner_id: str
    due_date: date
    status: CommitmentStatus = CommitmentStatus.OPEN
    fulfilled_on: date | None = None
    follow_up_due: date | None = None
    followed_up_on: date | None = None
    satisfaction: int | None = None


def decide_commitment(
    state: VisitState | None,
    command: CommitmentCommand,
    ctx: Context,
    *,
    follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
) -> list[Event]:
    if state is None:
        raise NotFound(f"no visit {command.visit_id}", field="visitId")
    if isinstance(command, RecordCommitment):
        require_may_act(ctx, (state.owner_id,), "record a commitment")
        if state.actual_date is None:
            raise InvalidState(
                "commitments are recorded once the visit is logged", field="visitId", rule="V11"
            )
        return [_record(state, command, ctx)]
    current = state.commitments.get(command.commitment_id)
    if current is None:
        raise NotFound(f"no commitment {command.commitment_id}", field="commitmentId")
    action = "fulfil a commitment" if isinstance(command, FulfillCommitment) else "log a follow-up"
    require_may_act(ctx, (state.owner_id, current.owner_id), action)
    if isinstance(command, FulfillCommitment):
        return [_fulfil(state, current, command, ctx, follow_up_days)]
    return [_follow_up(state, current, command, ctx)]


def _record(state: VisitState, command: RecordCommitment, ctx: Context) -> Event:
    if command.commitment_id in state.commitments:
        raise InvalidState(
            f"commitment {command.commitment_id} is already recorded", field="commitmentId"
        )
    p = Problems()
    p.text("commitmentId", command.commitment_id, limit=MAX_ID)
    p.text("what", command.what, limit=MAX_TEXT, rule="V11")
    p.text("ownerId", command.owner_id, limit=MAX_ID, rule="V11")
    assert state.actual_date is not None
    if command.due_date < state.actual_date:
        p.add("dueDate", "a commitment cannot fall due before the visit it was made on", "V11")
    p.raise_if_any()
    return CommitmentRecorded(
        visit_id=state.visit_id,
        customer_id=state.customer_id,
        commitment_id=command.commitment_id,
        what=command.what,
        due_date=command.due_date,
        owner_id=command.owner_id,
        recorded_on=ctx.today,
    )


def _fulfil(
    state: VisitState,
    current: CommitmentState,
    command: FulfillCommitment,
    ctx: Context,
    follow_up_days: int,
) -> Event:
    if follow_up_days < 0:
        raise ValueError("follow_up_days comes from the rule book and is never negative")
    if current.status is not CommitmentStatus.OPEN:
        raise InvalidState("the commitment is already fulfilled", field="commitmentId", rule="V11")
    p = Problems()
    assert state.actual_date is not None
    if command.fulfilled_on < state.actual_date:
        p.add("fulfilledOn", "cannot be fulfilled before the visit it was made on", "V11")
    if command.fulfilled_on > ctx.today:
        p.add("fulfilledOn", "cannot record a fulfilment in the future", "V11")
    p.text("note", command.note, limit=MAX_TEXT, required=False, rule="V11")
    p.raise_if_any()
    return CommitmentFulfilled(
        visit_id=state.visit_id,
        customer_id=state.customer_id,
        commitment_id=current.commitment_id,
        fulfilled_on=command.fulfilled_on,
        late=command.fulfilled_on > current.due_date,
        follow_up_due=command.fulfilled_on + timedelta(days=follow_up_days),
        note=command.note,
    )


def _follow_up(
    state: VisitState, current: CommitmentState, command: LogFollowUp, ctx: Context
) -> Event:
    if current.status is CommitmentStatus.OPEN:
        raise InvalidState("a follow-up comes after the commitment is fulfilled",
                           field="commitmentId", rule="V12")
    if current.status is CommitmentStatus.FOLLOWED_UP:
        raise InvalidState("the follow-up is already logged", field="commitmentId", rule="V12")
    assert current.fulfilled_on is not None and current.follow_up_due is not None
    p = Problems()
    if command.followed_up_on < current.fulfilled_on:
        p.add("followedUpOn", "the follow-up cannot be before the fulfilment", "V12")
    if command.followed_up_on > ctx.today:
        p.add("followedUpOn", "cannot record a follow-up in the future", "V12")
    if not 1 <= command.satisfaction <= 5:
        p.add("satisfaction", "satisfaction is 1 to 5", "V12")
    p.text("remarks", command.remarks, limit=MAX_TEXT, required=False, rule="V12")
    p.raise_if_any()
    return FollowUpLogged(
        visit_id=state.visit_id,
        customer_id=state.customer_id,
        commitment_id=current.commitment_id,
        followed_up_on=command.followed_up_on,
        satisfaction=command.satisfaction,
        remarks=command.remarks,
        late=command.followed_up_on > current.follow_up_due,
    )


def apply_commitment_event(
    commitments: Mapping[str, CommitmentState], event: Event
) -> dict[str, CommitmentState]:
    """evolve() for the commitments of one visit; returns a new mapping."""
    result = dict(commitments)
    if isinstance(event, CommitmentRecorded):
        result[event.commitment_id] = CommitmentState(
            commitment_id=event.commitment_id,
            what=event.what,
            owner_id=event.owner_id,
            due_date=event.due_date,
        )
    elif isinstance(event, CommitmentFulfilled):
        result[event.commitment_id] = replace(
            result[event.commitment_id],
            status=CommitmentStatus.FULFILLED,
            fulfilled_on=event.fulfilled_on,
            follow_up_due=event.follow_up_due,
        )
    elif isinstance(event, FollowUpLogged):
        result[event.commitment_id] = replace(
            result[event.commitment_id],
            status=CommitmentStatus.FOLLOWED_UP,
            followed_up_on=event.followed_up_on,
            satisfaction=event.satisfaction,
        )
    else:
        raise TypeError(f"not a commitment event: {type(event).__name__}")
    return result


# --- queries for projections and dashboards ---------------------------------------------------


def overdue_commitments(state: VisitState, today: date) -> list[CommitmentState]:
    """V11: open commitments whose due date has passed (due today is not yet overdue)."""
    return [
        c
        for c in state.commitments.values()
        if c.status is CommitmentStatus.OPEN and c.due_date < today
    ]


def follow_ups_due(state: VisitState) -> list[CommitmentState]:
    """V12: fulfilled commitments still waiting for their follow-up visit."""
    return [c for c in state.commitments.values() if c.status is CommitmentStatus.FULFILLED]


def overdue_follow_ups(state: VisitState, today: date) -> list[CommitmentState]:
    """V12: follow-ups whose due date (fulfilment + policy days) has passed."""
    return [
        c for c in follow_ups_due(state) if c.follow_up_due is not None and c.follow_up_due < today
    ]
