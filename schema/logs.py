"""Logs as one JSON object per line with `KEHU_LOG_FORMAT=json`, each carrying the request id,
the correlation id (the id the request's events record) and the actor, so a log line, a trace
and an event in the audit log can be joined. Plain text otherwise."""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID: ContextVar[str | None] = ContextVar("kehu_request_id", default=None)
CORRELATION_ID: ContextVar[str | None] = ContextVar("kehu_correlation_id", default=None)
ACTOR: ContextVar[str | None] = ContextVar("kehu_actor", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"


def request_id_from(header: bytes | None) -> str:
    """A caller's X-Request-ID when it is a sane token, else a new one."""
    if header:
        text = header.decode("latin-1")
        if _SAFE_ID.match(text):
            return text
    return uuid.uuid4().hex[:16]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("request_id", REQUEST_ID), ("correlation_id", CORRELATION_ID),
                         ("actor", ACTOR)):
            value = var.get()
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def json_logs() -> bool:
    return os.environ.get("KEHU_LOG_FORMAT", "text").strip().lower() == "json"


def configure(level: int = logging.INFO) -> None:
    """Root logging in the chosen format; uvicorn's loggers then propagate into it."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_logs() else logging.Formatter(PLAIN))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
