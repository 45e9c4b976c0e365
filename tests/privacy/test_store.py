"""Crypto-shredding in the store, on real PostgreSQL: what is stored, read, erased, rotated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from events.customers import model as customers
from events.customers.commands import CustomerProfileUpdated, CustomerRegistered
from events.shared.actors import Actor, Role
from events.store import crypto, keyring
from events.store.crypto import MasterKeyError
from events.store.db import create_pool
from events.store.envelope import Metadata
from events.store.erasure import check_master, destroy_subject, reapply_erasures, rotate_master
from events.store.event_store import EventStore, StreamAppend
from events.store.personal import ERASED_KEY
from events.store.verify import verify_chain
from tests.live import MASTER_KEY
from tests.privacy.builders import NAME, PHONE, registered
from tests.random_refs import random_id

CLERK = Actor("privacy-clerk", "Zhou", Role.STAFF)


async def _register(store: EventStore, event: CustomerRegistered) -> None:
    await store.append([StreamAppend(customers.stream_id(event.customer_id),
                                     customers.STREAM_TYPE, 0, [event])],
                       Metadata.for_actor(CLERK, random_id("corr-")))


async def _stored_text(pool: asyncpg.Pool, customer_id: str) -> str:
    text: str = await pool.fetchval("SELECT payload::text FROM kehu_log.events"
                                    " WHERE stream_id = $1", customers.stream_id(customer_id))
    return text


async def test_privacy_stored_ciphertext_holds_no_plaintext_and_reads_open_it(
        store: EventStore, pool: asyncpg.Pool) -> None:
    customer = random_id("pc-")
    await _register(store, registered(customer))
    stored = await _stored_text(pool, customer)
    assert NAME not in stored and PHONE not in stored and "female" not in stored
    assert '"kehu:enc"' in stored and customer in stored  # the subject stays in clear
    (event,) = await store.read_stream(customers.stream_id(customer))
    assert event.event == registered(customer)
    assert ERASED_KEY not in event.payload
    page = await store.read_all(event.position - 1, 1)
    assert page[0].event == registered(customer)


async def test_privacy_erasure_shows_erased_for_one_subject_only_and_the_chain_holds(
        store: EventStore, pool: asyncpg.Pool) -> None:
    erased, kept = random_id("pe-"), random_id("pk-")
    await _register(store, registered(erased))
    await _register(store, registered(kept, name="赵六", phone="13700000000"))
    destroyed = await destroy_subject(pool, erased)
    assert len(destroyed) == 1
    (gone,) = await store.read_stream(customers.stream_id(erased))
    event = gone.event
    assert isinstance(event, CustomerRegistered)
    assert event.contacts == () and event.notes is None
    assert event.classification.gender is None and event.classification.wage_band is None
    assert event.classification.region is not None  # not personal: still there
    assert event.organisation_name == registered(erased).organisation_name
    assert gone.payload[ERASED_KEY] == ["classification.age_band", "classification.gender",
                                        "classification.wage_band", "contacts", "notes"]
    (other,) = await store.read_stream(customers.stream_id(kept))
    assert other.event == registered(kept, name="赵六", phone="13700000000")
    report = await verify_chain(pool)
    assert report.ok, report
    again = await destroy_subject(pool, erased)  # a retry names the same key, destroys nothing
    assert again == destroyed


async def test_privacy_events_written_before_encryption_still_read(
        store: EventStore, pool: asyncpg.Pool) -> None:
    ring = keyring.current()
    customer = random_id("pl-")
    keyring.install(None)  # a log written before crypto-shredding was enabled
    try:
        await _register(store, registered(customer))
    finally:
        keyring.install(ring)
    assert PHONE in await _stored_text(pool, customer)
    (event,) = await store.read_stream(customers.stream_id(customer))
    assert event.event == registered(customer)
    # ... and erasure cannot reach it (docs/privacy.md says so): there is no key to destroy.
    assert await destroy_subject(pool, customer) == []
    (still,) = await store.read_stream(customers.stream_id(customer))
    assert still.event == registered(customer)


async def test_privacy_a_wrong_master_key_is_refused(pool: asyncpg.Pool) -> None:
    await check_master(pool, crypto.parse_master_key(MASTER_KEY))
    with pytest.raises(MasterKeyError, match="KEHU_MASTER_KEY"):
        await check_master(pool, crypto.parse_master_key(crypto.new_master_key()))


@pytest.fixture
async def own_pool(fresh_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(fresh_dsn, min_size=1, max_size=4)
    yield p
    await p.close()


async def test_privacy_rotation_rewraps_keys_and_the_old_master_key_stops_working(
        own_pool: asyncpg.Pool) -> None:
    old = crypto.parse_master_key(crypto.new_master_key())
    new = crypto.parse_master_key(crypto.new_master_key())
    await check_master(own_pool, old)
    before = keyring.Keyring(old, check_seconds=0)
    keys = await before.for_subjects(own_pool, ["s1", "s2"])
    sealed = crypto.seal(keys["s1"][1], keys["s1"][0], "s1", "CustomerRegistered", "notes", "x")
    assert await rotate_master(own_pool, old, new) == 2
    after = keyring.Keyring(new, check_seconds=0)
    cipher = (await after.ciphers(own_pool, [keys["s1"][0]]))[keys["s1"][0]]
    assert cipher is not None
    assert crypto.open_sealed(cipher, sealed, "CustomerRegistered", "notes") == "x"
    await check_master(own_pool, new)
    with pytest.raises(MasterKeyError):
        await check_master(own_pool, old)
    with pytest.raises(MasterKeyError):
        await keyring.Keyring(old, check_seconds=0).ciphers(own_pool, [keys["s2"][0]])
    with pytest.raises(MasterKeyError):  # rotating with the wrong current key changes nothing
        await rotate_master(own_pool, old, new)


async def test_privacy_a_restored_key_table_has_its_erasures_reapplied(
        own_pool: asyncpg.Pool) -> None:
    master = crypto.parse_master_key(crypto.new_master_key())
    await check_master(own_pool, master)
    ring = keyring.Keyring(master, check_seconds=0)
    key_id, _ = (await ring.for_subjects(own_pool, ["restored-1"]))["restored-1"]
    backup = await own_pool.fetch("SELECT key_id, subject, wrapped, created_at"
                                  " FROM kehu_keys.data_keys")
    assert await destroy_subject(own_pool, "restored-1") == [key_id]
    # The key table comes back from a backup taken before the erasure...
    await own_pool.executemany("INSERT INTO kehu_keys.data_keys VALUES ($1, $2, $3, $4)",
                               [tuple(r) for r in backup])
    assert (await ring.ciphers(own_pool, [key_id]))[key_id] is not None
    # ... and the record of destroyed keys destroys it again (also done at every start).
    assert await reapply_erasures(own_pool) == 1
    assert (await ring.ciphers(own_pool, [key_id]))[key_id] is None
    with pytest.raises(asyncpg.PostgresError):  # the record itself only grows
        await own_pool.execute("DELETE FROM kehu_keys.destroyed_keys")


async def test_privacy_a_forged_sealed_value_reads_as_erased_not_as_an_error(
        pool: asyncpg.Pool) -> None:
    ring = keyring.current()
    assert ring is not None
    found = await ring.ciphers(pool, ["not-a-key-id", "00000000-0000-0000-0000-000000000000"])
    assert found == {"not-a-key-id": None, "00000000-0000-0000-0000-000000000000": None}


async def test_privacy_data_written_after_an_erasure_gets_a_new_key(
        store: EventStore, pool: asyncpg.Pool) -> None:
    customer = random_id("pn-")
    await _register(store, registered(customer))
    (old_key,) = await destroy_subject(pool, customer)
    update = CustomerProfileUpdated(customer, notes="新的备注")
    await store.append([StreamAppend(customers.stream_id(customer), customers.STREAM_TYPE, 1,
                                     [update])], Metadata.for_actor(CLERK, random_id("corr-")))
    first, second = await store.read_stream(customers.stream_id(customer))
    assert first.erased_fields and second.erased_fields == []
    assert second.event == update
    new_key = await pool.fetchval("SELECT key_id::text FROM kehu_keys.data_keys"
                                  " WHERE subject = $1", customer)
    assert new_key is not None and new_key != old_key
