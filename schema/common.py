"""Conventions every domain API module shares: mutation results, cursor pages, money, input
limits. One place, so dashboards see the same shapes everywhere."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import strawberry

from events.shared.money import format_fen, parse_yuan
from events.shared.validation import MAX_NAME as MAX_NAME
from events.shared.validation import MAX_TEXT as MAX_TEXT
from projections.paging import encode_cursor
from schema.positions import Position

T = TypeVar("T")



@strawberry.interface(description="A mutation that was carried out.")
class MutationOk:
    position: Position = strawberry.field(
        description="Global log position of the last event written (0: nothing changed). "
        "Pass it as atLeast to a query to read your own write."
    )
    replayed: bool = strawberry.field(
        description="True when an idempotency key returned an earlier, identical result."
    )



@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A cursor page (Relay style): pass endCursor as after.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(rows: list[Any], limit: int, total: int, *, node: Any, key: Any) -> Any:
    """Build a Connection from `limit + 1` fetched rows (the extra row says a next page
    exists). `node(row)` converts at the edge; `key(row)` is the tuple the cursor encodes."""
    page = rows[:limit]
    edges = [Edge(cursor=encode_cursor(*key(r)), node=node(r)) for r in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > limit,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
    )


def yuan(fen: int | None) -> str | None:
    """Money leaves Kehu as a decimal string of yuan, never a float."""
    return None if fen is None else format_fen(fen)


def fen(text: str | None, field: str) -> int | None:
    """Money arrives as a decimal string of yuan; a float-shaped mistake is a typed error."""
    return None if text is None else parse_yuan(text, field)
