"""HTTP transport limits uvicorn does not have: request head size, header count, header timeout.

uvicorn's httptools protocol buffers a request head of any size (a 120 MB header cost 20 s of
CPU, 200 MB was accepted) and waits forever for a head that never ends (1,500 slow connections
were held). This subclass counts the bytes of the head as they arrive, before the parser joins
them, counts the headers, and closes a connection whose head is not complete in time. Its
figures come from Settings (README "Limits and budgets"); the rest of the transport is
uvicorn's own settings, chosen in `uvicorn_options`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from schema.settings import Settings

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class GuardedHttpProtocol(HttpToolsProtocol):
    max_head_bytes = 64 * 1024
    max_headers = 100
    head_timeout_s = 10.0

    _head_timer: asyncio.TimerHandle | None = None
    _refusal: tuple[int, str] | None = None
    _message_done = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        """A new request head is expected: count its bytes and give it a deadline."""
        self._in_head, self._head_bytes, self._header_count = True, 0, 0
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(408, "request head not received in time")

    def data_received(self, data: bytes) -> None:
        room = self.max_head_bytes - self._head_bytes
        if not self._in_head or len(data) <= room:
            if self._in_head:
                self._head_bytes += len(data)
            super().data_received(data)
            return
        # The chunk may hold the end of the head and the start of a body: the parser gets only
        # the bytes the head may still use; if the head is not complete then, it is too large.
        self._head_bytes = self.max_head_bytes
        super().data_received(data[:room])
        if self._in_head:
            self._refuse(431, "request head too large")
        elif not self.transport.is_closing() and self.transport.get_protocol() is self:
            super().data_received(data[room:])

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._header_count, self._message_done = True, 0, False

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._message_done = True
        # Answered before its body was read (a 413, say): the next head starts now.
        if self.cycle is not None and self.cycle.response_complete and not self.pipeline:
            self._await_head()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._refusal = (431, "too many request headers")
            # The parser turns this into HttpParserError; send_400_response sends the 431.
            raise ValueError(self._refusal[1])
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next head starts once this request's body has been read to its end.
        if not self.transport.is_closing() and not self.pipeline and self._message_done:
            self._await_head()

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:
            self._refuse(*self._refusal)
        else:
            super().send_400_response(msg)

    def _refuse(self, status: int, message: str) -> None:
        self._stop_head_timer()
        self._in_head = False
        if self.transport.is_closing():
            return
        body = message.encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status, REASONS[status], len(body), body))
        self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedHttpProtocol]:
    """The protocol class with this server's limits (uvicorn builds one per connection)."""
    return type("KehuHttpProtocol", (GuardedHttpProtocol,), {
        "max_head_bytes": settings.max_header_bytes,
        "max_headers": settings.max_headers,
        "head_timeout_s": settings.header_timeout_s,
    })


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Transport settings for uvicorn.run / uvicorn.Config."""
    return {
        "http": guarded_protocol(settings),
        "ws": "websockets-sansio",
        # A WebSocket message may be as large as an HTTP body, no larger (uvicorn's default
        # was 16 MB while bodies stop at 8 MB).
        "ws_max_size": settings.max_body_bytes,
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        "ws_per_message_deflate": settings.ws_compression,
    }
