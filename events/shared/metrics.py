"""The figures an operator watches, as Prometheus metrics (prometheus-client, scraped at
/metrics). Defined once here, in the lowest layer, so the store, the projection runners, the
webhook worker and the GraphQL edge all record into the same registry.

Counters and histograms are recorded where things happen; figures that live in the database
(projection lag, pool use) are read when /metrics is scraped (schema/metrics_http.py), so they
are true even for work done by another process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets in seconds from 1 ms to 10 s (an append is a few ms; a report can take 1 s+).
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_SECONDS = Histogram(
    "kehu_http_request_duration_seconds", "HTTP request duration by route, method and status.",
    ["route", "method", "status"], buckets=SECONDS)
GRAPHQL_SECONDS = Histogram(
    "kehu_graphql_operation_duration_seconds",
    "GraphQL operation duration by operation type, name and outcome (ok or error).",
    ["type", "operation", "outcome"], buckets=SECONDS)
APPEND_SECONDS = Histogram(
    "kehu_append_duration_seconds",
    "Time from submitting an append to its commit (group commit included), by outcome.",
    ["outcome"], buckets=SECONDS)
APPEND_BATCH = Histogram(
    "kehu_append_batch_size", "Commands written together in one group-commit transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
APPEND_BATCH_EVENTS = Histogram(
    "kehu_append_batch_events", "Events written in one group-commit transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
PROJECTED_EVENTS = Counter(
    "kehu_projection_events_total",
    "Events applied by each projection in this process (rate() gives its speed).",
    ["projection"])
PROJECTION_LAG = Gauge(
    "kehu_projection_lag_events", "Events in the log not yet applied by each projection.",
    ["projection"])
PROJECTION_POSITION = Gauge(
    "kehu_projection_position", "Each projection's checkpoint (log position applied).",
    ["projection"])
LOG_HEAD = Gauge("kehu_log_head_position", "The position of the last event in the log.")
WEBSOCKETS = Gauge("kehu_websocket_connections", "Open GraphQL WebSocket connections.")
SUBSCRIPTIONS = Gauge("kehu_graphql_subscriptions", "Active GraphQL subscriptions.")
WEBSOCKET_CLOSES = Counter(
    "kehu_websocket_closes_total", "WebSockets the server closed on a limit, by close code "
    "(4403 token expired, 4410 subscriber too slow, 4429 too many connections).", ["code"])
WEBHOOK_DELIVERIES = Counter(
    "kehu_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"])
REMINDERS = Counter(
    "kehu_reminders_total", "Reminders this process wrote to the log, by rule.", ["rule"])
REMINDER_EMAILS = Counter(
    "kehu_reminder_emails_total", "Reminder email attempts by outcome (sent, failed, given_up).",
    ["outcome"])
POOL_CONNECTIONS = Gauge(
    "kehu_db_pool_connections", "The API's database pool: open, idle, in use and the maximum.",
    ["state"])
AUDIT_VERIFICATIONS = Counter(
    "kehu_audit_verifications_total", "Hash-chain verifications by result (ok or tampered).",
    ["result"])
AUDIT_VERIFIED_EVENTS = Gauge(
    "kehu_audit_last_verified_events", "Events checked by the last hash-chain verification.")
LIVE_QUERIES = Gauge(
    "kehu_live_queries", "Distinct live queries (operation, arguments, visibility) running.")
LIVE_SUBSCRIBERS = Gauge(
    "kehu_live_subscribers", "Subscriptions sharing the running live queries.")
LIVE_COMPUTATIONS = Counter(
    "kehu_live_computations_total",
    "Live query computations by operation and outcome (changed, unchanged or error); one per "
    "distinct live query and interval, whatever the number of its subscribers.",
    ["operation", "outcome"])
LIVE_CHECKPOINT_READS = Counter(
    "kehu_live_checkpoint_reads_total",
    "Reads of the projections' checkpoints by the process's one live-query watcher.")
LIVE_DELAY_SECONDS = Histogram(
    "kehu_live_delay_seconds",
    "From seeing a projection advance to a live query's new result being ready.",
    buckets=SECONDS)


@contextmanager
def timed(histogram: Histogram, **labels: str) -> Iterator[dict[str, str]]:
    """Observe the block's duration; the caller may change labels (e.g. the outcome) inside."""
    started = time.perf_counter()
    found = dict(labels)
    try:
        yield found
    finally:
        histogram.labels(**found).observe(time.perf_counter() - started)


def record_verification(ok: bool, checked: int) -> None:
    AUDIT_VERIFICATIONS.labels(result="ok" if ok else "tampered").inc()
    AUDIT_VERIFIED_EVENTS.set(checked)
