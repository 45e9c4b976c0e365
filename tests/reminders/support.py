"""A real SMTP server for the reminder tests (aiosmtpd on loopback), and waits on conditions."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any, TypeVar

import asyncpg
from aiosmtpd.controller import Controller

from tests.live import free_port

T = TypeVar("T")


@dataclass
class Inbox:
    """What the SMTP server took; `refuse` next messages are answered 451 (try later)."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                self.refused += 1
                return "451 4.3.0 mailbox busy, try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@contextmanager
def smtp_server(inbox: Inbox, port: int | None = None) -> Iterator[int]:
    """aiosmtpd on 127.0.0.1 (a free port, or the one given), stopped on exit."""
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield int(controller.port)
    finally:
        controller.stop()


async def eventually(check: Callable[[], Awaitable[T | None]], what: str,
                     timeout: float = 30) -> T:
    """Poll a condition until it holds (a value that is not None/False), bounded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def checked_at(dsn: str, moment: datetime, processes: int = 1) -> None:
    """Wait until `processes` reminder workers have made a check with the clock at `moment`."""
    async def done() -> bool:
        conn = await asyncpg.connect(dsn)
        try:
            count = await conn.fetchval(
                "SELECT count(*) FROM reminder_checks WHERE clock_now = $1", moment)
        finally:
            await conn.close()
        return int(count) >= processes

    await eventually(done, f"{processes} reminder check(s) at {moment.isoformat()}")


async def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
