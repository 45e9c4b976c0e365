"""Webhook delivery: follow the log by position and POST each matching event, in order.

At least once, in order per webhook: the cursor (webhook_deliveries.last_position) moves only
after the receiver answered 2xx, and the next event is not sent before the previous one was
acknowledged; a failing receiver blocks its own webhook (retried with backoff and jitter),
never another's. The cursor is in the database, so delivery resumes after a restart.

Every request is a Standard Webhooks delivery (events/webhooks/signing.py) of the public event
shape, sent through the pinned client (events/webhooks/transport.py), so the destination is
checked again and connected to as checked; one attempt reads the status line only
(events/webhooks/attempt.py). Every failure, a refused URL included, is recorded on the
webhook (`lastError`) and logged; no deliverer ends without a trace.

One active deliverer per webhook across processes: a session advisory lock per webhook, all
held on one connection per process. Other processes retry the locks of unserved webhooks on
every wake-up and take over when the holder's connection dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from typing import Any

import asyncpg
import httpx

from events.integration.public import event_id, public_json
from events.shared import metrics, tracing
from events.store.db import connect
from events.store.envelope import StoredEvent
from events.store.follow import follow
from events.store.notifications import Notifier
from events.store.shredding import reopen
from events.webhooks import signing
from events.webhooks.attempt import Outcome, post
from events.webhooks.config import DeliveryConfig
from events.webhooks.transport import pinned_client

log = logging.getLogger(__name__)

BATCH = 200
LOCK_CLASS = 0x4B454855  # "KEHU": two-int advisory keys of webhooks never meet projections' keys
MIN_LOOP_S = 0.2  # a busy log wakes the dispatcher often; it need not look more often than this

_HOOK = """
SELECT w.url, w.secret, w.event_types, w.active, d.last_position, d.consecutive_failures,
       CASE WHEN w.previous_secret_until > now() THEN w.previous_secret END AS previous_secret
FROM webhooks w JOIN webhook_deliveries d ON d.webhook_id = w.id WHERE w.id = $1
"""
_ACTIVE = ("SELECT w.id FROM webhooks w JOIN webhook_deliveries d ON d.webhook_id = w.id"
           " WHERE w.active")


def lock_key(webhook_id: str) -> int:
    # crc32 is unsigned; the two-int advisory lock takes signed 32-bit keys.
    return zlib.crc32(webhook_id.encode()) - 2**31


def request_headers(hook: asyncpg.Record, e: StoredEvent, body: bytes, webhook_id: str,
                    now: int) -> dict[str, str]:
    """Signed by the current secret and, during a rotation's overlap, the previous one too."""
    secrets = [hook["secret"]] + ([hook["previous_secret"]] if hook["previous_secret"] else [])
    return {"Content-Type": "application/json", "X-Kehu-Event-Position": str(e.position),
            "X-Kehu-Webhook-Id": webhook_id,
            **signing.headers(event_id(e), now, body, secrets)}


async def _attempt(client: httpx.AsyncClient, hook: asyncpg.Record, e: StoredEvent,
                   webhook_id: str, config: DeliveryConfig) -> Outcome:
    body = public_json(e, config.timezone)
    try:
        headers = request_headers(hook, e, body, webhook_id, int(time.time()))
    except ValueError:  # a secret that is not whsec_ base64 (rows written before 0004)
        log.error("webhook %s: its secret cannot sign; rotate it", webhook_id)
        return Outcome(None, "the webhook's secret cannot sign; rotate it")
    with tracing.span("webhook POST", kind="client",
                      attributes={"http.url": hook["url"], "kehu.position": e.position}):
        return await post(client, hook["url"], body, tracing.inject_headers(headers),
                          config.timeout_s, f"{webhook_id} event {e.position}")


async def _deliver(pool: asyncpg.Pool, client: httpx.AsyncClient, webhook_id: str,
                   e: StoredEvent, config: DeliveryConfig) -> bool:
    """Retry one event until the receiver takes it; False when the webhook was deactivated."""
    while True:
        hook = await pool.fetchrow(_HOOK, webhook_id)
        if hook is None or not hook["active"]:
            return False
        # Each attempt carries what the event reads as now, not when its page was read: a
        # page can wait behind a receiver's outage, and an erasure made meanwhile (by any
        # process) is honoured (docs/privacy.md). Events with nothing sealed pass as they are.
        e = await reopen(pool, e)
        outcome = await _attempt(client, hook, e, webhook_id, config)
        metrics.WEBHOOK_DELIVERIES.labels(outcome="delivered" if outcome.ok else "failed").inc()
        if outcome.ok:
            # Shielded: a deliverer stopped right after the receiver's 2xx (its process going,
            # its lock lost) still moves the cursor, so the next holder does not send it again.
            await asyncio.shield(pool.execute(
                "UPDATE webhook_deliveries SET last_position = greatest(last_position, $2),"
                " delivered = delivered + 1, attempts = attempts + 1, consecutive_failures = 0,"
                " last_error = NULL, last_attempt_at = now(), last_delivered_at = now()"
                " WHERE webhook_id = $1", webhook_id, e.position))
            return True
        failures = int(hook["consecutive_failures"]) + 1
        await pool.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, consecutive_failures = $2,"
            " last_error = $3, last_attempt_at = now() WHERE webhook_id = $1",
            webhook_id, failures, f"event {e.position}: {outcome.error}")
        await asyncio.sleep(config.backoff(failures))


async def deliver(pool: asyncpg.Pool, client: httpx.AsyncClient, notifier: Notifier,
                  webhook_id: str, config: DeliveryConfig) -> None:
    """The deliverer of one webhook, run while this process holds its lock; returns when the
    webhook is inactive. Whatever fails is logged and retried: it never ends on an error."""
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
        except asyncio.CancelledError:
            raise
        except Exception:  # whatever it is, it is logged and retried: never a silent end
            log.exception("webhook %s: deliverer failed; retrying", webhook_id)
            await asyncio.sleep(config.standby_interval_s)


class Dispatcher:
    """Keeps a deliverer task for every active webhook whose lock this process holds."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, notifier: Notifier,
                 config: DeliveryConfig):
        self.dsn, self.pool, self.notifier, self.config = dsn, pool, notifier, config
        self.held: dict[str, asyncio.Task[None]] = {}

    async def run_forever(self) -> None:
        async with pinned_client(self.config.policy, self.config.timeout_s) as client:
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

    async def _release(self, conn: asyncpg.Connection, webhook_id: str) -> None:
        task = self.held.pop(webhook_id)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("webhook %s: deliverer ended", webhook_id, exc_info=task.exception())
        await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS, lock_key(webhook_id))

    async def _serve(self, conn: asyncpg.Connection, client: httpx.AsyncClient) -> None:
        seen = 0
        while True:
            active = {r["id"] for r in await self.pool.fetch(_ACTIVE)}
            for webhook_id in [k for k, t in self.held.items() if k not in active or t.done()]:
                await self._release(conn, webhook_id)
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
