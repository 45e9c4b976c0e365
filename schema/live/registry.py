"""The process's registry of live queries: one computation per distinct plan key, shared by
every subscriber with that key, reference-counted and torn down when the last one leaves.

A live query computes its first result at once, then waits until a projection it reads has
advanced (schema/live/watch.py, one watcher per process), at most once per
KEHU_LIVE_INTERVAL_MS, and publishes only a result that differs from the last. A subscriber
holds no queue: it is a version number, and on each turn takes the latest result, so one that
reads slowly skips intermediate results and never holds up the others (its socket is closed
with 4410 by the transport when it stops reading altogether, schema/ws_session.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Hashable
from typing import Any

import asyncpg

from events.shared import metrics
from projections.errors import QueryRefused
from schema.context import ApiError, Services
from schema.live.plan import Plan
from schema.live.watch import CheckpointWatch

log = logging.getLogger(__name__)


class LiveQueryLimit(ApiError):
    """Over the live-query budget of the process or of the user."""

    code = "RATE_LIMITED"


class LiveQueryFailed(ApiError):
    """The shared computation failed (the database went away); subscribe again."""

    code = "LIVE_QUERY_FAILED"


class LiveQuery:
    def __init__(self, registry: LiveRegistry, plan: Plan[Any]) -> None:
        self.registry = registry
        self.plan = plan
        self.key = plan.key
        self.subscribers = 0
        self.version = 0  # results published; a subscriber remembers the last it sent
        self.result: Any = None
        self.error: Exception | None = None
        self.computed_at = 0.0
        self._published = asyncio.Event()  # replaced at each publication
        self.task = asyncio.create_task(self._run(), name=f"kehu-live-{plan.operation}")

    async def _run(self) -> None:
        watch, loop = self.registry.watch, asyncio.get_running_loop()
        await watch.ready()
        seen = watch.snapshot(self.plan.reads)
        if not await self._compute(None):
            return
        while True:
            await watch.wait_advanced(seen)
            moved_at = watch.seen_at
            # At most once per interval: advances during the wait are all in the next result.
            wait = self.computed_at + self.registry.interval_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            seen = watch.snapshot(self.plan.reads)  # before computing: later ones come again
            if not await self._compute(moved_at):
                return

    async def _compute(self, moved_at: float | None) -> bool:
        loop = asyncio.get_running_loop()
        self.computed_at = loop.time()
        operation = self.plan.operation
        try:
            result = await self.plan.compute()
        except (ApiError, QueryRefused) as exc:  # typed: every subscriber gets it as it is
            return self._fail(exc)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("live query %s failed: %s", operation, exc)
            return self._fail(LiveQueryFailed("the live query could not be computed; "
                                              "subscribe again"))
        except Exception:  # a bug: end the subscriptions with a typed error, never hang them
            log.exception("live query %s failed", operation)
            return self._fail(LiveQueryFailed("the live query could not be computed; "
                                              "subscribe again"))
        if moved_at is not None:
            metrics.LIVE_DELAY_SECONDS.observe(loop.time() - moved_at)
        if self.version > 0 and result == self.result:
            metrics.LIVE_COMPUTATIONS.labels(operation=operation, outcome="unchanged").inc()
            return True
        metrics.LIVE_COMPUTATIONS.labels(operation=operation, outcome="changed").inc()
        self.result = result
        self._publish()
        return True

    def _fail(self, error: Exception) -> bool:
        metrics.LIVE_COMPUTATIONS.labels(operation=self.plan.operation, outcome="error").inc()
        self.error = error
        self.registry.forget(self)  # the next subscriber starts afresh
        self._publish()
        return False

    def _publish(self) -> None:
        self.version += 1
        done, self._published = self._published, asyncio.Event()
        done.set()

    async def updates(self) -> AsyncIterator[Any]:
        sent = 0
        while True:
            while self.version == sent:
                await self._published.wait()
            sent = self.version
            if self.error is not None:
                raise self.error
            yield self.result


class LiveRegistry:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.interval_s = settings.live_interval_ms / 1000
        self.max_total = settings.max_live_queries
        self.max_per_user = settings.max_live_queries_per_user
        self.watch = CheckpointWatch(services.dsn, settings.poll_interval_s)
        self.queries: dict[Hashable, LiveQuery] = {}
        # user -> plan key -> that user's subscriptions to it (the per-user budget counts keys)
        self.held: dict[str, Counter[Hashable]] = defaultdict(Counter)

    async def subscribe(self, plan: Plan[Any], user: str) -> AsyncGenerator[Any, None]:
        query = self._join(plan, user)
        try:
            async for result in query.updates():
                yield result
        finally:
            self._leave(query, user)

    def _join(self, plan: Plan[Any], user: str) -> LiveQuery:
        key = plan.key
        held = self.held[user]
        if key not in held and len(held) >= self.max_per_user:
            raise LiveQueryLimit(f"at most {self.max_per_user} live queries per user")
        query = self.queries.get(key)
        if query is None:
            if len(self.queries) >= self.max_total:
                raise LiveQueryLimit("the server runs as many live queries as it may; "
                                     "try again later")
            self.watch.start()
            query = self.queries[key] = LiveQuery(self, plan)
            metrics.LIVE_QUERIES.set(len(self.queries))
        held[key] += 1
        query.subscribers += 1
        metrics.LIVE_SUBSCRIBERS.inc()
        return query

    def _leave(self, query: LiveQuery, user: str) -> None:
        metrics.LIVE_SUBSCRIBERS.dec()
        held = self.held[user]
        held[query.key] -= 1
        if held[query.key] <= 0:
            del held[query.key]
        if not held:
            del self.held[user]
        query.subscribers -= 1
        if query.subscribers <= 0:
            self.forget(query)
            query.task.cancel()

    def forget(self, query: LiveQuery) -> None:
        if self.queries.get(query.key) is query:
            del self.queries[query.key]
            metrics.LIVE_QUERIES.set(len(self.queries))
        if not self.queries:
            self.watch.cancel()


def live_registry(services: Services) -> LiveRegistry:
    """The process's registry (one per Services, made on first use)."""
    registry = services.live
    if registry is None:
        registry = services.live = LiveRegistry(services)
    assert isinstance(registry, LiveRegistry)
    return registry


async def stop(services: Services) -> None:
    registry = services.live
    if isinstance(registry, LiveRegistry):
        for query in list(registry.queries.values()):
            query.task.cancel()
        with contextlib.suppress(Exception):
            await registry.watch.stop()
