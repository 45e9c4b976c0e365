"""The authorisation matrix (issue 5): every mutation of the live schema x every role, and
anonymous, over GraphQL on a real server. Exactly the roles in ALLOWED get the ok type of the
mutation's result union and write; every other role gets a typed ForbiddenError naming a rule
and writes nothing; an anonymous caller gets UNAUTHENTICATED and writes nothing.

ALLOWED is the roles table of docs/rules.md as data. Rows the table does not cover (customer
records,
sales, webhooks) follow the deciding module's documented interpretation, quoted in the comment.
Preconditions: tests/security/matrix_cases.py. All 238 calls run concurrently in batches.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from events.shared.actors import Actor, Role
from events.store.event_store import EventStore
from tests.live import LiveServer, gql, token
from tests.security.matrix_cases import POLICY, SERIAL, SETUPS, Case, Env, person, written_by

S, M, A, G, INT = (Role.STAFF, Role.MANAGER, Role.ADMIN_OFFICE, Role.GENERAL_MANAGER,
                   Role.INTEGRATION)
DEPARTMENT = frozenset({S, M})  # staff, and the manager who "may everything staff may"

ALLOWED: dict[str, frozenset[Role]] = {
    # Customer records (not in the roles table): the department keeps them; staff "register and
    # update customers" (issue 5), the manager everything staff may.
    "registerCustomer": DEPARTMENT,
    "updateCustomer": DEPARTMENT,
    "recordCreditChange": DEPARTMENT,
    "changeCustomerTier": frozenset({M}),  # the tier selects the caps (M5): the manager's call
    "promoteProspect": DEPARTMENT,
    "changeCustomerStatus": DEPARTMENT,
    # Staff "plan and log visits, file reports, record commitments and follow-ups" (their own);
    # the manager on anyone's.
    "planVisit": DEPARTMENT,
    "logVisit": DEPARTMENT,
    "fileVisitReport": DEPARTMENT,
    "recordCommitment": DEPARTMENT,
    "fulfillCommitment": DEPARTMENT,
    "logFollowUp": DEPARTMENT,
    # V13: the department drafts; the general manager approves.
    "draftPolicy": DEPARTMENT,
    "approvePolicy": frozenset({G}),
    # Staff "request meals, record bills"; the manager approves/rejects, approves verbally,
    # signs meal costs, settles restaurant bills, denies reimbursement; admin_office vouchers.
    "requestMeal": DEPARTMENT,
    "approveMeal": frozenset({M}),
    "rejectMeal": frozenset({M}),
    "approveMealVerbally": frozenset({M}),
    # The staff member who held the meal completes its paperwork (a verbal approval names staff).
    "completeMealPaperwork": frozenset({S}),
    "reportUnapprovedMeal": frozenset({S}),  # M14: staff report a meal they held unapproved
    "issueMealVouchers": frozenset({A}),
    "recordMealCost": DEPARTMENT,  # the requester (own meal) or a manager (anyone's)
    "signMealCost": frozenset({M}),
    "denyReimbursement": frozenset({M}),
    "recordRestaurantBill": DEPARTMENT,  # "record bills"; auditing and settling is the manager's
    "settleRestaurantBill": frozenset({M}),
    # Documents (M12, M13): a meal's receipts by whoever may record its cost (the requester or
    # a manager); a bill's by whoever may settle it.
    "attachMealDocument": DEPARTMENT,
    "explainMissingReceipt": DEPARTMENT,
    "attachBillDocument": frozenset({M}),
    # T2 sales (not in the roles table; events/sales.py: "staff and managers record and import
    # sales; managers maintain the catalogue; a manager or the general manager signs off").
    "defineProduct": frozenset({M}),
    "recordSale": DEPARTMENT,
    "importSales": DEPARTMENT,
    "signOffSalesTable": frozenset({M, G}),
    # Integrations "subscribe" (events/webhooks.py: the systems that integrate, and the
    # managers who set them up); deactivating: its registrant or a manager.
    "registerWebhook": frozenset({INT, M}),
    # The people directory (M11: a verbal approval names a registered, active staff member):
    # the administration department keeps it, not the managers who approve.
    "registerPerson": frozenset({A}),
    "deactivatePerson": frozenset({A}),
    "recordPersonContact": frozenset({A}),  # where reminders go: the directory's keepers
    # Everyone who may write marks their own notifications read (reminders, issue 20).
    "markNotificationsRead": frozenset({S, M, A, G}),
    "deactivateWebhook": frozenset({INT, M}),
    "rotateWebhookSecret": frozenset({INT, M}),
    # Erasure is irreversible and answers a legal request: the general manager alone
    # (events/privacy/model.py, docs/privacy.md).
    "erasePersonalData": frozenset({G}),
}

CALLERS: list[Role | None] = [*Role, None]  # None: anonymous, no token
BATCH = 24

INTROSPECT = """{ __schema { mutationType { fields { name
  args { name type { name ofType { name } } }
  type { ofType { name possibleTypes { name } } } } } } }"""


def document(name: str, input_type: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename"
            " ... on MutationError { code rule message } } }")


@pytest.fixture(scope="module")
async def mutations(live_server: LiveServer) -> dict[str, tuple[str, str]]:
    """mutation -> (input type, ok type of its result union), from the live schema."""
    body = await gql(live_server, INTROSPECT, auth=token("mx-introspect", M))
    assert "errors" not in body, body
    found: dict[str, tuple[str, str]] = {}
    for field in body["data"]["__schema"]["mutationType"]["fields"]:
        (arg,) = [a for a in field["args"] if a["name"] == "input"]
        (ok,) = [t["name"] for t in field["type"]["ofType"]["possibleTypes"]
                 if not t["name"].endswith("Error")]
        # `input` is required everywhere but erasePersonalData (which also takes subjectId, reason)
        found[field["name"]] = (arg["type"]["name"] or arg["type"]["ofType"]["name"], ok)
    return found


async def test_every_mutation_of_the_live_schema_has_a_row(
    mutations: dict[str, tuple[str, str]]
) -> None:
    assert set(ALLOWED) == set(mutations)
    assert set(SETUPS) == set(mutations)


async def stream_length(store: EventStore, stream: str | None) -> int:
    return 0 if stream is None else len(await store.read_stream(stream))


async def run_case(env: Env, mutation: str, input_type: str, ok_type: str,
                   role: Role | None) -> str | None:
    """One call; returns what went wrong, or None."""
    me: Actor = person(role or S)
    case: Case = await SETUPS[mutation](env, me)
    before, length = await written_by(env.store, me.user_id), await stream_length(
        env.store, case.stream)
    auth = token(me.user_id, me.role) if role is not None else None
    body: dict[str, Any] = await gql(env.server, document(mutation, input_type),
                                     {"input": case.input}, auth=auth)
    label = f"{mutation} as {role.value if role else 'anonymous'}: {body}"
    written = await written_by(env.store, me.user_id) - before
    if role is not None and role in ALLOWED[mutation]:
        ok = "errors" not in body and body["data"][mutation]["__typename"] == ok_type
        return None if ok and written > 0 else f"expected {ok_type} and a write; {label}"
    if role is None:
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        refused = body.get("data") is None and codes == ["UNAUTHENTICATED"]
    else:
        result = (body.get("data") or {}).get(mutation) or {}
        refused = (result.get("__typename") == "ForbiddenError"
                   and bool(result.get("rule")) and "errors" not in body)
    if not refused:
        return f"expected a refusal; {label}"
    if written or await stream_length(env.store, case.stream) != length:
        return f"refused but wrote; {label}"
    return None


async def test_roles_matrix_every_mutation_every_role_and_anonymous(
    live_server: LiveServer, store: EventStore, policy_env: Env,
    mutations: dict[str, tuple[str, str]],
) -> None:
    session = Env(store, live_server)
    cases = [(m, r) for m in sorted(ALLOWED) for r in CALLERS]

    def run(m: str, r: Role | None) -> Any:
        return run_case(policy_env if m in POLICY else session, m, *mutations[m], r)

    parallel = [c for c in cases if c[0] not in SERIAL]
    failures: list[str | None] = []
    for start in range(0, len(parallel), BATCH):
        failures += await asyncio.gather(*(run(m, r) for m, r in parallel[start:start + BATCH]))
    for m, r in (c for c in cases if c[0] in SERIAL):
        failures.append(await run(m, r))
    problems = [f for f in failures if f is not None]
    assert not problems, "\n".join(problems)
    assert len(failures) == len(ALLOWED) * len(CALLERS)
