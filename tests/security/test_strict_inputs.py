"""Every malformed input is BAD_USER_INPUT naming the field, never an internal error: amounts,
dates at the ends of the calendar, forged cursors, unstorable text and bodies that are not
UTF-8 (each of these was an internal error or a bare HTTP 500)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from events.shared.actors import Role
from tests.live import LiveServer, gql, token

EVALUATE = """query($input: EvaluateMealInput!) {
  evaluateMeal(input: $input) { blocked } }"""
FORM = {"mealAt": "2026-03-02T18:30:00+08:00", "mealType": "BANQUET", "host": "STAFF",
        "guests": 2, "accompanying": 1, "customerTier": "GENERAL", "total": "300", "drinks": "50"}


def _bad_input(body: dict[str, Any], field: str | None = None) -> dict[str, Any]:
    assert body.get("data") is None or all(v is None for v in body["data"].values()), body
    error: dict[str, Any] = body["errors"][0]
    assert "extensions" in error, body
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert "Traceback" not in error["message"]
    if field is not None:
        assert field in (error["extensions"].get("field") or error["message"]), body
    return error


NUL_TEXT = "x\x00"


def cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


@pytest.mark.parametrize(("change", "field"), [
    ({"total": "1e3"}, "total"), ({"total": "1e-99999999"}, "total"),
    ({"total": "9e999999"}, "total"), ({"total": "１２"}, "total"), ({"total": "1_0"}, "total"),
    ({"drinks": "-0"}, "drinks"), ({"total": "100", "drinks": "200"}, "drinks"),
    ({"guests": 0}, "guests"), ({"mealAt": "2026-03-02T18:30:00"}, "mealAt"),
    ({"mealAt": "9999-12-31T23:59:59-12:00"}, "mealAt"),
    ({"mealAt": "0001-01-01T00:00:00+14:00"}, "mealAt"),
])
async def test_evaluate_meal_refuses_what_request_meal_refuses(
        live_server: LiveServer, change: dict[str, Any], field: str) -> None:
    body = await gql(live_server, EVALUATE, {"input": {**FORM, **change}},
                     auth=token("strict-staff", Role.STAFF))
    _bad_input(body, field)


@pytest.mark.parametrize(("query", "field"), [
    ('{ events(from: "0001-01-01T00:00:00+14:00") { position } }', "from"),
    ('{ events(to: "9999-12-31T23:59:59-12:00") { position } }', "to"),
    ('{ expenseSummary(groupBy: [MONTH], from: "0001-01-01", to: "9999-12-31") { count } }',
     "from"),
    ("{ salesAnalysis(year: 99999) { year } }", "year"),
    (f'{{ mealRequests(after: "{cursor(NUL_TEXT, "y")}") {{ totalCount }} }}', "after"),
    (f'{{ mealRequests(after: "{cursor("not-a-date", "y")}") {{ totalCount }} }}', "after"),
    (f'{{ mealRequests(after: "{cursor([[1]], [2])}") {{ totalCount }} }}', "after"),
    (f'{{ salesAggregate(groupBy: [YEAR], after: "{cursor(-5)}") {{ totalCount }} }}', "after"),
    (f'{{ salesAggregate(groupBy: [YEAR], after: "{cursor(2**70)}") {{ totalCount }} }}',
     "after"),
    ('{ mealRequests(after: "%%%") { totalCount } }', "after"),
])
async def test_dates_years_and_forged_cursors_are_bad_input(live_server: LiveServer,
                                                            query: str, field: str) -> None:
    body = await gql(live_server, query, auth=token("strict-manager", Role.MANAGER))
    _bad_input(body, field)


async def _raw(server: LiveServer, content: bytes) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(server.url + "/graphql", content=content, headers={
            "content-type": "application/json",
            "authorization": "Bearer " + token("strict-auditor", Role.AUDITOR)})


async def test_a_body_that_is_not_utf8_is_a_400_with_a_graphql_error(live_server: LiveServer
                                                                     ) -> None:
    response = await _raw(live_server, b'{"query": "{ __typename \xff\xfe }"}')
    assert response.status_code == 400
    _bad_input(response.json())


async def test_a_lone_surrogate_in_variables_is_a_400_naming_the_variable(
        live_server: LiveServer) -> None:
    response = await _raw(live_server, b'{"query": "query($id: ID!) { stream(id: $id) '
                                       b'{ position } }", "variables": {"id": "a\\ud800b"}}')
    assert response.status_code == 400
    _bad_input(response.json(), "variables.id")


async def test_a_body_nested_past_the_parser_is_a_400(live_server: LiveServer) -> None:
    response = await _raw(live_server, b'{"query": "{ __typename }", "variables": {"v": '
                          + b"[" * 100_000 + b"]" * 100_000 + b"}}")
    assert response.status_code == 400
    _bad_input(response.json())
