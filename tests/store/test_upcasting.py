"""Old payload shapes are lifted to the current one on read (upcasters), so an event type can
change without rewriting the append-only log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from events.shared.actors import Actor, Role
from events.store.envelope import Event, Metadata, decode, upcaster
from events.store.event_store import EventStore, StreamAppend
from tests.random_refs import random_id


@dataclass(frozen=True)
class GiftHanded(Event):
    """Version 1 stored `value_yuan` (a whole number); version 2 stores `value_fen`."""

    SCHEMA_VERSION: ClassVar[int] = 2
    item: str
    value_fen: int


@upcaster("GiftHanded", from_version=1)
def _yuan_to_fen(payload: dict[str, Any]) -> dict[str, Any]:
    old = dict(payload)
    return {"item": old["item"], "value_fen": old.pop("value_yuan") * 100}


def test_an_old_payload_is_upcast_on_decode() -> None:
    assert decode("GiftHanded", 1, {"item": "茶叶", "value_yuan": 88}) == GiftHanded("茶叶", 8800)
    assert decode("GiftHanded", 2, {"item": "茶叶", "value_fen": 8800}) == GiftHanded("茶叶", 8800)


def test_a_missing_upcaster_is_a_loud_error() -> None:
    with pytest.raises(LookupError):
        decode("GiftHanded", 0, {"item": "x"})


async def test_stored_events_carry_their_schema_version_and_read_back_current(
    store: EventStore,
) -> None:
    sid = random_id("gift-")
    meta = Metadata.for_actor(Actor("u", "U", Role.STAFF), correlation_id="c")
    await store.append([StreamAppend(sid, "gift", 0, [GiftHanded("月饼", 12_000)])], meta)
    (stored,) = await store.read_stream(sid)
    assert stored.schema_version == 2
    assert stored.event == GiftHanded("月饼", 12_000)
