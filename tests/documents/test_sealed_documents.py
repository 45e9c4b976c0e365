"""The stored documents are as sealed as the log: the server's role may add and read them,
never change or remove them, and PostgreSQL refuses a row whose key is not its content's
SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import asyncpg
import pytest

from events.store.db import connect, usable_role, with_role
from tests.documents.files import png
from tests.random_refs import random_id

INSERT = ("INSERT INTO kehu_log.documents (sha256, size, media_type, content, uploaded_by)"
          " VALUES ($1, $2, 'image/png', $3, $4)")


@pytest.fixture
async def app_conn(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    role = await usable_role(dsn, "kehu_app")
    assert role == "kehu_app"
    conn = await connect(with_role(dsn, role))
    yield conn
    await conn.close()


async def test_M12_the_server_role_adds_documents_but_never_changes_them(
    app_conn: asyncpg.Connection,
) -> None:
    content = png(hash(random_id()) % 256) + random_id().encode()  # bytes after IEND: unique
    sha = hashlib.sha256(content).hexdigest()
    await app_conn.execute(INSERT, sha, len(content), content, "sealed-test")
    for statement in (
        "UPDATE kehu_log.documents SET uploaded_by = 'x' WHERE sha256 = $1",
        "DELETE FROM kehu_log.documents WHERE sha256 = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute(statement, sha)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("TRUNCATE kehu_log.documents")
    assert await app_conn.fetchval(
        "SELECT content FROM kehu_log.documents WHERE sha256 = $1", sha) == content


async def test_M12_a_document_is_stored_only_under_its_own_sha256(pool: asyncpg.Pool) -> None:
    content = png(3) + random_id().encode()
    wrong = hashlib.sha256(content + b"x").hexdigest()
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute(INSERT, wrong, len(content), content, "sealed-test")
    # The tests' connection owns the tables: the append-only trigger refuses it all the same.
    sha = hashlib.sha256(content).hexdigest()
    await pool.execute(INSERT, sha, len(content), content, "sealed-test")
    assert await pool.fetchval("SELECT current_user") != "kehu_app"
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await pool.execute("UPDATE kehu_log.documents SET content = $2 WHERE sha256 = $1",
                           sha, b"\x89PNG\r\n\x1a\nforged")
