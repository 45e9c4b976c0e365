"""The fast codec writes the very bytes the hash chain was defined over (the standard
library's canonical JSON), so switching to it changes no hash: property tests over JSON values
and event records, and a demo log written through the rules whose every stored hash the
standard-library scheme recomputes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.demo.seed import seed_demo
from events.store.codec import to_data
from events.store.db import create_pool
from events.store.envelope import Metadata, StoredEvent, decode, decode_json
from events.store.event_store import EVENT_COLUMNS, EventStore, row_to_event
from events.store.fastjson import canonical, dumps, jsonb_decode, jsonb_encode, loads
from events.store.hashing import GENESIS_HASH, RecordParts, event_hash, event_record
from events.store.notifications import Notifier
from events.store.shredding import open_events
from schema.bootstrap import on_start
from schema.context import Services
from schema.settings import Settings


def std_canonical(value: Any) -> bytes:
    """The canonical form as first written (events/hashing.py before the fast codec)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# Valid Unicode only: a lone surrogate cannot be encoded as UTF-8 by either writer.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
scalars = (st.none() | st.booleans() | texts
           | st.integers(min_value=-(2**70), max_value=2**70))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)


@given(json_values)
@settings(max_examples=500, deadline=None)
def test_canonical_is_the_standard_librarys_bytes(value: Any) -> None:
    assert canonical(value) == std_canonical(value)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_storage_round_trip_keeps_the_value(value: Any) -> None:
    assert loads(dumps(value)) == value
    assert jsonb_decode(jsonb_encode(value)) == value


def test_control_characters_and_non_ascii_are_escaped_alike() -> None:
    value = {"z": "\x00\x1f\x7f\u2028\u2029\"\\/\n\t\b\f\r", "客户": ["张伟", 2**64, -(2**63)],
             "a": {"é": True, "": None}}
    assert canonical(value) == std_canonical(value)


zones = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                        timezones=zones)
small_dicts = st.dictionaries(texts, scalars, max_size=5)


@given(position=st.integers(1, 2**62), version=st.integers(1, 2**31 - 1), stream_id=texts,
       stream_type=texts, event_type=texts, schema_version=st.integers(1, 100),
       payload=small_dicts, metadata=small_dicts, recorded_at=instants,
       prev=st.binary(min_size=32, max_size=32))
@settings(max_examples=300, deadline=None)
def test_record_split_around_the_position_hashes_as_the_whole_record(
    position: int, version: int, stream_id: str, stream_type: str, event_type: str,
    schema_version: int, payload: dict[str, Any], metadata: dict[str, Any],
    recorded_at: datetime, prev: bytes,
) -> None:
    fields: dict[str, Any] = dict(stream_id=stream_id, stream_type=stream_type, version=version,
                  event_type=event_type, schema_version=schema_version, recorded_at=recorded_at)
    record = event_record(position=position, payload=payload, metadata=metadata, **fields)
    expected = hashlib.sha256(prev + std_canonical(record)).digest()
    parts = RecordParts(payload=canonical(payload), metadata=canonical(metadata), **fields)
    assert parts.link(prev, position) == expected
    assert event_hash(prev, position=position, payload=payload, metadata=metadata,
                      **fields) == expected


@pytest.fixture
async def demo_pool(fresh_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(fresh_dsn)
    services = Services(settings=Settings(jwt_secret="x", database_url=fresh_dsn),
                        dsn=fresh_dsn, pool=pool, store=EventStore(pool),
                        notifier=Notifier(fresh_dsn))
    await on_start(services)
    await seed_demo(services.store, services.settings.timezone, customers=8, years=1)
    yield pool
    await pool.close()


async def test_demo_log_hashes_verify_under_the_standard_library_scheme(
    demo_pool: asyncpg.Pool, fresh_dsn: str
) -> None:
    # A plain connection (no codecs): JSONB as PostgreSQL's own text, parsed by json.loads.
    conn = await asyncpg.connect(fresh_dsn)
    try:
        rows = await conn.fetch(
            "SELECT position, stream_id, stream_type, version, event_type, schema_version,"
            " payload::text AS payload, metadata::text AS metadata, recorded_at, hash"
            " FROM kehu_log.events ORDER BY position")
    finally:
        await conn.close()
    assert len(rows) > 100
    prev = GENESIS_HASH
    for row in rows:
        payload, metadata = json.loads(row["payload"]), json.loads(row["metadata"])
        record = event_record(
            position=row["position"], stream_id=row["stream_id"],
            stream_type=row["stream_type"], version=row["version"],
            event_type=row["event_type"], schema_version=row["schema_version"],
            payload=payload, metadata=metadata, recorded_at=row["recorded_at"])
        assert canonical(record) == std_canonical(record)
        prev = hashlib.sha256(prev + std_canonical(record)).digest()
        assert prev == bytes(row["hash"]), row["position"]


async def test_demo_log_decodes_the_same_straight_from_text(demo_pool: asyncpg.Pool) -> None:
    # Personal fields opened first, as every reader of the log gets them (docs/privacy.md).
    rows = await open_events(demo_pool, [row_to_event(r) for r in await demo_pool.fetch(
        f"SELECT {EVENT_COLUMNS} FROM kehu_log.events")])
    for row in rows:
        text = row.stored_payload
        assert isinstance(text, (str, bytes))
        generic = decode(row.event_type, row.schema_version, json.loads(text))
        assert decode_json(row.event_type, row.schema_version, text) == generic


async def test_demo_log_metadata_decodes_the_same_straight_from_text(
    demo_pool: asyncpg.Pool,
) -> None:
    """StoredEvent.metadata goes from the row's text straight into the dataclass; it must be
    what the generic path (a dict, then the constructor) made, for every event of the demo."""
    rows = [row_to_event(r) for r in await demo_pool.fetch(
        f"SELECT {EVENT_COLUMNS} FROM kehu_log.events")]
    for row in rows:
        raw = row._metadata
        assert isinstance(raw, (str, bytes))
        data = json.loads(raw)
        extra = data.pop("extra", {}) or {}
        assert row.metadata == Metadata(**data, extra=extra), row.position


def test_metadata_of_an_older_shape_still_decodes() -> None:
    """`extra: null` and absent optional keys (early events) take the generic way."""
    text = ('{"actor_id":"u1","actor_name":"Wang","actor_role":"staff",'
            '"correlation_id":"c1","extra":null}')
    stored = StoredEvent(1, "s", "t", 1, "X", 1, "{}", text, datetime.now(UTC), b"")
    assert stored.metadata == Metadata("u1", "Wang", "staff", "c1")


def reference_to_data(value: Any) -> Any:
    """to_data as first written (an isinstance chain on every call), the reference for the
    converters chosen once per type (events/store/codec.py)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: reference_to_data(getattr(value, f.name))
                for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, frozenset)):
        return [reference_to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): reference_to_data(v) for k, v in value.items()}
    return value


async def test_demo_log_converts_as_the_reference_does(demo_pool: asyncpg.Pool) -> None:
    rows = await open_events(demo_pool, [row_to_event(r) for r in await demo_pool.fetch(
        f"SELECT {EVENT_COLUMNS} FROM kehu_log.events")])
    kinds = set()
    for row in rows:
        event = row.event
        assert event is not None
        kinds.add(type(event))
        converted = to_data(event)
        assert converted == reference_to_data(event), row.position
        assert canonical(converted) == std_canonical(reference_to_data(event))
    assert len(kinds) >= 10  # registrations, visits, meals, sales, rule books, ...


def test_floats_are_still_refused_however_often_seen() -> None:
    for _ in range(2):
        with pytest.raises(TypeError):
            to_data({"amount": 1.5})
