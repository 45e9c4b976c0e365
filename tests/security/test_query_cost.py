"""Query cost is measured before execution, in one pass that reads each fragment once: a small
request that would expand to millions of fields is refused at once, whatever its shape."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse

from events.shared.actors import Role
from schema.query_cost import Budget, refusal
from tests.live import LiveServer, gql, token

BUDGET = Budget(max_depth=12, max_aliases=30, max_cost=10_000, max_repeats=20)


def fan_out(fragments: int, name: str = "Q", leaf: str = "__typename") -> str:
    """The 1.4 KB request that took minutes: each fragment spreads the next one twice."""
    body = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} {leaf} }}\n"
                   for i in range(fragments))
    return f"query {name} {{ ...F0 }}\n{body}fragment F{fragments} on Query {{ {leaf} }}\n"


def inline_fan_out(levels: int) -> str:
    inner = "__typename"
    for _ in range(levels):
        inner = f"... on Query {{ {inner} }} ... on Query {{ {inner} }}"
    return f"{{ {inner} }}"


def why(query: str, variables: dict[str, Any] | None = None) -> str | None:
    over = refusal(parse(query), variables, 100, BUDGET)
    return None if over is None else over.message


def test_each_fragment_is_measured_once_so_a_fan_out_is_refused() -> None:
    assert why(fan_out(25)) is not None
    assert why(fan_out(25, leaf="a: __typename")) is not None
    assert why(fan_out(2000)) is not None  # a chain longer than the recursion limit
    assert why(inline_fan_out(12)) is not None


def test_page_sizes_multiply_the_cost_whether_literal_or_variable() -> None:
    query = "query($n: Int) { meals(first: $n) { edges { node { id history { type } } } } }"
    assert why(query, {"n": 100}) is None
    assert why(query, {"n": 5000}) is None  # its resolver refuses a page over 100 by name
    wide = "query($n: Int) { " + " ".join(
        f"a{i}: meals(first: $n) {{ edges {{ node {{ {'id status ' * 20} }} }} }}"
        for i in range(3)) + " }"  # 3 * (1 + 100 * (2 + 40)) = 12,603
    assert "cost" in (why(wide, {"n": 100}) or "")
    history = " ".join(f"a{i}: meals(first: 100) {{ edges {{ node {{ history {{ type }} }} }} }}"
                       for i in range(30))
    assert "cost" in (why(f"{{ {history} }}") or "")


def test_fragments_on_different_types_cost_the_costliest_one() -> None:
    """A union's members are alternatives: one row is of one type. Typed event data selects
    several members; what a row costs is the costliest member (1 + 100 * (2 + 20) = 2,201),
    not their sum (1 + 100 * (2 + 15 * 20) = 30,201)."""
    fields = " ".join(f"f{i}" for i in range(20))
    members = " ".join(f"... on T{i} {{ {fields} }}" for i in range(15))
    assert why(f"{{ events(first: 100) {{ data {{ {members} }} }} }}") is None
    same_type = " ".join(f"... on T0 {{ {fields} }}" for _ in range(15))
    assert "cost" in (why(f"{{ events(first: 100) {{ data {{ {same_type} }} }} }}") or "")


def test_alternating_type_conditions_do_not_hide_a_fan_out() -> None:
    inner = "__typename"
    for level in range(12):
        inner = f"... on A{level} {{ {inner} }} ... on B{level} {{ {inner} }}"
    assert why(f"{{ {inner} }}") is not None  # the same name 4,096 times: refused as repeats


def test_repeated_fields_aliases_and_depth_have_limits() -> None:
    assert "selected" in (why("{ " + "events(first: 1) { position } " * 21 + "}") or "")
    assert "aliases" in (why("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }")
                         or "")
    deep = "name"
    for _ in range(20):
        deep = f"ofType {{ {deep} }}"
    assert "depth" in (why(f'{{ __type(name: "Query") {{ {deep} }} }}') or "")


def test_ordinary_queries_and_the_introspection_query_pass() -> None:
    assert why(get_introspection_query(descriptions=True)) is None
    assert why("{ events(first: 100) { position type streamId } }") is None
    assert why("query @skip(if: false) { ...F } fragment F on Query { __typename }") is None


async def _post(server: LiveServer, query: str, auth: str | None,
                variables: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    body = await gql(server, query, variables, auth=auth)
    return time.perf_counter() - started, body


def _refused(body: dict[str, Any]) -> None:
    assert body.get("data") is None, body
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", body


def server_cpu_s(server: LiveServer) -> float:
    """User plus system CPU seconds the server process has used (Linux /proc)."""
    stat = Path(f"/proc/{server.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("auth", [None, "staff"])
async def test_fan_out_is_refused_within_a_second_and_health_still_answers(
        live_server: LiveServer, auth: str | None) -> None:
    bearer = token("fan-out-attacker", Role.STAFF) if auth else None
    cpu_before = server_cpu_s(live_server)
    attacks = [_post(live_server, fan_out(25, name=f"Renamed{i}"), bearer) for i in range(12)]
    async with httpx.AsyncClient(timeout=5) as client:
        healthz, refusals = await asyncio.gather(client.get(live_server.url + "/healthz"),
                                                 asyncio.gather(*attacks))
    assert healthz.status_code == 200
    for _, refused in refusals:
        _refused(refused)
    # Twelve renamed copies (no cache helps) cost the server under a second of CPU in all.
    assert server_cpu_s(live_server) - cpu_before < 1
    elapsed, body = await _post(live_server, fan_out(25, name="Alone"), bearer)
    _refused(body)
    assert elapsed < 1


async def test_fan_out_over_get_is_refused_too(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        started = time.perf_counter()
        response = await client.get(live_server.url + "/graphql",
                                    params={"query": fan_out(25, name="ByGet")})
    assert time.perf_counter() - started < 1
    _refused(response.json())


@pytest.mark.parametrize("query", [
    inline_fan_out(8),
    "{ " + "__typename " * 2000 + "}",
    "query @include(if: true) { " + "events(first: 1) @skip(if: false) { position } " * 300 + "}",
    fan_out(25, leaf="events(first: 100) { position }"),
])
async def test_other_shapes_of_the_bomb_are_refused_quickly(live_server: LiveServer,
                                                            query: str) -> None:
    elapsed, body = await _post(live_server, query, token("shapes", Role.AUDITOR))
    _refused(body)
    assert elapsed < 1


async def test_page_size_from_variables_counts_and_anonymous_budget_is_smaller(
        live_server: LiveServer) -> None:
    query = ("query Q($n: Int) { a: events(first: $n) { position type streamId }"
             " b: events(first: $n) { position type streamId } }")  # 2 + 2 * 100 * 3 = 602
    _, body = await _post(live_server, query, token("cost", Role.AUDITOR), {"n": 100})
    assert "errors" not in body, body
    _, body = await _post(live_server, query, None, {"n": 100})
    _refused(body)  # 401 would say nothing about cost: the budget speaks first, before any read
    _, body = await _post(live_server, get_introspection_query(descriptions=True), None)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
