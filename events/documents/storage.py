"""Where documents' bytes live: an interface any content-addressed store can implement.

PostgreSQL (`postgres.py`, the default) keeps them in `kehu_log.documents`. S3-compatible
object storage would implement the same three methods with the SHA-256 as the object key
(PUT with If-None-Match: *, GET, HEAD); it is not built yet (docs/documents.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from events.documents.values import DocumentInfo


@dataclass(frozen=True)
class StoredDocument:
    info: DocumentInfo
    content: bytes


class DocumentStorage(Protocol):
    async def put(self, info: DocumentInfo, content: bytes, uploaded_by: str) -> bool:
        """Store the bytes under their SHA-256 once; True when they were new. Never replaces
        what is stored (the same hash is the same bytes)."""
        ...

    async def info(self, sha256: str) -> DocumentInfo | None: ...

    async def get(self, sha256: str) -> StoredDocument | None: ...

    async def uploaded_since(self, user_id: str, since: datetime) -> int:
        """Bytes this user newly stored since then (their upload budget)."""
        ...
