"""What no request can break: depth, alias and size bombs are refused quickly and cleanly."""

from __future__ import annotations

import time

import httpx

from events.shared.actors import Role
from tests.live import LiveServer, gql, token


async def test_depth_bomb_is_refused_quickly(live_server: LiveServer) -> None:
    inner = "name"
    for _ in range(40):
        inner = f"ofType {{ {inner} }}"
    query = f'{{ __type(name: "Query") {{ fields {{ type {{ {inner} }} }} }} }}'
    started = time.perf_counter()
    body = await gql(live_server, query, auth=token("a", Role.AUDITOR))
    assert time.perf_counter() - started < 2
    assert "depth" in body["errors"][0]["message"].lower()
    assert body.get("data") is None


async def test_alias_bomb_is_refused_quickly(live_server: LiveServer) -> None:
    aliases = " ".join(f"a{i}: events(first: 100) {{ position }}" for i in range(500))
    started = time.perf_counter()
    body = await gql(live_server, f"{{ {aliases} }}", auth=token("a", Role.AUDITOR))
    assert time.perf_counter() - started < 2
    assert body.get("data") is None
    assert any("alias" in e["message"].lower() or "token" in e["message"].lower()
               for e in body["errors"])


async def test_page_size_over_the_limit_is_a_typed_error(live_server: LiveServer) -> None:
    body = await gql(live_server, "{ events(first: 100000) { position } }",
                     auth=token("a", Role.AUDITOR))
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "first"


async def test_oversized_body_is_refused_with_413(live_server: LiveServer) -> None:
    padding = "#" * 9_000_000
    async with httpx.AsyncClient() as client:
        response = await client.post(
            live_server.url + "/graphql",
            content='{"query": "{ __typename }' + padding + '"}',
            headers={"content-type": "application/json",
                     "authorization": "Bearer " + token("a", Role.AUDITOR)},
        )
    assert response.status_code == 413


async def test_internal_errors_are_masked_with_a_request_id(live_server: LiveServer) -> None:
    # verifyAuditLog with a position range is safe; an invalid datetime literal is a
    # validation error (not masked) and says what is wrong without internals.
    body = await gql(live_server, '{ events(from: "not-a-date") { position } }',
                     auth=token("a", Role.AUDITOR))
    message = body["errors"][0]["message"]
    assert "Traceback" not in message and "File " not in message


async def test_standard_introspection_query_still_works(live_server: LiveServer) -> None:
    from graphql import get_introspection_query

    body = await gql(live_server, get_introspection_query(descriptions=True),
                     auth=token("a", Role.AUDITOR))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_limits_hold_on_a_repeated_document(live_server: LiveServer) -> None:
    # The parser and validation caches must not let a refused document through the second time.
    aliases = " ".join(f"a{i}: events(first: 1) {{ position }}" for i in range(100))
    for _ in range(2):
        body = await gql(live_server, f"{{ {aliases} }}", auth=token("a", Role.AUDITOR))
        assert body.get("data") is None and body["errors"]


async def test_batched_requests_are_refused(live_server: LiveServer) -> None:
    # One operation per request: a JSON array of operations is not executed at all.
    batch = [{"query": "{ events(first: 1) { position } }"}] * 50
    async with httpx.AsyncClient() as client:
        response = await client.post(
            live_server.url + "/graphql", json=batch,
            headers={"authorization": "Bearer " + token("a", Role.AUDITOR)},
        )
    assert response.status_code == 400
