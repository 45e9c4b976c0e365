"""Spans for OpenTelemetry, when the optional `otel` extra is installed and configured.

Only the OpenTelemetry API is used here (never the SDK), so every layer may record spans and
Kehu runs unchanged without the extra: `span()` is then a no-op. schema/tracing.py sets up the
exporter at start-up when OTEL_EXPORTER_OTLP_ENDPOINT is set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

try:
    from opentelemetry import trace as _trace
except ImportError:  # the otel extra is not installed
    _trace = None  # type: ignore[assignment]


@contextlib.contextmanager
def span(name: str, *, kind: str = "internal",
         attributes: dict[str, Any] | None = None) -> Iterator[Any]:
    if _trace is None:
        yield None
        return
    tracer = _trace.get_tracer("kehu")
    span_kind = {"server": _trace.SpanKind.SERVER, "client": _trace.SpanKind.CLIENT}.get(
        kind, _trace.SpanKind.INTERNAL)
    with tracer.start_as_current_span(name, kind=span_kind) as current:
        for key, value in (attributes or {}).items():
            if value is not None:
                current.set_attribute(key, value)
        yield current


def current_trace_id() -> str | None:
    """The active trace's id (32 hex digits), or None when nothing is being traced."""
    if _trace is None:
        return None
    context = _trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    """W3C traceparent for an outgoing call (a webhook), so the receiver can join the trace."""
    if _trace is not None:
        from opentelemetry.propagate import inject

        inject(headers)
    return headers
