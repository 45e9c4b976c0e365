"""The framework's floor for bench/api.py: the smallest strawberry schema, served by uvicorn.

    uvicorn bench.bare_app:app --workers 1

No database, no authentication, no limits: `{ __typename }` costs only strawberry's parse,
validate and execute, Starlette-free ASGI and uvicorn's HTTP.
"""

from __future__ import annotations

import strawberry
from strawberry.asgi import GraphQL


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


app = GraphQL(strawberry.Schema(query=Query), graphql_ide=None)
