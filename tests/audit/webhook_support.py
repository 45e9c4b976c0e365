"""Registering webhooks and waiting for deliveries, for the webhook tests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any

from tests.audit.receiver import Receiver
from tests.live import LiveServer, gql

REGISTER = """mutation($input: RegisterWebhookInput!, $key: String) {
  registerWebhook(input: $input, idempotencyKey: $key) { __typename
    ... on RegisterWebhookOk { position replayed secret webhook { id eventTypes active } }
    ... on ValidationError { field rule problems { field message } }
    ... on ForbiddenError { rule message } } }"""
SETTLEMENTS = ["MealSettled", "RestaurantBillSettled"]


async def register(server: LiveServer, auth: str, url: str, types: list[str],
                   key: str | None = None) -> dict[str, Any]:
    body = await gql(server, REGISTER, {"input": {"url": url, "eventTypes": types},
                                        "key": key}, auth=auth)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["registerWebhook"]
    return result


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the HMAC over "<t>.<body>" and compare in constant time."""
    parts = dict(p.split("=", 1) for p in headers["X-Kehu-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


async def wait_for(receiver: Receiver, count: int, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.accepted()) < count:
        assert time.monotonic() < deadline, f"only {len(receiver.accepted())} of {count}"
        await asyncio.sleep(0.1)
