"""Command handlers of customers and visits on real PostgreSQL (RULES V2, V6, V10-V12)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from events.customers import model as customers
from events.customers.commands import PromoteProspect
from events.customers.handlers import customer_exists, handle_customer, load_customer
from events.customers.values import Contact, CreditDirection, CustomerStatus
from events.handling import execute, load
from events.policy import model as policy
from events.policy.handlers import POLICY_STREAM
from events.shared.actors import SYSTEM
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound
from events.store.db import create_pool
from events.store.event_store import EventStore
from events.visits import model as visits
from events.visits.commands import (
    CommitmentFulfilled,
    FileVisitReport,
    FulfillCommitment,
    LogFollowUp,
    RecordCommitment,
)
from events.visits.handlers import follow_up_policy, handle_visit, log_visit
from events.visits.values import Finding, FindingKind
from tests.customers.builders import (
    AUDITOR,
    GM_ACTOR,
    MANAGER,
    OTHER_STAFF,
    STAFF,
    ctx,
    days_ago,
    log,
    new_id,
    plan,
    register,
    unplanned,
)


async def stream_length(store: EventStore, stream_id: str) -> int:
    return len(await store.read_stream(stream_id))


async def test_V2_a_visit_for_an_unknown_customer_is_refused_and_writes_nothing(
    store: EventStore,
) -> None:
    c = ctx()
    command = plan(new_id(), c.today)
    with pytest.raises(NotFound) as refused:
        await handle_visit(store, c, command)
    assert refused.value.field == "customerId"
    assert await stream_length(store, visits.stream_id(command.visit_id)) == 0


async def test_V2_an_unplanned_visit_is_logged_and_marked(store: EventStore) -> None:
    c = ctx()
    customer = register()
    await handle_customer(store, c, customer)
    command = unplanned(customer.customer_id, c.today)
    await log_visit(store, c, command)
    state, _ = await load(store, visits.stream_id(command.visit_id), visits.evolve)
    assert state is not None and state.unplanned and state.status is visits.VisitStatus.LOGGED


async def test_V10_report_only_after_the_log_then_completed(store: EventStore) -> None:
    c = ctx()
    customer = register()
    await handle_customer(store, c, customer)
    planned = plan(customer.customer_id, c.today)
    await handle_visit(store, c, planned)
    report = FileVisitReport(planned.visit_id, "拜访报告", "拜访记录卡")
    stream = visits.stream_id(planned.visit_id)
    with pytest.raises(InvalidState) as refused:
        await handle_visit(store, c, report)
    assert (refused.value.rule, refused.value.field) == ("V10", "visitId")
    assert await stream_length(store, stream) == 1
    await log_visit(store, c, log(planned.visit_id, c.today))
    await handle_visit(store, c, report)
    state, version = await load(store, stream, visits.evolve)
    assert state is not None and state.status is visits.VisitStatus.COMPLETED and version == 3


async def test_V6_prospects_become_customers_and_credit_changes_are_recorded_once(
    store: EventStore,
) -> None:
    c = ctx()
    customer = register()
    await handle_customer(store, c, customer)
    findings = (
        Finding(FindingKind.PROSPECT, organisation_name="江南建材",
                contact=Contact("刘总", "总经理", True)),
        Finding(FindingKind.CREDIT_CHANGE, change="付款延迟60天", cause="资金链紧张",
                direction=CreditDirection.WORSENED),
        Finding(FindingKind.GUIDANCE, description="指导仓库管理"),
    )
    command = unplanned(customer.customer_id, c.today, findings=findings)
    first = await log_visit(store, c, command, idempotency_key=f"k-{command.visit_id}")
    assert len(first.prospect_ids) == 1 and first.credit_changes_recorded == 1
    prospect = await load_customer(store, first.prospect_ids[0])
    assert prospect is not None and prospect.status is CustomerStatus.PROSPECT
    assert prospect.organisation_name == "江南建材"
    visited = await load_customer(store, customer.customer_id)
    assert visited is not None and visited.credit_changes == 1
    assert visited.last_credit_direction is CreditDirection.WORSENED
    # The findings were written in the visit's own append: one transaction, one request, so
    # none can be lost between two writes, and an auditor traces each back to the visit.
    registered = (await store.read_stream(customers.stream_id(first.prospect_ids[0])))[0]
    credit = (await store.read_stream(customers.stream_id(customer.customer_id)))[-1]
    logged = (await store.read_stream(visits.stream_id(command.visit_id)))[0]
    for written in (registered, credit):
        assert written.metadata.correlation_id == logged.metadata.correlation_id
        assert written.recorded_at == logged.recorded_at
        assert first.result.first_position <= written.position <= first.result.last_position
    assert first.result.first_position == logged.position
    # A retry (same key) replays the first result and records nothing twice.
    again = await log_visit(store, c, command, idempotency_key=f"k-{command.visit_id}")
    assert again.result.replayed and again.prospect_ids == first.prospect_ids
    assert again.result.last_position == first.result.last_position
    assert again.credit_changes_recorded == first.credit_changes_recorded
    assert await stream_length(store, customers.stream_id(customer.customer_id)) == 2
    assert await stream_length(store, customers.stream_id(first.prospect_ids[0])) == 1


async def test_V6_a_prospect_is_promoted_to_active(store: EventStore) -> None:
    c = ctx()
    prospect = register(status=CustomerStatus.PROSPECT)
    await handle_customer(store, c, prospect)
    await handle_customer(store, c, PromoteProspect(prospect.customer_id))
    state = await load_customer(store, prospect.customer_id)
    assert state is not None and state.status is CustomerStatus.ACTIVE


async def test_V11_V12_commitment_fulfilment_and_follow_up_in_order(store: EventStore) -> None:
    c = ctx()
    customer = register()
    await handle_customer(store, c, customer)
    visit = unplanned(customer.customer_id, days_ago(c.today, 3))
    await log_visit(store, c, visit)
    cid = new_id()
    await handle_visit(store, c, RecordCommitment(visit.visit_id, cid, "送样品", c.today,
                                                  STAFF.user_id))
    stream = visits.stream_id(visit.visit_id)
    before = await stream_length(store, stream)
    with pytest.raises(InvalidState) as refused:
        await handle_visit(store, c, LogFollowUp(visit.visit_id, cid, c.today, 5))
    assert refused.value.rule == "V12"
    assert await stream_length(store, stream) == before
    fulfilled = await handle_visit(store, c, FulfillCommitment(visit.visit_id, cid, c.today))
    days, version = await follow_up_policy(store, c)
    event = (await store.read_stream(stream))[-1]
    assert isinstance(event.event, CommitmentFulfilled)
    assert event.event.follow_up_due == c.today + timedelta(days=days)
    assert event.metadata.policy_version == version
    assert fulfilled.result.last_position == event.position
    await handle_visit(store, c, LogFollowUp(visit.visit_id, cid, c.today, 4, "满意"))
    state, _ = await load(store, stream, visits.evolve)
    assert state is not None and state.commitments[cid].satisfaction == 4


async def test_V11_staff_act_only_on_their_own_visits_managers_on_any(store: EventStore) -> None:
    c = ctx()
    customer = register()
    await handle_customer(store, c, customer)
    visit = unplanned(customer.customer_id, c.today)
    await log_visit(store, c, visit)
    record = RecordCommitment(visit.visit_id, new_id(), "报价", c.today, STAFF.user_id)
    with pytest.raises(Forbidden):
        await handle_visit(store, ctx(OTHER_STAFF), record)
    await handle_visit(store, ctx(MANAGER), record)


async def test_auditors_never_write(store: EventStore) -> None:
    with pytest.raises(Forbidden):
        await handle_customer(store, ctx(AUDITOR), register())


async def test_customer_exists_reads_the_customer_stream(store: EventStore) -> None:
    customer = register()
    assert not await customer_exists(store, customer.customer_id)
    await handle_customer(store, ctx(), customer)
    assert await customer_exists(store, customer.customer_id)


async def test_V12_follow_up_delay_comes_from_the_rule_book_in_force(fresh_dsn: str) -> None:
    pool = await create_pool(fresh_dsn)
    try:
        store = EventStore(pool)
        c = ctx()
        assert await follow_up_policy(store, c) == (7, None)  # no rule book yet: the default
        await _install_policy_with_follow_up_days(store, c, 10)
        customer = register()
        await handle_customer(store, c, customer)
        visit = unplanned(customer.customer_id, c.today)
        await log_visit(store, c, visit)
        cid = new_id()
        await handle_visit(store, c, RecordCommitment(visit.visit_id, cid, "培训", c.today,
                                                      STAFF.user_id))
        await handle_visit(store, c, FulfillCommitment(visit.visit_id, cid, c.today))
        last = (await store.read_stream(visits.stream_id(visit.visit_id)))[-1]
        assert isinstance(last.event, CommitmentFulfilled)
        assert last.event.follow_up_due == c.today + timedelta(days=10)
        assert last.metadata.policy_version == 2
    finally:
        await pool.close()


async def _install_policy_with_follow_up_days(store: EventStore, c: Context, days: int) -> None:
    async def run(command: policy.PolicyCommand, actor_ctx: Context) -> None:
        await execute(store, actor_ctx, POLICY_STREAM, command,
                      lambda s: policy.decide(s, command, actor_ctx))

    system = replace(c, actor=SYSTEM)
    for command in policy.seed_commands():
        await run(command, system)
    figures = replace(policy.SEED_FIGURES, follow_up_delay_days=days)
    await run(policy.DraftPolicy(2, figures, "回访期限改为10天", "客户服务部"), ctx(STAFF))
    await run(policy.ApprovePolicy(2, c.today), ctx(GM_ACTOR))
