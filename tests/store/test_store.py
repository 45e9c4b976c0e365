"""The store's guarantees (ARCHITECTURE.md), each proven on real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from events.shared.actors import Actor, Role
from events.shared.errors import ConcurrencyConflict, IdempotencyKeyReused
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from events.store.verify import verify_chain
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

ACTOR = Actor("u-store", "Store Tester", Role.STAFF)


def meta(policy_version: int | None = None) -> Metadata:
    return Metadata.for_actor(ACTOR, correlation_id=random_id("corr-"),
                              causation_id=random_id("cause-"), policy_version=policy_version)


def things(*ns: int) -> list[ThingHappened]:
    return [ThingHappened(n) for n in ns]


async def test_append_and_read_stream_in_version_order(store: EventStore) -> None:
    sid = random_id("thing-")
    r1 = await store.append([StreamAppend(sid, "thing", 0, things(1, 2))], meta())
    r2 = await store.append([StreamAppend(sid, "thing", 2, things(3))], meta())
    assert r1.last_position == r1.first_position + 1
    assert r2.first_position > r1.last_position
    assert r2.versions == {sid: 3}
    stored = await store.read_stream(sid)
    assert [e.version for e in stored] == [1, 2, 3]
    assert [e.event for e in stored] == things(1, 2, 3)


async def test_expected_version_conflict_carries_actual_version(store: EventStore) -> None:
    sid = random_id("thing-")
    await store.append([StreamAppend(sid, "thing", 0, things(1, 2))], meta())
    with pytest.raises(ConcurrencyConflict) as caught:
        await store.append([StreamAppend(sid, "thing", 1, things(3))], meta())
    assert caught.value.actual == 2 and caught.value.expected == 1
    assert len(await store.read_stream(sid)) == 2


async def test_concurrent_writers_of_one_stream_exactly_one_wins(store: EventStore) -> None:
    sid = random_id("thing-")
    results = await asyncio.gather(
        *(store.append([StreamAppend(sid, "thing", 0, things(i))], meta()) for i in range(8)),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(wins) == 1 and len(conflicts) == 7
    assert len(await store.read_stream(sid)) == 1


async def test_multi_stream_append_is_all_or_nothing(store: EventStore) -> None:
    a, b = random_id("thing-"), random_id("thing-")
    await store.append([StreamAppend(b, "thing", 0, things(1))], meta())
    with pytest.raises(ConcurrencyConflict):
        await store.append(
            [StreamAppend(a, "thing", 0, things(1)), StreamAppend(b, "thing", 0, things(2))],
            meta(),
        )
    assert await store.read_stream(a) == []


async def test_idempotency_key_retry_returns_first_result_and_appends_nothing(
    store: EventStore,
) -> None:
    sid, key = random_id("thing-"), random_id("key-")
    first = await store.append([StreamAppend(sid, "thing", 0, things(1))], meta(),
                               idempotency_key=key, command_fingerprint="fp")
    again = await store.append([StreamAppend(sid, "thing", 0, things(1))], meta(),
                               idempotency_key=key, command_fingerprint="fp")
    assert again.replayed and not first.replayed
    assert (again.first_position, again.last_position) == (first.first_position,
                                                           first.last_position)
    assert len(await store.read_stream(sid)) == 1


async def test_idempotency_key_concurrent_retries_append_once(store: EventStore) -> None:
    sid, key = random_id("thing-"), random_id("key-")
    results = await asyncio.gather(*(
        store.append([StreamAppend(sid, "thing", 0, things(1))], meta(),
                     idempotency_key=key, command_fingerprint="fp")
        for _ in range(6)
    ), return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    # Racing retries either get the winner's result or a conflict on the stream; never a copy.
    assert ok and len({(r.first_position, r.last_position) for r in ok}) == 1
    assert len(await store.read_stream(sid)) == 1


async def test_idempotency_key_reused_for_another_command_is_refused(store: EventStore) -> None:
    key = random_id("key-")
    await store.append([StreamAppend(random_id("thing-"), "thing", 0, things(1))], meta(),
                       idempotency_key=key, command_fingerprint="fp-1")
    with pytest.raises(IdempotencyKeyReused):
        await store.append([StreamAppend(random_id("thing-"), "thing", 0, things(2))], meta(),
                           idempotency_key=key, command_fingerprint="fp-2")


@pytest.mark.parametrize("statement", [
    "UPDATE events SET payload = '{}' WHERE position = $1",
    "DELETE FROM events WHERE position = $1",
])
async def test_database_refuses_update_and_delete_of_events(
    store: EventStore, pool: asyncpg.Pool, statement: str
) -> None:
    r = await store.append([StreamAppend(random_id("thing-"), "thing", 0, things(1))], meta())
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await pool.execute(statement, r.first_position)


async def test_database_refuses_truncate_of_events(pool: asyncpg.Pool) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await pool.execute("TRUNCATE events")


async def test_metadata_records_who_why_and_policy_version(store: EventStore) -> None:
    sid = random_id("thing-")
    m = meta(policy_version=3)
    await store.append([StreamAppend(sid, "thing", 0, things(1))], m)
    (stored,) = await store.read_stream(sid)
    assert stored.metadata == m
    assert stored.metadata.actor == ACTOR
    assert stored.metadata.policy_version == 3
    assert stored.schema_version == 1 and stored.event_type == "ThingHappened"
    assert stored.recorded_at.tzinfo is not None


async def test_read_all_after_position_in_order_with_type_filter(store: EventStore) -> None:
    start = await store.head_position()
    sid = random_id("thing-")
    await store.append([StreamAppend(sid, "thing", 0, things(1, 2, 3))], meta())
    page = await store.read_all(start, limit=2)
    assert [e.position for e in page] == [start + 1, start + 2]
    typed = await store.read_all(start, types=["NoSuchType"])
    assert typed == []


async def test_hash_chain_verifies_clean_log(pool: asyncpg.Pool, store: EventStore) -> None:
    await store.append([StreamAppend(random_id("thing-"), "thing", 0, things(1, 2))], meta())
    report = await verify_chain(pool)
    assert report.ok, report.reason
    assert report.checked == await store.head_position()


async def test_group_commit_one_bad_append_fails_alone(store: EventStore) -> None:
    sids = [random_id("thing-") for _ in range(10)]
    # Submitted together, these share a transaction; the NUL payload is refused by JSONB.
    results = await asyncio.gather(*(
        store.append([StreamAppend(sid, "thing", 0, [ThingHappened(i, "\x00" if i == 4 else "")])],
                     meta())
        for i, sid in enumerate(sids)
    ), return_exceptions=True)
    failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert failed == [4]
    assert isinstance(results[4], asyncpg.PostgresError)
    for i, sid in enumerate(sids):
        assert len(await store.read_stream(sid)) == (0 if i == 4 else 1)


async def test_group_commit_same_key_twice_in_one_batch_appends_once(store: EventStore) -> None:
    sid, key = random_id("thing-"), random_id("key-")
    first, second = await asyncio.gather(*(
        store.append([StreamAppend(sid, "thing", 0, things(1))], meta(),
                     idempotency_key=key, command_fingerprint="fp")
        for _ in range(2)
    ))
    assert (first.first_position, first.last_position) == (second.first_position,
                                                           second.last_position)
    assert first.replayed != second.replayed
    assert len(await store.read_stream(sid)) == 1
