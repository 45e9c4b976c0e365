"""A small webhook receiver on 127.0.0.1 for tests: answers 500 to the first `fail_first`
requests, then 200; records every request (headers and body) it got."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    accepted: bool


@dataclass
class Receiver:
    url: str
    fail_first: int
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.accepted]


@contextmanager
def run_receiver(fail_first: int) -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                accept = len(receiver.requests) >= receiver.fail_first
                receiver.requests.append(Received(dict(self.headers.items()), body, accept))
            self.send_response(200 if accept else 500)
            self.end_headers()
            self.wfile.write(b"ok" if accept else b"not now")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", fail_first)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
