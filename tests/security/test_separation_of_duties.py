"""Separation of duties (RULES.md: nobody approves, signs or settles their own request) and who
sees what, over GraphQL on a real server. Every refusal is checked to write nothing, and the same
step by a colleague succeeds, so the refusal is the rule's and not a broken precondition's."""

from __future__ import annotations

from typing import Any

import pytest

from events.meals.commands import RecordMealCost, SignMealCost
from events.meals.handlers import handle_meal
from events.shared.actors import Actor, Role
from events.shared.errors import Forbidden
from events.store.event_store import EventStore
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id
from tests.security import matrix_cases as mc
from tests.security.matrix_cases import Env, hours, person, written_by


async def call(env: Env, actor: Actor, mutation: str, input_type: str,
               input: dict[str, Any]) -> dict[str, Any]:
    body = await gql(env.server, f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{"
                     " __typename ... on MutationError { rule } } }", {"i": input},
                     auth=token(actor.user_id, actor.role))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][mutation]
    return result


async def refused(env: Env, actor: Actor, mutation: str, input_type: str,
                  input: dict[str, Any], rule: str) -> None:
    before = await written_by(env.store, actor.user_id)
    result = await call(env, actor, mutation, input_type, input)
    assert result == {"__typename": "ForbiddenError", "rule": rule}, (mutation, result)
    assert await written_by(env.store, actor.user_id) == before


async def done(env: Env, actor: Actor, mutation: str, input_type: str,
               input: dict[str, Any]) -> None:
    result = await call(env, actor, mutation, input_type, input)
    assert not result["__typename"].endswith("Error"), (mutation, result)


@pytest.fixture
def env(live_server: LiveServer, store: EventStore) -> Env:
    return Env(store, live_server)


async def test_SoD_M2_M11_M12_M14_a_manager_never_decides_their_own_meal(env: Env) -> None:
    boss, colleague = person(Role.MANAGER), person(Role.MANAGER)
    requested = await mc.meal(env, boss, meal_at=hours(48), approved=False)
    await refused(env, boss, "approveMeal", "ApproveMealInput", {"mealId": requested}, "M2")
    await refused(env, boss, "rejectMeal", "MealReasonInput",
                  {"mealId": requested, "reason": "no"}, "M2")
    await done(env, colleague, "approveMeal", "ApproveMealInput", {"mealId": requested})

    held = await mc.meal(env, boss, meal_at=hours(-1), cost=True)
    await refused(env, boss, "signMealCost", "SignMealCostInput", {"mealId": held}, "M12")
    await done(env, colleague, "signMealCost", "SignMealCostInput", {"mealId": held})

    overdue = await mc.verbal(env, boss.user_id, hours(-24 * 20))
    reason = {"mealId": overdue, "reason": "no paperwork"}
    await refused(env, boss, "denyReimbursement", "MealReasonInput", reason, "M14")
    await done(env, colleague, "denyReimbursement", "MealReasonInput", reason)

    verbal = {"requestedBy": boss.user_id, "customerId": await mc.customer(env),
              "mealAt": hours(1).isoformat(), "restaurant": "Jade Garden", "guests": 4,
              "accompanying": 2, "mealType": "BANQUET", "host": "STAFF",
              "urgencyReason": "the delegation came early"}
    await refused(env, boss, "approveMealVerbally", "ApproveMealVerballyInput", verbal, "M11")
    await done(env, colleague, "approveMealVerbally", "ApproveMealVerballyInput", verbal)


async def test_SoD_M13_a_manager_never_settles_a_bill_with_their_own_meal(env: Env) -> None:
    boss, colleague = person(Role.MANAGER), person(Role.MANAGER)
    restaurant = random_id("Own Table ")
    meal_id = await mc.meal(env, boss, meal_at=hours(-1), cost=True, restaurant=restaurant)
    await handle_meal(env.store, mc.ctx(colleague), SignMealCost(meal_id, "checked"))
    line = {"lineNo": 1, "date": mc.today().isoformat(), "amount": "500.00",
            "reference": "T1", "mealId": meal_id}
    await done(env, colleague, "recordRestaurantBill", "RecordRestaurantBillInput",
               {"restaurant": restaurant, "month": mc.month(), "lines": [line]})
    # The settlement finds signed meals through the meals read model: wait until it has ours.
    await gql(env.server, "query($id: ID!, $at: Int) { mealRequest(id: $id, atLeast: $at)"
              " { id } }", {"id": meal_id, "at": await env.store.head_position()},
              auth=token(colleague.user_id, colleague.role))
    settle = {"restaurant": restaurant, "month": mc.month()}
    await refused(env, boss, "settleRestaurantBill", "SettleRestaurantBillInput", settle, "M13")
    await done(env, colleague, "settleRestaurantBill", "SettleRestaurantBillInput", settle)


async def test_SoD_V13_a_general_manager_never_approves_a_version_they_drafted(
    policy_env: Env
) -> None:
    # The same person holding a department role drafts, then signs in as general manager.
    gm, other_gm = person(Role.GENERAL_MANAGER), person(Role.GENERAL_MANAGER)
    case = await mc.approve_policy(policy_env, gm)
    own = await mc.draft(policy_env, Actor(gm.user_id, gm.name, Role.MANAGER))
    approve = {**case.input, "version": own}
    await refused(policy_env, gm, "approvePolicy", "ApprovePolicyInput", approve, "V13")
    await done(policy_env, other_gm, "approvePolicy", "ApprovePolicyInput", approve)


async def test_roles_staff_never_act_on_another_staff_members_visit(env: Env) -> None:
    owner, other, boss = person(Role.STAFF), person(Role.STAFF), person(Role.MANAGER)
    planned = await mc.visit(env, owner, logged=False)
    log = {**mc.LOG, "visitId": planned, "actualDate": mc.today().isoformat()}
    await refused(env, other, "logVisit", "LogVisitInput", log, "roles")
    await done(env, boss, "logVisit", "LogVisitInput", log)
    logged = await mc.visit(env, owner)
    await refused(env, other, "fileVisitReport", "FileVisitReportInput",
                  {"visitId": logged, "report": "r", "recordCard": "c"}, "roles")
    await refused(env, other, "recordCommitment", "RecordCommitmentInput",
                  {"visitId": logged, "what": "a sample", "dueDate": mc.today().isoformat()},
                  "roles")


async def test_M12_a_named_requester_of_another_role_never_records_the_cost(
    env: Env
) -> None:
    # M11 lets the manager name any user as requester; recording the bill stays staff's.
    admin = person(Role.ADMIN_OFFICE)
    meal_id = await mc.verbal(env, admin.user_id, hours(-2))
    with pytest.raises(Forbidden) as refusal:
        await handle_meal(env.store, mc.ctx(admin), RecordMealCost(meal_id, 50_000, 0, 4, 2))
    assert refusal.value.rule == "M12"


SEEN = """query($m: ID!, $v: ID!, $by: String!, $at: Int) {
  mealRequest(id: $m, atLeast: $at) { id }
  visit(id: $v, atLeast: $at) { id }
  mealRequests(filter: {requestedBy: $by}) { totalCount }
  visits(filter: {staffId: $by}) { totalCount } }"""


async def test_roles_staff_see_only_their_own_meals_and_visits(env: Env) -> None:
    me, colleague = person(Role.STAFF), person(Role.STAFF)
    theirs = {"m": await mc.meal(env, colleague, meal_at=hours(48), approved=False),
              "v": await mc.visit(env, colleague, logged=False), "by": colleague.user_id}
    await mc.meal(env, me, meal_at=hours(48), approved=False)
    at = await env.store.head_position()
    seen: dict[str, Any] = {}
    viewers = {"staff": me, "manager": person(Role.MANAGER), "auditor": person(Role.AUDITOR),
               "owner": colleague}
    for name, viewer in viewers.items():
        body = await gql(env.server, SEEN, {**theirs, "at": at},
                         auth=token(viewer.user_id, viewer.role))
        assert "errors" not in body, body
        seen[name] = body["data"]
    everything = {"mealRequest": {"id": theirs["m"]}, "visit": {"id": theirs["v"]},
                  "mealRequests": {"totalCount": 1}, "visits": {"totalCount": 1}}
    assert seen["staff"] == {"mealRequest": None, "visit": None,
                                "mealRequests": {"totalCount": 0}, "visits": {"totalCount": 0}}
    assert seen["manager"] == seen["auditor"] == seen["owner"] == everything
