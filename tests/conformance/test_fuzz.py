"""Schemathesis fuzzes every query and mutation the live schema has (found by introspection),
with a fixed seed: zero server errors. A 5xx, a body that is not JSON, or a GraphQL error with
extensions.code INTERNAL (an unexpected exception, masked) each count as one; validation errors
and typed domain errors are the expected answers to nonsense.

It runs against a server of its own on a fresh database: random mutations must not change the
rule book or records other tests read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from events.shared.actors import Role
from tests.live import LiveServer, gql, run_server, token

# Kehu's own scalar: the fuzzer gets both input forms and values on both sides of the bound,
# as numbers and as strings (the bound itself is tested in tests/security/test_positions.py).
POSITIONS = st.one_of(
    st.integers(min_value=-1, max_value=2**53).map(nodes.Int),
    st.integers(min_value=0, max_value=2**60).map(str).map(nodes.String),
    st.text(max_size=20).map(nodes.String),
)
schemathesis.graphql.scalar("Position", POSITIONS)

SEED = 20261126
TOTAL_EXAMPLES = 300  # split over the operations; at least MIN_PER_OPERATION each
MIN_PER_OPERATION = 4


@pytest.fixture
def fuzz_server(fresh_dsn: str, tmp_path: Path) -> Iterator[LiveServer]:
    # A query with a huge atLeast waits for the projections; keep that wait short here.
    with run_server(fresh_dsn, tmp_path, KEHU_READ_YOUR_WRITES_TIMEOUT="0.2") as server:
        yield server


def _server_error(response: requests.Response) -> str | None:
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        body: Any = response.json()
    except ValueError:
        return f"not JSON (HTTP {response.status_code}): {response.text[:300]}"
    for error in (body.get("errors") or []) if isinstance(body, dict) else []:
        if (error.get("extensions") or {}).get("code") == "INTERNAL":
            return f"INTERNAL: {json.dumps(error, ensure_ascii=False)[:300]}"
    return None


def test_fuzzing_every_operation_finds_no_server_error(fuzz_server: LiveServer) -> None:
    url = fuzz_server.url + "/graphql"
    reader = {"Authorization": f"Bearer {token('fuzz-auditor', Role.AUDITOR)}"}
    writer = {"Authorization": f"Bearer {token('fuzz-manager', Role.MANAGER)}"}
    schema = schemathesis.graphql.from_url(url, headers=reader, timeout=30)
    results: list[Any] = list(schema.get_all_operations())  # Ok(operation) or Err(problem)
    operations = [result.ok() for result in results]
    per_operation = max(MIN_PER_OPERATION, TOTAL_EXAMPLES // max(len(operations), 1))
    session = requests.Session()
    examples = 0
    failures: list[str] = []

    def fuzz(operation: Any, headers: dict[str, str]) -> None:
        @seed(SEED)
        @settings(max_examples=per_operation, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            nonlocal examples
            examples += 1
            response = case.call(session=session, headers=headers, timeout=30)
            problem = _server_error(response)
            if problem is not None:
                failures.append(f"{case.operation.label}: {problem}\n  {case.body}")

        check()

    for operation in operations:
        fuzz(operation, writer if "Mutation" in operation.label else reader)

    print(f"schemathesis: {examples} examples over {len(operations)} operations, "
          f"{len(failures)} server errors")
    assert examples >= min(TOTAL_EXAMPLES, len(operations) * MIN_PER_OPERATION) // 2
    assert not failures, "\n".join(failures[:20])


async def test_nul_character_is_refused_as_bad_input(live_server: LiveServer) -> None:
    # What the fuzz found first: U+0000 reached PostgreSQL and came back as an internal error.
    auth = token("fuzz-auditor", Role.AUDITOR)
    literal = await gql(live_server, '{ stream(id: "a\\u0000b") { position } }', auth=auth)
    variable = await gql(live_server, "query($id: ID!) { stream(id: $id) { position } }",
                         {"id": "a\x00b"}, auth=auth)
    for body in (literal, variable):
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        assert body.get("data") is None
