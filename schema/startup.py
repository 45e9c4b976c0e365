"""Start-up and configuration failures as one line each: what went wrong, where, how to fix it.

The command line prints `kehu: <line>` and exits non-zero; `--debug` shows the traceback
instead. Anything not recognised here is still one line (its type and message), never a
traceback, because a user cannot act on a stack trace of a configuration mistake.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from events.shared.errors import DomainError
from events.store.crypto import MasterKeyError
from events.store.embedded import DataDirError


class StartupError(Exception):
    """A failure whose message is already the one line a user needs."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def where(dsn: str | None) -> str:
    """host:port/database of a URL, without the user name or password."""
    if not dsn:
        return "the embedded PostgreSQL"
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{host}:{port}{parts.path or ''}"


def explain(exc: BaseException, dsn: str | None) -> str:
    source = "DATABASE_URL" if dsn else "KEHU_DATA_DIR"
    for link in _chain(exc):
        if isinstance(link, StartupError | DomainError | DataDirError | MasterKeyError):
            return str(link)
        if isinstance(link, ConnectionRefusedError):
            return (f"cannot connect to PostgreSQL at {where(dsn)} ({source}): connection "
                    "refused; start PostgreSQL there, fix DATABASE_URL, or unset it to use "
                    "the embedded server")
        if isinstance(link, socket.gaierror):
            return (f"cannot resolve the PostgreSQL host in DATABASE_URL ({where(dsn)}): "
                    f"{link.strerror}; fix DATABASE_URL")
        if isinstance(link, TimeoutError):
            return (f"PostgreSQL at {where(dsn)} did not answer in time ({source}); check the "
                    "host, port and firewall")
        name = type(link).__name__
        if name in {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
            return (f"PostgreSQL at {where(dsn)} refused the login ({link}); fix the user or "
                    "password in DATABASE_URL")
        if name == "InvalidCatalogNameError":
            return (f"PostgreSQL at {where(dsn)} has no such database ({link}); create it "
                    "(createdb) or fix DATABASE_URL")
        if isinstance(link, OSError) and link.filename:
            return (f"cannot use {link.filename}: {link.strerror}; set KEHU_DATA_DIR to a "
                    "folder you can write (or DATABASE_URL to use your own PostgreSQL)")
    first = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0] if first else 'failed'} (run with --debug for details)"
