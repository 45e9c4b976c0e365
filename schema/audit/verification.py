"""verifyAuditLog without stalling everyone: one verification per request whatever its aliases,
at most `KEHU_MAX_VERIFICATIONS` at once in the process (beyond: a typed BUSY error with a
retry hint), and the walk itself yields to the event loop between small chunks
(events/store/verify.py). Ten aliases of it in one request stalled the server 6.6 s."""

from __future__ import annotations

import asyncio
from typing import Any

from events.store.verify import VerifyReport, verify_chain
from schema.context import ApiError, KehuContext

RETRY_AFTER_S = 5


class Busy(ApiError):
    code = "BUSY"

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.extensions = {**(self.extensions or {}), "retryAfter": retry_after_s}


_running: dict[int, int] = {}  # per event loop: verifications now running


async def verify_for_request(ctx: KehuContext, from_position: int,
                             to_position: int | None) -> VerifyReport:
    key = ("verifyAuditLog", from_position, to_position)
    shared: dict[Any, asyncio.Task[VerifyReport]] = ctx.per_request
    if key not in shared:
        loop = id(asyncio.get_running_loop())
        if _running.get(loop, 0) >= ctx.settings.max_concurrent_verifications:
            raise Busy("the audit log is being verified at capacity; retry shortly",
                       RETRY_AFTER_S)
        _running[loop] = _running.get(loop, 0) + 1

        async def run() -> VerifyReport:
            try:
                return await verify_chain(ctx.pool, from_position=from_position,
                                          to_position=to_position)
            finally:
                _running[loop] -= 1

        shared[key] = asyncio.create_task(run())
    return await asyncio.shield(shared[key])
