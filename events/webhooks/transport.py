"""An httpx transport that connects only to addresses the destination policy allowed.

Checking a URL and then letting the HTTP client resolve its host again leaves a gap: a DNS
answer can change in between (rebinding) and send the request inside. This transport resolves
and checks the host itself for every request, then connects to the checked address while the
request keeps its Host header and TLS keeps the name (SNI and certificate checks use the name,
not the address). Connections are not kept alive, so one name's connection is never reused for
another name on the same address, and a receiver's unread answer dies with its connection.
"""

from __future__ import annotations

import ipaddress

import httpx

from events.webhooks.destinations import Policy, UnsafeDestination, parse, resolve


class RefusedDestination(httpx.TransportError):
    """The destination failed the policy at delivery time (httpx.TransportError, so callers
    treat it as one more failed attempt)."""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class PinnedTransport(httpx.AsyncBaseTransport):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        # No keep-alive: see the module docstring. No retries: the deliverer retries.
        self._inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_keepalive_connections=0), retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            destination = parse(str(request.url), self.policy)
            addresses = await resolve(destination, self.policy)
        except UnsafeDestination as exc:
            raise RefusedDestination(str(exc), request=request) from None
        extensions = dict(request.extensions)
        if destination.scheme == "https" and not _is_address(destination.host):
            extensions["sni_hostname"] = destination.host
        last: httpx.TransportError | None = None
        for address in addresses:  # the next checked address when one refuses the connection
            pinned = httpx.Request(
                request.method, request.url.copy_with(host=str(address)),
                headers=request.headers, stream=request.stream, extensions=extensions)
            try:
                return await self._inner.handle_async_request(pinned)
            except httpx.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def aclose(self) -> None:
        await self._inner.aclose()


def pinned_client(policy: Policy, timeout_s: float) -> httpx.AsyncClient:
    """The client deliveries use: pinned addresses, no redirects followed (a 3xx is a failed
    attempt), no proxy from the environment (a proxy would resolve the name again)."""
    return httpx.AsyncClient(transport=PinnedTransport(policy), timeout=timeout_s,
                             follow_redirects=False, trust_env=False)
