"""Webhook delivery: follow the log by position and POST each matching event, in order.

At least once, in order per webhook: the cursor (webhook_deliveries.last_position) moves only
after the receiver answered 2xx, and the next event is not sent before the previous one was
acknowledged; a failing receiver blocks its own webhook (retried with bounded exponential
backoff), never another's. The cursor is in the database, so delivery resumes after a restart
where it stopped.

One active deliverer per webhook across processes: a session advisory lock per webhook, all
held on one connection per process (N webhooks cost one connection per process, not N). Other
processes retry the locks of unserved webhooks on every wake-up and take over when the holder's
connection dies (PostgreSQL releases its session locks with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import zlib
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from events.shared import metrics, tracing
from events.store.db import connect
from events.store.envelope import StoredEvent
from events.store.follow import follow
from events.store.notifications import Notifier

log = logging.getLogger(__name__)

BATCH = 200
LOCK_CLASS = 0x4B454855  # "KEHU": two-int advisory keys of webhooks never meet projections' keys


@dataclass(frozen=True)
class DeliveryConfig:
    retry_base_s: float = 0.5
    retry_max_s: float = 30.0
    timeout_s: float = 10.0
    standby_interval_s: float = 1.0


    def backoff(self, failures: int) -> float:
        return float(min(self.retry_base_s * 2 ** max(failures - 1, 0), self.retry_max_s))


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, so a
    receiver can refuse replays of an old delivery."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event_body(e: StoredEvent) -> bytes:
    """The event as the GraphQL API shows it (camelCase), one event per request."""
    m = e.metadata
    return json.dumps({
        "position": e.position, "streamId": e.stream_id, "streamType": e.stream_type,
        "version": e.version, "type": e.event_type, "schemaVersion": e.schema_version,
        "payload": e.payload, "actorId": m.actor_id, "actorName": m.actor_name,
        "actorRole": m.actor_role, "correlationId": m.correlation_id,
        "causationId": m.causation_id, "policyVersion": m.policy_version,
        "recordedAt": e.recorded_at.isoformat(), "hash": e.hash.hex(),
    }, ensure_ascii=False, separators=(",", ":")).encode()


def lock_key(webhook_id: str) -> int:
    # crc32 is unsigned; the two-int advisory lock takes signed 32-bit keys.
    return zlib.crc32(webhook_id.encode()) - 2**31


_HOOK = """
SELECT w.url, w.secret, w.event_types, w.active, d.last_position, d.consecutive_failures
FROM webhooks w JOIN webhook_deliveries d ON d.webhook_id = w.id WHERE w.id = $1
"""
_ACTIVE = ("SELECT w.id FROM webhooks w JOIN webhook_deliveries d ON d.webhook_id = w.id"
           " WHERE w.active")
MIN_LOOP_S = 0.2  # a busy log wakes the dispatcher often; it need not look more often than this


async def _post(client: httpx.AsyncClient, hook: asyncpg.Record, e: StoredEvent,
                webhook_id: str) -> str | None:
    """One delivery attempt; None on success, else why it failed."""
    body = event_body(e)
    headers = {
        "Content-Type": "application/json",
        "X-Kehu-Signature": sign(hook["secret"], body, int(time.time())),
        "X-Kehu-Event-Position": str(e.position),
        "X-Kehu-Webhook-Id": webhook_id,
    }
    with tracing.span("webhook POST", kind="client",
                      attributes={"http.url": hook["url"], "kehu.position": e.position}):
        try:
            response = await client.post(hook["url"], content=body,
                                         headers=tracing.inject_headers(headers))
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:1000]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:500]}"


async def _deliver(pool: asyncpg.Pool, client: httpx.AsyncClient, webhook_id: str,
                   e: StoredEvent, config: DeliveryConfig) -> bool:
    """Retry one event until the receiver takes it; False when the webhook was deactivated."""
    while True:
        hook = await pool.fetchrow(_HOOK, webhook_id)
        if hook is None or not hook["active"]:
            return False
        error = await _post(client, hook, e, webhook_id)
        metrics.WEBHOOK_DELIVERIES.labels(outcome="delivered" if error is None else "failed").inc()
        if error is None:
            await pool.execute(
                "UPDATE webhook_deliveries SET last_position = greatest(last_position, $2),"
                " delivered = delivered + 1, attempts = attempts + 1, consecutive_failures = 0,"
                " last_error = NULL, last_attempt_at = now(), last_delivered_at = now()"
                " WHERE webhook_id = $1", webhook_id, e.position)
            return True
        failures = int(hook["consecutive_failures"]) + 1
        await pool.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, consecutive_failures = $2,"
            " last_error = $3, last_attempt_at = now() WHERE webhook_id = $1",
            webhook_id, failures, f"event {e.position}: {error}")
        await asyncio.sleep(config.backoff(failures))


async def deliver(pool: asyncpg.Pool, client: httpx.AsyncClient, notifier: Notifier,
                  webhook_id: str, config: DeliveryConfig) -> None:
    """The deliverer of one webhook, run while this process holds its lock; returns when the
    webhook is inactive."""
    while True:
        try:
            hook = await pool.fetchrow(_HOOK, webhook_id)
            if hook is None or not hook["active"]:
                return
            async for page in follow(pool, notifier, hook["last_position"],
                                     types=list(hook["event_types"]), page=BATCH):
                for event in page:
                    if not await _deliver(pool, client, webhook_id, event, config):
                        return
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("webhook %s: %s; retrying", webhook_id, exc)
            await asyncio.sleep(config.standby_interval_s)


class Dispatcher:
    """Keeps a deliverer task for every active webhook whose lock this process holds."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, notifier: Notifier,
                 config: DeliveryConfig):
        self.dsn, self.pool, self.notifier, self.config = dsn, pool, notifier, config
        self.held: dict[str, asyncio.Task[None]] = {}

    async def run_forever(self) -> None:
        async with httpx.AsyncClient(timeout=self.config.timeout_s) as client:
            while True:
                conn: Any = None
                try:
                    conn = await connect(self.dsn)
                    # Losing the connection loses every lock: stop delivering at once, as
                    # another process may take over.
                    conn.add_termination_listener(lambda _conn: self._cancel_all())
                    await self._serve(conn, client)
                except Exception as exc:  # a lost database: let go, reconnect, retake
                    log.warning("webhook dispatcher: %s; reconnecting", exc)
                    await asyncio.sleep(self.config.standby_interval_s)
                finally:
                    self._cancel_all()
                    await asyncio.gather(*self.held.values(), return_exceptions=True)
                    self.held.clear()
                    if conn is not None:
                        with contextlib.suppress(Exception):
                            await conn.close()

    def _cancel_all(self) -> None:
        for task in self.held.values():
            task.cancel()

    async def _serve(self, conn: asyncpg.Connection, client: httpx.AsyncClient) -> None:
        seen = 0
        while True:
            active = {r["id"] for r in await self.pool.fetch(_ACTIVE)}
            for webhook_id in [k for k, t in self.held.items() if k not in active or t.done()]:
                task = self.held.pop(webhook_id)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS,
                                   lock_key(webhook_id))
            wanted = sorted(active - self.held.keys())
            if wanted:
                got = {r["k"] for r in await conn.fetch(
                    "SELECT k FROM unnest($2::int[]) AS k WHERE pg_try_advisory_lock($1, k)",
                    LOCK_CLASS, [lock_key(w) for w in wanted])}
                for webhook_id in wanted:
                    if lock_key(webhook_id) in got:
                        self.held[webhook_id] = asyncio.create_task(
                            deliver(self.pool, client, self.notifier, webhook_id, self.config),
                            name=f"webhook-{webhook_id}")
            await asyncio.sleep(MIN_LOOP_S)
            await self.notifier.wait(seen)
            seen = max(seen, self.notifier.latest)


async def dispatch_forever(dsn: str, pool: asyncpg.Pool, notifier: Notifier,
                           config: DeliveryConfig) -> None:
    await Dispatcher(dsn, pool, notifier, config).run_forever()
