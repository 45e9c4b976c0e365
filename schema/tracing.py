"""OpenTelemetry export, set up at start-up when OTEL_EXPORTER_OTLP_ENDPOINT is set (standard
OTEL_* variables apply: OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY, ...). Needs the optional
extra: `pip install 'kehu[otel]'`. Traced: each HTTP request, each GraphQL operation
(strawberry's OpenTelemetryExtension), each append transaction and each webhook call; the
request's trace id is the correlation id of the events it writes. SQL statements are not
traced one by one (no asyncpg instrumentation matching the SDK was installable)."""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger("kehu.tracing")
_configured = False


def enabled() -> bool:
    return _configured


def configure() -> bool:
    global _configured
    if _configured or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _configured
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the otel extra is not installed "
                    "(pip install 'kehu[otel]'): no traces are exported")
        return False
    name = os.environ.get("OTEL_SERVICE_NAME", "kehu")
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def graphql_extensions() -> list[Any]:
    if not enabled():
        return []
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return [OpenTelemetryExtension]


def shutdown() -> None:
    """Flush the spans still queued (at server shutdown)."""
    if enabled():
        from opentelemetry import trace

        provider: Any = trace.get_tracer_provider()
        provider.shutdown()
