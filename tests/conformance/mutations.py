"""Which real mutation a conformance check can use, found by introspection at run time.

Other modules add mutations over time; the checks take the first known one the schema has, with
an input the domain accepts, so they exercise a real write rather than a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from events.shared.actors import Role
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id


@dataclass(frozen=True)
class KnownMutation:
    name: str
    role: Role
    make_input: Callable[[], dict[str, Any]]  # a fresh, valid input per call


CATALOG = (
    KnownMutation("registerCustomer", Role.STAFF,
                  lambda: {"organisationName": f"Conformance {random_id()}"}),
    # Deliveries would only go to the discard port on loopback, and only for deactivations.
    KnownMutation("registerWebhook", Role.INTEGRATION,
                  lambda: {"url": f"http://127.0.0.1:9/{random_id()}",
                           "eventTypes": ["WebhookDeactivated"]}),
)

_INTROSPECT = """{ __schema { mutationType { fields { name args { name type {
  kind name ofType { kind name ofType { kind name } } } } } } } }"""


@dataclass(frozen=True)
class ChosenMutation:
    known: KnownMutation
    input_type: str  # e.g. "RegisterCustomerInput!"

    @property
    def document(self) -> str:
        return (f"mutation Write($input: {self.input_type}, $key: String) "
                f"{{ {self.known.name}(input: $input, idempotencyKey: $key) "
                "{ __typename ... on MutationOk { position replayed } } }")

    def auth(self, user: str | None = None) -> str:
        return token(user or random_id("conformance-"), self.known.role)


def _type_ref(t: dict[str, Any]) -> str:
    if t["kind"] == "NON_NULL":
        return _type_ref(t["ofType"]) + "!"
    if t["kind"] == "LIST":
        return f"[{_type_ref(t['ofType'])}]"
    return str(t["name"])


async def mutation_fields(server: LiveServer) -> dict[str, dict[str, Any]]:
    body = await gql(server, _INTROSPECT)
    mutation_type = body["data"]["__schema"]["mutationType"]
    return {f["name"]: f for f in (mutation_type or {}).get("fields", [])}


async def choose(server: LiveServer) -> ChosenMutation | None:
    fields = await mutation_fields(server)
    for known in CATALOG:
        field = fields.get(known.name)
        if field is None:
            continue
        args = {a["name"]: a for a in field["args"]}
        if "input" in args and "idempotencyKey" in args:
            return ChosenMutation(known, _type_ref(args["input"]["type"]))
    return None


async def write_many(server: LiveServer, chosen: ChosenMutation, count: int,
                     concurrency: int = 8) -> list[int]:
    """`count` successful writes through the API; their log positions."""
    import asyncio

    import httpx

    positions: list[int] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:

        async def one() -> None:
            # A writer of its own per request: one user's request budget (issue 13) is not what
            # these fault tests measure.
            headers = {"Authorization": f"Bearer {chosen.auth()}"}
            async with gate:
                response = await client.post(server.url + "/graphql", headers=headers, json={
                    "query": chosen.document, "variables": {"input": chosen.known.make_input()}})
            result = response.json()["data"][chosen.known.name]
            assert result.get("position"), result
            positions.append(result["position"])

        await asyncio.gather(*(one() for _ in range(count)))
    return positions
