"""One delivery attempt: POST, look at the status line, hang up.

What comes back is for the webhook's `lastError`, which its registrant reads: the status code
or a generic reason, never the receiver's body or the network's own error text, so a webhook
cannot be used to read internal pages or to tell open ports from closed ones. The body of the
answer is never read: the connection is closed after the headers (a 400 MB answer costs
nothing), and the whole attempt, headers included, has one deadline.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from events.webhooks.transport import RefusedDestination

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None  # None when the receiver took it (2xx); safe to show the registrant

    @property
    def ok(self) -> bool:
        return self.error is None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RefusedDestination):
        return f"destination refused: {exc}"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        return "invalid HTTP answer"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "invalid URL"
    return "delivery failed"


async def post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str],
               deadline_s: float, label: str) -> Outcome:
    """Never raises for anything the receiver or the URL does; `label` names the webhook and
    event in the log, where the full exception goes."""
    try:
        async with asyncio.timeout(deadline_s):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                status = response.status_code
    except Exception as exc:  # every failure is an outcome: no deliverer dies of a bad answer
        reason = _reason(exc)
        log.warning("webhook %s: %s (%s: %s)", label, reason, type(exc).__name__,
                    str(exc)[:200])
        return Outcome(None, reason)
    if 200 <= status < 300:
        return Outcome(status, None)
    log.info("webhook %s: receiver answered HTTP %s", label, status)
    return Outcome(status, f"HTTP {status}")
