"""Signed checkpoints and Merkle proofs over GraphQL, for auditors and their witnesses.

Proofs are returned as the very JSON document `kehu prove` (events/store/auditor.py) checks, so
an auditor saves the `document` field to a file and verifies it offline with the public key.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from events.store import checkpoints as store
from events.store.signing import Checkpoint
from schema.audit.log import LOG_READERS
from schema.context import BadInput, ctx_of, require_reader
from schema.positions import LOG_START, Position


@strawberry.type(name="Checkpoint", description="A signed checkpoint of the log (docs/audit.md).")
class CheckpointType:
    position: Position
    tree_size: Position
    head: str = strawberry.field(description="Hash of the event at `position`, hex.")
    root: str = strawberry.field(description="RFC 9162 Merkle root over events 1..treeSize, hex.")
    time: datetime
    key_id: str = strawberry.field(description="SHA-256 of the Ed25519 public key, hex.")
    signature: str = strawberry.field(description="Ed25519 signature, base64.")
    witness_line: JSON = strawberry.field(description="The line kept in the witness file.")

    @classmethod
    def of(cls, c: Checkpoint) -> CheckpointType:
        data = c.to_json()
        return cls(position=Position(c.position), tree_size=Position(c.tree_size),
                   head=data["head"], root=data["root"], time=c.time, key_id=c.key_id,
                   signature=data["signature"], witness_line=cast(JSON, data))


@strawberry.type(description="A proof document for `kehu prove`.")
class Proof:
    kind: str
    size_bytes: int = strawberry.field(description="Bytes of the Merkle path (32 a hash).")
    document: JSON


def _proof(document: dict[str, Any]) -> Proof:
    return Proof(kind=document["kind"], size_bytes=32 * len(document["path"]),
                 document=cast(JSON, document))


@strawberry.type
class CheckpointQueries:
    @strawberry.field(description="Signed checkpoints after a position, oldest first.")
    async def checkpoints(self, info: Info[Any, Any], after: Position = LOG_START,
                          first: int | None = None) -> list[CheckpointType]:
        require_reader(info, *LOG_READERS)
        ctx = ctx_of(info)
        async with ctx.pool.acquire() as conn:
            found = await store.page(conn, after, ctx.page_size(first))
        return [CheckpointType.of(c) for c in found]

    @strawberry.field(description="An inclusion proof of one event in a checkpoint (default: "
                      "the latest).")
    async def event_proof(self, info: Info[Any, Any], position: Position,
                          checkpoint: Position | None = None) -> Proof:
        require_reader(info, *LOG_READERS)
        try:
            async with ctx_of(info).pool.acquire() as conn:
                return _proof(await store.event_proof(conn, position, checkpoint))
        except LookupError as exc:
            raise BadInput(str(exc), field="position") from exc

    @strawberry.field(description="A proof that checkpoint `to` extends checkpoint `from`.")
    async def consistency_proof(
        self, info: Info[Any, Any],
        first: Annotated[Position, strawberry.argument(name="from")],
        second: Annotated[Position, strawberry.argument(name="to")],
    ) -> Proof:
        require_reader(info, *LOG_READERS)
        try:
            async with ctx_of(info).pool.acquire() as conn:
                return _proof(await store.consistency_proof(conn, first, second))
        except LookupError as exc:
            raise BadInput(str(exc), field="from") from exc


@strawberry.type
class CheckpointSubscriptions:
    @strawberry.subscription(description="Checkpoints after a position as they are sealed.")
    async def checkpoints(self, info: Info[Any, Any], after: Position = LOG_START,
                          ) -> AsyncGenerator[CheckpointType, None]:
        require_reader(info, *LOG_READERS)
        ctx = ctx_of(info)
        position: int = after
        while True:
            async with ctx.pool.acquire() as conn:
                found = await store.page(conn, position, 100)
            for c in found:
                position = c.position
                yield CheckpointType.of(c)
            if not found:
                # Checkpoints follow events: wait for the log to move, then look again.
                head = await ctx.store.head_position()
                await ctx.services.notifier.wait(head)
