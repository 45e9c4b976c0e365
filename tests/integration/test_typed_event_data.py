"""`LoggedEvent.data` is a union with one GraphQL type per event type: every event's typed data
equals, field for field, the JSON an integration gets by webhook or NATS (`dataJson`), and the
union has a member for every event class the write side records."""

from __future__ import annotations

import dataclasses
from typing import Any

from strawberry.types.base import get_object_definition

from events.integration.catalogue import load_event_types
from events.integration.public import public_key
from events.shared.actors import Actor, Role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from schema.audit.event_data import generated_types
from tests.audit import flows
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

AUDITOR = token("typed-data-auditor", Role.AUDITOR)
TYPES = """{ __type(name: "EventData") { possibleTypes { name } } }"""
MEMBER = """query($name: String!) { __type(name: $name) { fields { name type {
  kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }"""


def _named(t: dict[str, Any]) -> dict[str, Any]:
    while t.get("ofType"):
        t = t["ofType"]
    return t


async def _selection(server: LiveServer, name: str, seen: frozenset[str] = frozenset()) -> str:
    """Every field of a type, nested objects included, as a selection set."""
    fields = (await gql(server, MEMBER, {"name": name}, auth=AUDITOR))["data"]["__type"]["fields"]
    parts = []
    for field in fields:
        inner = _named(field["type"])
        if inner["kind"] == "OBJECT" and inner["name"] not in seen:
            parts.append(field["name"] + await _selection(server, inner["name"], seen | {name}))
        else:
            parts.append(field["name"])
    return "{ " + " ".join(parts) + " }"


async def test_every_event_class_has_its_data_type(live_server: LiveServer) -> None:
    body = await gql(live_server, TYPES, auth=AUDITOR)
    members = {t["name"] for t in body["data"]["__type"]["possibleTypes"]}
    assert members == {*load_event_types(), "UnknownEventData"}


async def test_typed_data_equals_the_integrations_json(live_server: LiveServer,
                                                      store: EventStore) -> None:
    await flows.register_then_promote(store, random_id("typed-"), flows.manager())
    await flows.plan_visit(store, random_id("typed-visit-"), flows.staff())
    settled = await flows.settled_meal(store)
    window = {"after": max(0, settled.last_position - 100)}
    plain = await gql(live_server, "query($after: Position!) { events(after: $after, first: 100)"
                      " { position type dataJson } }", window, auth=AUDITOR)
    events = plain["data"]["events"]
    assert {e["type"] for e in events} >= {"CustomerRegistered", "VisitPlanned", "MealSettled"}
    # One query per type: fields of the same name may differ in type between members (a
    # client aliases them); one member at a time needs no aliases.
    members = {t["name"] for t in
               (await gql(live_server, TYPES, auth=AUDITOR))["data"]["__type"]["possibleTypes"]}
    # Event types of the tests themselves are not the write side's: UnknownEventData.
    for event_type in sorted({e["type"] for e in events} & members):
        selection = await _selection(live_server, event_type)
        body = await gql(live_server, f"""query($after: Position!) {{
          events(after: $after, first: 100, types: ["{event_type}"]) {{
            position data {{ __typename ... on {event_type} {selection} }} }} }}""",
                         window, auth=AUDITOR)
        assert "errors" not in body, body["errors"][:2]
        typed = {e["position"]: e["data"] for e in body["data"]["events"]}
        for event in (e for e in events if e["type"] == event_type):
            data = dict(typed[event["position"]])
            assert data.pop("__typename") == event_type
            assert data == event["dataJson"], event_type


async def test_an_unknown_event_type_is_unknown_event_data(live_server: LiveServer,
                                                         store: EventStore) -> None:
    """A type this server has no class for (here one the tests define) keeps its payload."""
    meta = Metadata.for_actor(Actor("typed", "T", Role.STAFF), correlation_id="typed")
    written = await store.append([StreamAppend(random_id("thing-"), "thing", 0,
                                               [ThingHappened(7, "kept")])], meta)
    body = await gql(live_server, """query($after: Position!) { events(after: $after, first: 1)
      { data { __typename ... on UnknownEventData { type payload } } } }""",
                     {"after": written.first_position - 1}, auth=AUDITOR)
    assert body["data"]["events"][0]["data"] == {
        "__typename": "UnknownEventData", "type": "ThingHappened",
        "payload": {"n": 7, "note": "kept"}}


def test_each_generated_type_has_exactly_its_class_fields() -> None:
    """Objects of the same name in two contexts (meals' and visits' Finding) are two types."""
    generated = generated_types()
    definitions = {cls: get_object_definition(t, strict=True) for cls, t in generated.items()}
    assert len({d.name for d in definitions.values()}) == len(definitions)
    for cls, definition in definitions.items():
        names = [f.graphql_name for f in definition.fields]
        assert names == [public_key(f.name) for f in dataclasses.fields(cls)], cls
