"""`kehu projections` runs the runners in a process of their own (API replicas can then set
KEHU_RUN_PROJECTIONS=false): it builds the read models and follows the log."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from events.customers.commands import RegisterCustomer
from events.customers.handlers import handle_customer
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import ROOT
from tests.random_refs import random_id


async def test_projection_process_builds_and_follows(fresh_dsn: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_dsn, "KEHU_DATA_DIR": str(tmp_path),
           "KEHU_POLL_INTERVAL": "0.2", "KEHU_REMINDERS": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "server.py"), "projections", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    pool = await create_pool(fresh_dsn)
    try:
        store = EventStore(pool)
        customer_id = random_id("c-")
        ctx = Context(actor=Actor("s1", "S1", Role.STAFF), now=datetime.now(UTC))
        await handle_customer(store, ctx, RegisterCustomer(customer_id=customer_id,
                                                           organisation_name="华信贸易"))
        found = None
        for _ in range(200):
            try:
                found = await pool.fetchval(
                    "SELECT organisation_name FROM customers WHERE customer_id = $1",
                    customer_id)
            except asyncpg.UndefinedTableError:
                found = None
            if found:
                break
            await asyncio.sleep(0.1)
        assert found == "华信贸易"
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
        await pool.close()
