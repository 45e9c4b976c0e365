"""The authorisation matrix (issue 5): every mutation x every role, and anonymous, over GraphQL
on a real server. Exactly the roles in ALLOWED succeed; every other role gets a typed
ForbiddenError and writes nothing; anonymous callers get an UNAUTHENTICATED error.

ALLOWED is the roles table of RULES.md as the command handlers enforce it (ctx.require_role in
events/*.py, and events.handling.execute refusing auditors and integrations every write). Where
the code goes beyond the table, the row says why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from events.actors import Actor, Role
from events.store import EventStore
from tests.live import LiveServer, gql, token
from tests.meals.flows import person
from tests.security.matrix_meals import MEAL_SETUPS, OWN_REQUEST
from tests.security.matrix_policy import POLICY_SETUPS, own_server
from tests.security.matrix_setup import SETUPS, Case, Env

M, GM = Role.MANAGER, Role.GENERAL_MANAGER
DEPARTMENT = frozenset({Role.STAFF, M})  # staff, and the manager who "may everything staff may"

ALLOWED: dict[str, frozenset[Role]] = {
    # Customer records: not in the roles table; the department keeps them (V6 prospects come
    # from staff's visits), so staff and the manager.
    "registerCustomer": DEPARTMENT,
    "updateCustomer": DEPARTMENT,
    "recordCreditChange": DEPARTMENT,
    "changeCustomerTier": DEPARTMENT,
    "promoteProspect": DEPARTMENT,
    "changeCustomerStatus": DEPARTMENT,
    # Visits: staff on their own visits, the manager on anyone's.
    "planVisit": DEPARTMENT,
    "logVisit": DEPARTMENT,
    "fileVisitReport": DEPARTMENT,
    "recordCommitment": DEPARTMENT,
    "fulfillCommitment": DEPARTMENT,
    "logFollowUp": DEPARTMENT,
    # V13: the department drafts, only the general manager approves.
    "draftPolicy": DEPARTMENT,
    "approvePolicy": frozenset({GM}),
    # Meals: staff request; only the manager approves, rejects, signs, denies (never their own).
    "requestMeal": DEPARTMENT,
    "approveMeal": frozenset({M}),
    "rejectMeal": frozenset({M}),
    "approveMealVerbally": frozenset({M}),
    "completeMealPaperwork": DEPARTMENT,  # only the requester, who is staff or a manager
    "issueMealVouchers": frozenset({Role.ADMIN_OFFICE}),
    "recordMealCost": DEPARTMENT,  # the requester (staff: their own meal) or a manager
    "signMealCost": frozenset({M}),
    "denyReimbursement": frozenset({M}),
    "recordRestaurantBill": DEPARTMENT,
    "settleRestaurantBill": frozenset({M}),
    # T2 sales: not in the roles table. Managers keep the catalogue; the department records
    # sales; the manager or the general manager signs the table off (审核).
    "defineProduct": frozenset({M}),
    "recordSale": DEPARTMENT,
    "importSales": DEPARTMENT,
    "signOffSalesTable": frozenset({M, GM}),
    # Subscribing is how an integration "subscribes" (roles table); a manager sets it up.
    "registerWebhook": frozenset({Role.INTEGRATION, M}),
    "deactivateWebhook": frozenset({Role.INTEGRATION, M}),  # its registrant or a manager
}

ALL_SETUPS = {**SETUPS, **MEAL_SETUPS, **POLICY_SETUPS}
CALLERS: list[Role | None] = [*Role, None]  # None: anonymous
CASES = [(m, r) for m in ALLOWED if m not in POLICY_SETUPS for r in CALLERS]
POLICY_CASES = [(m, r) for m in ALLOWED if m in POLICY_SETUPS for r in CALLERS]

INTROSPECT = """{ __schema { mutationType { fields { name
  args { name type { kind name ofType { kind name } } } } } } }"""


@pytest.fixture(scope="module")
async def input_types(live_server: LiveServer) -> dict[str, str]:
    """mutation name -> its input type, as the live schema has it."""
    body = await gql(live_server, INTROSPECT, auth=token("mx-intro", Role.MANAGER))
    assert "errors" not in body, body
    found: dict[str, str] = {}
    for field in body["data"]["__schema"]["mutationType"]["fields"]:
        (arg,) = [a for a in field["args"] if a["name"] == "input"]
        found[field["name"]] = arg["type"]["ofType"]["name"]
    return found


@pytest.fixture(scope="module")
async def policy_env(server_dsn: str, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[Env]:
    async with own_server(server_dsn, tmp_path_factory.mktemp("matrix-policy")) as env:
        yield env


async def test_every_mutation_of_the_live_schema_has_a_row(input_types: dict[str, str]) -> None:
    assert set(ALLOWED) == set(input_types) == set(ALL_SETUPS)


def _document(name: str, input_type: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename"
            " ... on MutationError { code rule message } } }")


async def _stream_length(store: EventStore, stream: str | None) -> int | None:
    return None if stream is None else len(await store.read_stream(stream))


@pytest.mark.parametrize(("mutation", "role"), CASES,
                         ids=[f"{m}-{r.value if r else 'anonymous'}" for m, r in CASES])
async def test_roles_matrix(live_server: LiveServer, store: EventStore,
                            input_types: dict[str, str], mutation: str, role: Role | None) -> None:
    await _check(Env(store, live_server), input_types[mutation], mutation, role)


@pytest.mark.parametrize(("mutation", "role"), POLICY_CASES,
                         ids=[f"{m}-{r.value if r else 'anonymous'}" for m, r in POLICY_CASES])
async def test_roles_matrix_rule_book(policy_env: Env, input_types: dict[str, str],
                                      mutation: str, role: Role | None) -> None:
    await _check(policy_env, input_types[mutation], mutation, role)


async def _check(env: Env, input_type: str, mutation: str, role: Role | None) -> None:
    me: Actor = person(role or Role.STAFF)
    case: Case = await ALL_SETUPS[mutation](env, me)
    store = env.store
    head, length = await store.head_position(), await _stream_length(store, case.stream)
    auth = token(me.user_id, me.role) if role is not None else None
    body: dict[str, Any] = await gql(env.server, _document(mutation, input_type),
                                     {"input": case.input}, auth=auth)
    if role is not None and role in ALLOWED[mutation]:
        assert "errors" not in body, body
        assert not body["data"][mutation]["__typename"].endswith("Error"), body
        return
    if role is None:
        assert body["data"] is None, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"], body
    else:
        assert "errors" not in body, body
        assert body["data"][mutation]["__typename"] == "ForbiddenError", body
    assert await store.head_position() == head  # nothing written anywhere
    assert await _stream_length(store, case.stream) == length


# Separation of duties. Already proven elsewhere, so not repeated here: a manager approving
# their own request (tests/meals/test_meal_rules_api.py, M2), approving a meal verbally for
# themselves (tests/domain/test_meals.py, M11), settling a bill that holds their own meal
# (tests/meals/test_meal_handlers.py, M13), and a general manager approving a version they
# drafted (tests/domain/test_policy.py, V13; over the API it cannot arise, since only staff and
# managers draft).
@pytest.mark.parametrize("mutation", sorted(OWN_REQUEST))
async def test_M2_M12_M14_a_manager_never_rejects_signs_or_denies_their_own_request(
    live_server: LiveServer, store: EventStore, input_types: dict[str, str], mutation: str
) -> None:
    setup, rule = OWN_REQUEST[mutation]
    me = person(Role.MANAGER)
    case = await setup(Env(store, live_server), me)
    head, length = await store.head_position(), await _stream_length(store, case.stream)
    body = await gql(live_server, _document(mutation, input_types[mutation]),
                     {"input": case.input}, auth=token(me.user_id, me.role))
    assert body["data"][mutation]["__typename"] == "ForbiddenError", body
    assert body["data"][mutation]["rule"] == rule
    assert "own request" in body["data"][mutation]["message"]
    assert (await store.head_position(), await _stream_length(store, case.stream)) == (
        head, length)
    # The same meal in another manager's hands goes through: the refusal was the person's.
    other = person(Role.MANAGER)
    body = await gql(live_server, _document(mutation, input_types[mutation]),
                     {"input": case.input}, auth=token(other.user_id, other.role))
    assert not body["data"][mutation]["__typename"].endswith("Error"), body
