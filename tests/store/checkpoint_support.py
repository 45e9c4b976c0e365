"""Shared by the checkpoint and witness tests: a log of small events over a few streams."""

from __future__ import annotations

from events.shared.actors import Actor, Role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from tests.store.events_for_tests import ThingHappened

META = Metadata.for_actor(Actor("u", "U", Role.STAFF), correlation_id="c")


async def append_things(store: EventStore, count: int) -> None:
    for i in range(count):
        stream = f"thing-{i % 7}"
        version = len(await store.read_stream(stream))
        await store.append([StreamAppend(stream, "thing", version, [ThingHappened(i)])], META)
