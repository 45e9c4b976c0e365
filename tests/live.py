"""A real Kehu server (uvicorn in its own process) for end-to-end tests, and its clients."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families
from websockets.typing import Subprotocol

from events.shared.actors import Role
from events.store.crypto import new_master_key
from schema.auth import mint_token
from schema.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# Personal fields are encrypted by every server these helpers start (docs/privacy.md): with
# DATABASE_URL a master key must be given, so one is made per test or benchmark process and
# inherited by every server and `kehu` command it starts (tests, conformance/ and bench/).
MASTER_KEY = os.environ.setdefault("KEHU_MASTER_KEY", new_master_key())
TEST_SECRET = "kehu-test-secret-" + "0123456789abcdef" * 4  # 81 bytes: long enough for HS512


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(user: str, role: Role | str, name: str | None = None, ttl: int = 3600) -> str:
    settings = Settings(jwt_secret=TEST_SECRET)
    return mint_token(settings, user_id=user, name=name or user, role=Role(role), ttl_s=ttl)


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def run_server(dsn: str, tmp: Path, **env: str) -> Iterator[LiveServer]:
    port = free_port()
    log_path = tmp / f"server-{port}.log"
    environment = {
        **os.environ,
        "DATABASE_URL": dsn,
        "KEHU_JWT_SECRET": TEST_SECRET,
        "KEHU_DATA_DIR": str(tmp / "data"),
        "KEHU_POLL_INTERVAL": "0.5",
        # Test receivers listen on 127.0.0.1 over plain http (tests/webhooks/receivers.py).
        "KEHU_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "KEHU_WEBHOOK_ALLOW_HTTP": "true",
        # The reminder worker writes events of its own on a timer; only the reminder tests
        # (tests/reminders) switch it on, so no other test's log positions move under it.
        "KEHU_REMINDERS": "false",
        **env,
    }
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "serve", "--port", str(port)],
            cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)  # reap it, or its Popen warns (an error here) when collected


def _wait_ready(server: LiveServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log()}")
        try:
            if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready in {timeout}s:\n{server.log()}")


async def gql(server: LiveServer, query: str, variables: dict[str, Any] | None = None,
              *, auth: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {auth}"} if auth else {}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(server.url + "/graphql", headers=headers,
                                     json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = response.json()
    return body


class Subscriber:
    """A graphql-transport-ws client on a real WebSocket."""

    def __init__(self, ws: Any):
        self.ws = ws

    async def init(self, auth: str) -> dict[str, Any]:
        await self.ws.send(json.dumps({"type": "connection_init",
                                       "payload": {"Authorization": f"Bearer {auth}"}}))
        return json.loads(await self.ws.recv())  # type: ignore[no-any-return]

    async def subscribe(self, sub_id: str, query: str, variables: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"id": sub_id, "type": "subscribe",
                                       "payload": {"query": query, "variables": variables}}))

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        import asyncio

        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))  # type: ignore[no-any-return]


def connect_ws(server: LiveServer) -> Any:
    return websockets.connect(server.ws_url,
                              subprotocols=[Subprotocol("graphql-transport-ws")])


class Clock:
    """Moves the live server's time for time rules (M11 deadlines, M13 month end)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, moment: datetime) -> None:
        assert moment.tzinfo is not None
        self.path.write_text(moment.isoformat(), encoding="utf-8")


# /metrics as a test reads it: (name, labels) -> value, and the sum over matching samples.
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: LiveServer) -> Samples:
    text = httpx.get(server.url + "/metrics", timeout=10).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def metric(samples: Samples, name: str, **labels: str) -> float:
    """The sum over samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)
