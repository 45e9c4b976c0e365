"""The document routes beside GraphQL: upload the bytes, download them again.

    POST /documents            raw body (any Content-Type): 201 new, 200 already stored,
                               {"sha256", "size", "mediaType"}
    GET  /documents/{sha256}   the file, to whoever sees a meal or bill it is attached to

The type comes from the content's magic bytes, never from Content-Type or a file name; the size
is bounded before the body is read in full; each user has a daily budget of new bytes. A
refusal changes nothing and is a GraphQL-style error body naming the code, field and rule.
A document nobody may see (not attached, or attached only where the caller cannot look) is a
404, the same as one that does not exist, so its existence does not leak.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events.documents.values import DocumentInfo, sha256_of, sniff, valid_sha256
from events.shared.actors import Actor, Role
from projections.documents import queries
from schema.auth import AuthError, actor_from_header
from schema.context import Services
from schema.documents.api import storage

UPLOADERS = (Role.STAFF, Role.MANAGER)  # those who may attach documents (M12, M13)
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf",
               "application/ofd": "ofd"}


def refusal(status: int, code: str, message: str, *, field: str | None = "body",
            rule: str | None = "documents", **extra: Any) -> JSONResponse:
    extensions: dict[str, Any] = {"code": code, **extra}
    if field:
        extensions["field"] = field
    if rule:
        extensions["rule"] = rule
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"errors": [{"message": message, "extensions": extensions}]},
                        status_code=status, headers=headers)


def _caller(request: Request, services: Services) -> Actor | JSONResponse:
    try:
        return actor_from_header(request.headers.get("authorization"), services.settings)
    except AuthError as exc:
        return refusal(401, "UNAUTHENTICATED", str(exc), field=None, rule=None)


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` (nothing more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, seen = [], 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: Request) -> Response:
    services: Services = request.app.state.services
    actor = _caller(request, services)
    if isinstance(actor, JSONResponse):
        return actor
    if actor.role not in UPLOADERS:
        return refusal(403, "FORBIDDEN", f"role {actor.role.value} may not upload documents; "
                       "staff and managers attach receipts and invoices", field=None,
                       rule="roles")
    limit = services.settings.document_limit
    content = await _bounded_body(request, limit)
    if content is None:
        return refusal(413, "DOCUMENT_TOO_LARGE",
                       f"a document is at most {limit} bytes", limit=limit)
    if not content:
        return refusal(400, "EMPTY_DOCUMENT", "the request body is empty: send the file's bytes")
    media_type = sniff(content)
    if media_type is None:
        return refusal(415, "UNSUPPORTED_MEDIA_TYPE",
                       "the content is not a JPEG, PNG, PDF or OFD file, whatever its "
                       "Content-Type or name says", claimed=request.headers.get(
                           "content-type", "")[:100])
    info = DocumentInfo(sha256_of(content), len(content), media_type)
    documents = storage(services)
    if await documents.info(info.sha256) is None:
        # Only new bytes count against the budget: a stored document costs nothing again.
        since = datetime.now(UTC) - timedelta(days=1)  # wall time, like the uploaded_at column
        used = await documents.uploaded_since(actor.user_id, since)
        budget = services.settings.document_bytes_per_user_day
        if used + info.size > budget:
            return refusal(429, "RATE_LIMITED", f"you have stored {used} bytes of documents "
                           f"in the last 24 hours; the budget is {budget}", retryAfter=3600)
    new = await documents.put(info, content, actor.user_id)
    return JSONResponse({"sha256": info.sha256, "size": info.size,
                         "mediaType": info.media_type.value},
                        status_code=201 if new else 200)


async def download(request: Request) -> Response:
    services: Services = request.app.state.services
    actor = _caller(request, services)
    if isinstance(actor, JSONResponse):
        return actor
    sha256 = request.path_params["sha256"]
    not_found = refusal(404, "NOT_FOUND", "no such document", field="sha256", rule=None)
    if not valid_sha256(sha256):
        return not_found
    staff_only_own = actor.role == Role.STAFF and not services.settings.staff_see_all
    if not await queries.may_see(services.pool, sha256,
                                 actor.user_id if staff_only_own else None):
        return not_found
    stored = await storage(services).get(sha256)
    if stored is None:
        return not_found
    media_type = stored.info.media_type.value
    return Response(stored.content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{sha256}.{_EXTENSIONS[media_type]}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "ETag": f'"{sha256}"',
    })


ROUTES = [
    Route("/documents", upload, methods=["POST"]),
    Route("/documents/{sha256}", download, methods=["GET"]),
]
