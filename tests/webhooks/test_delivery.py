"""The deliverer against real PostgreSQL and real receivers on 127.0.0.1: Standard Webhooks
deliveries of the public shape, verified by the `standardwebhooks` library; failures recorded
with a generic reason; an answer's body never read; no deliverer dies of a bad URL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import asyncpg
import pytest
from standardwebhooks.webhooks import Webhook

from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.notifications import Notifier
from events.webhooks import signing
from events.webhooks.config import DeliveryConfig
from events.webhooks.delivery import Dispatcher
from events.webhooks.destinations import Policy
from tests.random_refs import random_id
from tests.relay.helpers import append_things
from tests.webhooks.receivers import run_receiver

CONFIG = DeliveryConfig(retry_base_s=0.05, retry_max_s=0.2, standby_interval_s=0.1,
                        timeout_s=5, policy=Policy.parse("127.0.0.0/8", allow_http=True))


async def until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def running(fresh_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(fresh_dsn)
    notifier = Notifier(fresh_dsn, poll_interval=0.2)
    await notifier.start()
    task = asyncio.create_task(Dispatcher(fresh_dsn, pool, notifier, CONFIG).run_forever())
    try:
        yield pool
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await notifier.stop()
        await pool.close()


async def add_hook(pool: asyncpg.Pool, url: str, secret: str,
                   previous: str | None = None) -> str:
    webhook_id = random_id("wh-")
    await pool.execute(
        "INSERT INTO webhooks (id, url, event_types, secret, created_by, previous_secret,"
        " previous_secret_until) VALUES ($1, $2, $3, $4, 'test', $5, now() + $6::interval)",
        webhook_id, url, ["ThingHappened"], secret, previous, timedelta(hours=1))
    await pool.execute("INSERT INTO webhook_deliveries (webhook_id, last_position) VALUES"
                       " ($1, (SELECT position FROM kehu_log.event_head))", webhook_id)
    return webhook_id


async def state(pool: asyncpg.Pool, webhook_id: str) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM webhook_deliveries WHERE webhook_id = $1",
                              webhook_id)
    assert row is not None
    return row


async def test_deliveries_verify_with_standardwebhooks_and_keep_their_id_across_retries(
        running: asyncpg.Pool) -> None:
    secret = signing.generate_secret()
    with run_receiver(500, 503, 200) as receiver:
        await add_hook(running, receiver.url, secret)
        positions = await append_things(EventStore(running), 3, per_append=3)
        await until(lambda: len(receiver.accepted()) == 3)
        requests = list(receiver.requests)
    assert len(requests) == 5  # two refusals of the first event, then each once
    ids = [r.headers["webhook-id"] for r in requests]
    assert ids[0] == ids[1] == ids[2]  # the same id on every retry of the first event
    verifier = Webhook(secret)
    bodies = [verifier.verify(r.body, r.headers) for r in requests]
    assert [b["position"] for b in bodies[2:]] == positions
    assert all(b["id"] == r.headers["webhook-id"] for b, r in zip(bodies, requests, strict=True))
    assert bodies[2]["type"] == "ThingHappened" and bodies[2]["data"] == {"n": 0, "note": ""}
    assert bodies[2]["recordedAt"].endswith("+08:00")


async def test_during_a_rotation_both_secrets_sign(running: asyncpg.Pool) -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    with run_receiver(200) as receiver:
        await add_hook(running, receiver.url, new, previous=old)
        await append_things(EventStore(running), 1)
        await until(lambda: len(receiver.accepted()) == 1)
        (got,) = receiver.requests
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)


async def test_a_huge_error_answer_is_never_read_nor_reported(running: asyncpg.Pool) -> None:
    with run_receiver(500, answer_bytes=400 * 2**20,
                      answer_text=b"db_password=hunter2") as receiver:
        webhook_id = await add_hook(running, receiver.url, signing.generate_secret())
        (position,) = await append_things(EventStore(running), 1)
        await until_recorded(running, webhook_id, attempts=3)
        row = await state(running, webhook_id)
    assert row["last_error"] == f"event {position}: HTTP 500"
    assert row["attempts"] >= 3 and row["consecutive_failures"] >= 3
    assert receiver.bytes_sent < 3 * 32 * 2**20  # hung up on after the status line each time


async def test_a_bad_url_is_recorded_and_the_other_webhooks_carry_on(
        running: asyncpg.Pool, caplog: pytest.LogCaptureFixture) -> None:
    with run_receiver(200) as receiver:
        bad = await add_hook(running, "http://127.0.0.1:1/\r\nX-Injected: 1",
                             signing.generate_secret())
        inside = await add_hook(running, "http://10.0.0.1/hook", signing.generate_secret())
        good = await add_hook(running, receiver.url, signing.generate_secret())
        (position,) = await append_things(EventStore(running), 1)
        await until(lambda: len(receiver.accepted()) == 1)
        for webhook_id in (bad, inside):
            await until_recorded(running, webhook_id)
        bad_row, inside_row = await state(running, bad), await state(running, inside)
    assert bad_row["last_error"] == f"event {position}: invalid URL"
    assert inside_row["last_error"] == (
        f"event {position}: destination refused: the URL's host resolves to a private address;"
        " add its network to KEHU_WEBHOOK_ALLOWED_NETWORKS to allow it")
    assert (await state(running, good))["last_error"] is None
    assert json.loads(receiver.accepted()[0].body)["position"] == position
    assert "invalid URL" in caplog.text


async def until_recorded(pool: asyncpg.Pool, webhook_id: str, attempts: int = 1) -> None:
    deadline = time.monotonic() + 20
    while (await state(pool, webhook_id))["attempts"] < attempts:
        assert time.monotonic() < deadline, "never attempted"
        await asyncio.sleep(0.05)
