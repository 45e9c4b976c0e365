"""Webhook receivers on 127.0.0.1 for tests: each records what it got and answers as told
(a status, an optional body of any size streamed in chunks, or a slow answer)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = b"x" * 65536


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    url: str
    port: int
    statuses: list[int]  # answers in turn; the last one repeats
    answer_bytes: int = 0
    answer_text: bytes = b""
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def count(self) -> int:
        with self.lock:
            return len(self.requests)


@contextmanager
def run_receiver(*statuses: int, answer_bytes: int = 0, answer_text: bytes = b"",
                 delay_s: float = 0.0) -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                turn = min(len(receiver.requests), len(receiver.statuses) - 1)
                status = receiver.statuses[turn]
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), body, status))
            time.sleep(receiver.delay_s)
            self.send_response(status)
            size = receiver.answer_bytes or len(receiver.answer_text)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                if receiver.answer_text:
                    self.wfile.write(receiver.answer_text)
                sent = 0
                while sent < receiver.answer_bytes:  # stops when the client hangs up
                    self.wfile.write(CHUNK)
                    sent += len(CHUNK)
                    with receiver.lock:
                        receiver.bytes_sent += len(CHUNK)
            except OSError:
                pass

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = int(server.server_address[1])
    receiver = Receiver(f"http://127.0.0.1:{port}/hook", port, list(statuses or (200,)),
                        answer_bytes, answer_text, delay_s)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
