"""Separation of duties (docs/rules.md: nobody approves, signs or settles their own request) and who
sees what, over GraphQL on a real server. Every refusal is checked to write nothing, and the same
step by a colleague succeeds, so the refusal is the rule's and not a broken precondition's."""

from __future__ import annotations

import string
from typing import Any

import pytest

from events.meals.commands import SignMealCost
from events.meals.handlers import handle_meal
from events.people.commands import RegisterPerson
from events.people.handlers import handle_person
from events.shared.actors import Actor, Role
from events.store.event_store import EventStore
from tests.live import Clock, LiveServer, gql, token
from tests.meals.helpers import first_day_after
from tests.random_refs import random_id
from tests.security import matrix_cases as mc
from tests.security.matrix_cases import Env, hours, person, written_by

# Full-width letters, digits and hyphen: the same user id to a reader, other code points.
WIDE = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits
                      + "-"})


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

    # A verbal approval names a staff member, never the approver in any spelling (M11), so a
    # manager's own verbal meal, and its denial, cannot arise.
    staff = person(Role.STAFF)
    await mc.register_staff(env, staff.user_id)
    verbal = {"requestedBy": boss.user_id, "customerId": await mc.customer(env),
              "mealAt": hours(1).isoformat(), "restaurant": "Jade Garden", "guests": 4,
              "accompanying": 2, "mealType": "BANQUET", "host": "STAFF",
              "urgencyReason": "the delegation came early"}
    for spelling in (boss.user_id, boss.user_id.upper() + " ", boss.user_id.translate(WIDE)):
        await refused(env, boss, "approveMealVerbally", "ApproveMealVerballyInput",
                      {**verbal, "requestedBy": spelling}, "M11")
    await done(env, colleague, "approveMealVerbally", "ApproveMealVerballyInput",
               {**verbal, "requestedBy": staff.user_id})


async def test_SoD_M13_a_manager_never_settles_a_bill_with_their_own_meal(
    env: Env, clock: Clock
) -> None:
    boss, colleague, clerk = person(Role.MANAGER), person(Role.MANAGER), person(Role.STAFF)
    restaurant = random_id("Own Table ")
    meal_id = await mc.meal(env, boss, meal_at=hours(-1), cost=True, restaurant=restaurant)
    await handle_meal(env.store, mc.ctx(colleague), SignMealCost(meal_id, "checked"))
    line = {"lineNo": 1, "date": mc.today().isoformat(), "amount": "500.00",
            "reference": "T1", "mealId": meal_id}
    await done(env, clerk, "recordRestaurantBill", "RecordRestaurantBillInput",
               {"restaurant": restaurant, "month": mc.month(), "lines": [line]})
    # The settlement finds signed meals through the meals read model: wait until it has ours.
    await gql(env.server, "query($id: ID!, $at: Int) { mealRequest(id: $id, atLeast: $at)"
              " { id } }", {"id": meal_id, "at": await env.store.head_position()},
              auth=token(colleague.user_id, colleague.role))
    settle = {"restaurant": restaurant, "month": mc.month()}
    clock.set(first_day_after(mc.today()))  # M13: only a month that has ended is settled
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


async def test_M11_a_verbal_approval_never_names_another_role_or_an_unknown_user(
    env: Env
) -> None:
    # The named requester records the cost and files the paperwork: only staff qualify.
    admin = person(Role.ADMIN_OFFICE)
    await handle_person(env.store, mc.ctx(person(Role.ADMIN_OFFICE)),
                        RegisterPerson(admin.user_id, "Liu", Role.ADMIN_OFFICE))
    verbal = {"customerId": await mc.customer(env), "mealAt": hours(1).isoformat(),
              "restaurant": "Jade Garden", "guests": 4, "accompanying": 2, "mealType": "BANQUET",
              "host": "STAFF", "urgencyReason": "the delegation came early"}
    for named in (admin.user_id, "nobody-at-all", "system"):
        result = await call(env, person(Role.MANAGER), "approveMealVerbally",
                            "ApproveMealVerballyInput", {**verbal, "requestedBy": named})
        assert result["__typename"] == "ValidationError" and result["rule"] == "M11", result


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
