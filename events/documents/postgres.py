"""Documents in PostgreSQL: `kehu_log.documents`, one row per distinct content.

The table is append-only for the server's role (INSERT and SELECT, no UPDATE or DELETE, and
triggers refuse either for everyone), and a CHECK makes the key the SHA-256 of the bytes, so a
row can only ever hold what its name says.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from events.documents.storage import StoredDocument
from events.documents.values import DocumentInfo, MediaType


class PostgresDocuments:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def put(self, info: DocumentInfo, content: bytes, uploaded_by: str) -> bool:
        # ON CONFLICT DO NOTHING needs no UPDATE right: the first copy stays as it is.
        status: str = await self.pool.execute(
            "INSERT INTO kehu_log.documents (sha256, size, media_type, content, uploaded_by)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
            info.sha256, info.size, info.media_type.value, content, uploaded_by)
        return status.endswith(" 1")

    async def info(self, sha256: str) -> DocumentInfo | None:
        row = await self.pool.fetchrow(
            "SELECT sha256, size, media_type FROM kehu_log.documents WHERE sha256 = $1", sha256)
        return None if row is None else _info(row)

    async def get(self, sha256: str) -> StoredDocument | None:
        row = await self.pool.fetchrow(
            "SELECT sha256, size, media_type, content FROM kehu_log.documents WHERE sha256 = $1",
            sha256)
        return None if row is None else StoredDocument(_info(row), bytes(row["content"]))

    async def uploaded_since(self, user_id: str, since: datetime) -> int:
        total: int = await self.pool.fetchval(
            "SELECT coalesce(sum(size), 0) FROM kehu_log.documents"
            " WHERE uploaded_by = $1 AND uploaded_at >= $2", user_id, since)
        return int(total)


def _info(row: asyncpg.Record) -> DocumentInfo:
    return DocumentInfo(row["sha256"], row["size"], MediaType(row["media_type"]))
