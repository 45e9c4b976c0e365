"""Log positions are a `Position` scalar (0 to 2^53 - 1), not a 32-bit `Int`: positions past
2,147,483,647 are accepted, anything beyond 2^53 - 1 or not an integer is BAD_USER_INPUT naming
the argument, and clients that declare their variables `Int` keep working."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from events.shared.actors import Actor, Role
from events.store.db import create_pool
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

MAX = 2**53 - 1
AUDITOR = token("positions-auditor", Role.AUDITOR)


def _refused(body: dict[str, Any], field: str) -> None:
    assert body.get("data") is None, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert field in (error["extensions"].get("field") or error["message"]), body


@pytest.mark.parametrize("after", [2**31, MAX, f"{MAX}", "2147483648"])
async def test_positions_beyond_32_bits_are_accepted(live_server: LiveServer,
                                                     after: int | str) -> None:
    literal = f'"{after}"' if isinstance(after, str) else str(after)
    body = await gql(live_server, f"{{ events(after: {literal}, first: 1) {{ position }} }}",
                     auth=AUDITOR)
    assert body == {"data": {"events": []}}, body
    variables = await gql(live_server, "query($a: Position!) { events(after: $a, first: 1)"
                          " { position } }", {"a": after}, auth=AUDITOR)
    assert variables == {"data": {"events": []}}, variables


@pytest.mark.parametrize("after", [MAX + 1, -1, "1e3", "-1", " 5", "1_0", "１２", 1.5, True, ""])
async def test_positions_outside_the_scalar_are_bad_input(live_server: LiveServer,
                                                          after: Any) -> None:
    body = await gql(live_server, "query($a: Position!) { events(after: $a) { position } }",
                     {"a": after}, auth=AUDITOR)
    _refused(body, "a")


async def test_a_literal_beyond_the_bound_names_the_argument(live_server: LiveServer) -> None:
    body = await gql(live_server, f"{{ events(after: {MAX + 1}) {{ position }} }}",
                     auth=AUDITOR)
    _refused(body, "after")


async def test_variables_declared_int_still_work(live_server: LiveServer,
                                                  store: EventStore) -> None:
    """Dashboards written when positions were Int send `$after: Int`: still valid."""
    meta = Metadata.for_actor(Actor("positions", "P", Role.STAFF), correlation_id="c")
    written = await store.append([StreamAppend(random_id("thing-"), "thing", 0,
                                               [ThingHappened(1)])], meta)
    head = written.last_position
    body = await gql(live_server, "query($after: Int, $least: Int) { events(after: $after,"
                     " first: 1) { position } customers(first: 1, atLeast: $least)"
                     " { totalCount } }", {"after": head - 1, "least": head}, auth=AUDITOR)
    assert "errors" not in body, body
    assert body["data"]["events"][0]["position"] == head


async def test_an_int_variable_keeps_the_nullability_rules(live_server: LiveServer) -> None:
    """`Int` stands for `Position`, nothing more: a nullable variable where a non-null position
    is required is refused as the standard rule refuses it, and a String is never a Position."""
    nullable = await gql(live_server, "query($p: Int) { eventProof(position: $p) { kind } }",
                         {"p": 1}, auth=AUDITOR)
    assert "used in position expecting type 'Position!'" in nullable["errors"][0]["message"]
    text = await gql(live_server, "query($p: String!) { eventProof(position: $p) { kind } }",
                     {"p": "1"}, auth=AUDITOR)
    assert "used in position expecting type 'Position!'" in text["errors"][0]["message"]


async def test_position_is_a_documented_scalar_everywhere(live_server: LiveServer) -> None:
    body = await gql(live_server, """{
      __type(name: "Position") { kind description }
      query: __schema { queryType { fields { name args { name type { name ofType { name } } }
                                             type { name } } } }
    }""", auth=AUDITOR)
    scalar = body["data"]["__type"]
    assert scalar["kind"] == "SCALAR" and "9007199254740991" in scalar["description"]

    def named(t: dict[str, Any]) -> str | None:
        return t["name"] or (t["ofType"] or {}).get("name")

    position_args = {(f["name"], a["name"]): named(a["type"])
                     for f in body["data"]["query"]["queryType"]["fields"] for a in f["args"]
                     if a["name"] in ("atLeast", "after", "position", "checkpoint")}
    at_least = [key for key in position_args if key[1] == "atLeast"]
    assert len(at_least) >= 10, position_args
    assert all(position_args[key] == "Position" for key in at_least), position_args
    assert position_args[("events", "after")] == "Position"
    assert position_args[("eventProof", "position")] == "Position"


async def test_the_log_refuses_a_position_beyond_the_bound(fresh_dsn: str) -> None:
    """Even a superuser with the log's triggers off cannot store a position the API could not
    write exactly (migration 0010); one at the bound is accepted (then rolled back)."""
    pool = await create_pool(fresh_dsn)
    try:
        meta = Metadata.for_actor(Actor("bound", "B", Role.STAFF), correlation_id="c")
        await EventStore(pool).append([StreamAppend(random_id("thing-"), "thing", 0,
                                                    [ThingHappened(1)])], meta)
    finally:
        await pool.close()
    conn = await asyncpg.connect(fresh_dsn)
    try:
        # A copy of the first event at another position (and stream), whatever the columns are.
        row = ("INSERT INTO kehu_log.events SELECT (jsonb_populate_record(null::kehu_log.events,"
               " to_jsonb(e) || jsonb_build_object('position', $1::bigint, 'stream_id',"
               " e.stream_id || '-copy'))).* FROM kehu_log.events e ORDER BY position LIMIT 1")
        for position, refused in ((MAX, False), (MAX + 1, True)):
            transaction = conn.transaction()
            await transaction.start()
            try:
                await conn.execute("SET LOCAL session_replication_role = replica")
                if refused:
                    with pytest.raises(asyncpg.CheckViolationError):
                        await conn.execute(row, position)
                else:
                    assert await conn.execute(row, position) == "INSERT 0 1"
            finally:
                await transaction.rollback()
    finally:
        await conn.close()
