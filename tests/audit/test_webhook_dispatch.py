"""One active deliverer per webhook across processes (two dispatchers here stand for two
server processes), and a standby taking over when the holder's connection goes away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.notifications import Notifier
from events.webhooks.delivery import DeliveryConfig, Dispatcher
from tests.audit import flows
from tests.audit.receiver import run_receiver
from tests.audit.webhook_support import wait_for
from tests.random_refs import random_id

CONFIG = DeliveryConfig(retry_base_s=0.05, retry_max_s=0.2, standby_interval_s=0.1)


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_M13_a_standby_takes_over_a_webhook_when_its_holder_goes(fresh_dsn: str) -> None:
    pool = await create_pool(fresh_dsn)
    notifier = Notifier(fresh_dsn, poll_interval=0.2)
    await notifier.start()
    store = EventStore(pool)
    first = Dispatcher(fresh_dsn, pool, notifier, CONFIG)
    second = Dispatcher(fresh_dsn, pool, notifier, CONFIG)
    tasks: list[asyncio.Task[None]] = []
    try:
        with run_receiver(fail_first=0) as receiver:
            webhook_id = random_id("wh-")
            await pool.execute(
                "INSERT INTO webhooks (id, url, event_types, secret, created_by)"
                " VALUES ($1, $2, $3, 's', 'test')", webhook_id, receiver.url, ["MealSettled"])
            await pool.execute("INSERT INTO webhook_deliveries (webhook_id, last_position)"
                               " VALUES ($1, 0)", webhook_id)
            tasks.append(asyncio.create_task(first.run_forever()))
            await until(lambda: webhook_id in first.held)
            tasks.append(asyncio.create_task(second.run_forever()))
            await asyncio.sleep(1)  # several of the standby's wake-ups
            assert webhook_id not in second.held
            settled = [(await flows.settled_meal(store)).last_position]
            await wait_for(receiver, 1)
            tasks[0].cancel()  # the holder's process goes: its lock connection closes
            await asyncio.gather(tasks[0], return_exceptions=True)
            await until(lambda: webhook_id in second.held)
            settled.append((await flows.settled_meal(store)).last_position)
            await wait_for(receiver, 2)
            positions = [int(r.headers["X-Kehu-Event-Position"]) for r in receiver.accepted()]
        assert positions == settled
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await notifier.stop()
        await pool.close()
