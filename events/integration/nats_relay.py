"""`kehu relay nats`: every event of the log, in log order, published to NATS JetStream.

Subjects are `kehu.<streamType>.<eventType>`; the body is the public event shape
(events/integration/public.py); `Nats-Msg-Id` is the event id, so JetStream drops a message it
already stored (within the stream's duplicate window) and `Kehu-Position` carries the log
position. A batch is published without waiting for each acknowledgement, yet in log order:
every message names the id of the one before it (`Nats-Expected-Last-Msg-Id`), so JetStream
refuses a message whose predecessor it did not store, and the relay starts over from what the
stream holds. JetStream checks duplicates before that expectation, so a message published again
after a restart is acknowledged as a duplicate, never refused. The last acknowledged position is
kept in PostgreSQL (relay_positions) after every batch.

On start the relay resumes after the greater of that position and the position of the last
message already in the stream: a relay killed between a publish and its checkpoint neither
skips nor repeats an event, even after the duplicate window has passed.

One active relay across processes: a session advisory lock on a connection of its own. Others
wait as standbys and take over when the holder's connection dies (PostgreSQL releases the lock
with it); the holder stops publishing as soon as it loses that connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events.integration.feed import read_after
from events.integration.public import event_id, public_json
from events.store.db import connect
from events.store.envelope import StoredEvent
from events.store.notifications import Notifier

log = logging.getLogger(__name__)

RELAY = "nats"
LOCK_CLASS, LOCK_KEY = 0x4B455259, 1  # "KERY": apart from projections' and webhooks' keys
_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class RelayConfig:
    nats_url: str = "nats://127.0.0.1:4222"
    stream: str = "KEHU"
    batch: int = 500
    standby_interval_s: float = 1.0
    duplicate_window_s: float = 600.0
    ack_timeout_s: float = 30.0
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    @classmethod
    def from_env(cls, timezone: tzinfo) -> RelayConfig:
        env = os.environ.get
        return cls(nats_url=env("NATS_URL") or cls.nats_url,
                   stream=env("KEHU_RELAY_STREAM") or cls.stream,
                   batch=int(env("KEHU_RELAY_BATCH") or cls.batch),
                   standby_interval_s=float(env("KEHU_RELAY_STANDBY_INTERVAL")
                                            or cls.standby_interval_s),
                   timezone=timezone)


def subject(e: StoredEvent) -> str:
    """`kehu.<streamType>.<eventType>`; characters a subject token cannot hold become `_`."""
    return f"kehu.{_TOKEN.sub('_', e.stream_type)}.{_TOKEN.sub('_', e.event_type)}"


async def ensure_stream(js: JetStreamContext, config: RelayConfig) -> None:
    try:
        await js.stream_info(config.stream)
    except NotFoundError:
        await js.add_stream(name=config.stream, subjects=["kehu.>"],
                            duplicate_window=config.duplicate_window_s)


async def stream_tail(js: JetStreamContext, stream: str) -> tuple[int, str | None]:
    """The log position and message id of the last message the stream holds."""
    info = await js.stream_info(stream)
    if not info.state.messages:
        return 0, None
    headers = (await js.get_msg(stream, seq=info.state.last_seq)).headers or {}
    return int(headers.get("Kehu-Position", 0)), headers.get("Nats-Msg-Id")


async def saved_position(pool: asyncpg.Pool) -> int:
    value = await pool.fetchval("SELECT position FROM relay_positions WHERE relay = $1", RELAY)
    return int(value or 0)


async def save_position(pool: asyncpg.Pool, position: int) -> None:
    await pool.execute(
        "INSERT INTO relay_positions (relay, position) VALUES ($1, $2) ON CONFLICT (relay)"
        " DO UPDATE SET position = greatest(relay_positions.position, excluded.position),"
        " updated_at = now()", RELAY, position)


async def publish_forever(pool: asyncpg.Pool, js: JetStreamContext, notifier: Notifier,
                          config: RelayConfig) -> None:
    in_stream, last_id = await stream_tail(js, config.stream)
    position = max(await saved_position(pool), in_stream)
    log.info("relay to NATS: publishing after log position %s", position)
    while True:
        events, looked = await read_after(pool, position, config.batch)
        acks = []
        for e in events:
            headers = {"Nats-Msg-Id": event_id(e), "Kehu-Position": str(e.position)}
            if last_id is not None:
                headers["Nats-Expected-Last-Msg-Id"] = last_id
            acks.append(await js.publish_async(subject(e), public_json(e, config.timezone),
                                               stream=config.stream, headers=headers))
            last_id = headers["Nats-Msg-Id"]
        # The first refusal ends this run and the next resumes; so does a broker that stops
        # answering (a lost connection leaves acknowledgements pending forever).
        await asyncio.wait_for(asyncio.gather(*acks), config.ack_timeout_s)
        if looked > position:
            position = looked
            await save_position(pool, position)
        if not events:
            await notifier.wait(position)


async def _hold_lock(conn: asyncpg.Connection, interval_s: float) -> None:
    while not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, LOCK_KEY):
        await asyncio.sleep(interval_s)  # a standby: the active relay holds it


async def run_relay(dsn: str, pool: asyncpg.Pool, notifier: Notifier,
                    config: RelayConfig) -> None:
    """Wait for the lock, then publish until cancelled; on any failure, let go and start over."""
    while True:
        conn: Any = None
        nc: Any = None
        try:
            conn = await connect(dsn)
            await _hold_lock(conn, config.standby_interval_s)
            log.info("relay to NATS: active (%s)", config.nats_url)
            nc = await nats.connect(config.nats_url, allow_reconnect=True)
            js = nc.jetstream()
            await ensure_stream(js, config)
            task = asyncio.create_task(publish_forever(pool, js, notifier, config))
            # Losing the lock's connection means another relay may be active: stop at once.
            conn.add_termination_listener(lambda _c, held=task: held.cancel())
            await task
        except asyncio.CancelledError:
            if conn is not None and not conn.is_closed():
                raise  # cancelled from outside: shutting down
            log.warning("relay to NATS: lost the lock's connection; standing by")
        except Exception as exc:
            log.warning("relay to NATS: %s: %s; starting over", type(exc).__name__, exc)
        finally:
            for closing in (nc, conn):
                if closing is not None:
                    with contextlib.suppress(Exception):
                        await closing.close()
        await asyncio.sleep(config.standby_interval_s)
