"""Settings from the environment, read once at start-up. Every name is in the README."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from events.reminders.email import SmtpConfig, parse_url, plain_address
from events.store.sealing import SealConfig
from events.webhooks.config import DeliveryConfig
from projections.reminders.worker import ReminderConfig
from schema.startup import StartupError


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value is None or value == "" else float(value)


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".kehu")
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    jwt_algorithm: str = "HS256"
    jwt_secret: str = ""
    jwt_public_key: str | None = None
    graphiql: bool = True
    introspection: bool = True
    max_depth: int = 12
    max_tokens: int = 5000
    max_aliases: int = 30
    max_page_size: int = 100
    max_body_bytes: int = 8_000_000
    max_subscriptions_per_connection: int = 20
    connection_init_timeout_s: float = 5.0
    read_your_writes_timeout_s: float = 5.0
    ready_max_lag: int = 1000
    staff_see_all: bool = False
    poll_interval_s: float = 1.0
    run_projections: bool = True
    # The least time between two rounds of a caught-up projection runner
    # (projections/runner.run_active): under a steady stream of commits, rounds grow.
    projection_round_ms: int = 20
    db_role: str = "kehu_app"
    # Query cost budgets (issue 13; README "Limits and budgets"): each field costs 1, times the
    # page size `first` of the lists around it; anonymous callers only read the schema.
    max_cost: int = 10_000
    max_cost_anonymous: int = 500
    max_repeated_fields: int = 20
    # Transport limits (issue 13; schema/transport.py, README "Limits and budgets").
    max_header_bytes: int = 64 * 1024
    max_headers: int = 100
    header_timeout_s: float = 10.0
    keep_alive_timeout_s: int = 5
    # permessage-deflate on WebSockets: off unless asked for. Compressing every message costs
    # the event loop all sockets share (a 1,000-event eventPages message took ~10 ms), so one
    # client asking for it would slow every other user down.
    ws_compression: bool = False
    max_token_bytes: int = 8192
    max_concurrent_verifications: int = 2
    # Budgets per principal and in total (issue 13; schema/budgets.py, README).
    max_concurrent_per_user: int = 16
    max_concurrent_requests: int = 128
    rate_per_user: float = 100.0
    rate_burst: int = 200
    max_websockets: int = 1000
    max_websockets_per_user: int = 20
    max_subscriptions_per_user: int = 100
    ws_send_timeout_s: float = 10.0
    # Live queries (issue 20; schema/live/): a subscription of a dashboard query recomputed at
    # most once per interval when a projection it reads advanced, shared by equal arguments.
    live_interval_ms: int = 250
    max_live_queries: int = 200
    max_live_queries_per_user: int = 20
    # `kehu serve --demo`: fill an empty database with the demo world on start.
    demo: bool = False
    webhook_delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    # Tamper evidence: signed checkpoints, their witness file, the signing key (docs/audit.md).
    seal: SealConfig = field(default_factory=SealConfig)
    # Crypto-shredding (docs/privacy.md): the master key (text or file; None: see
    # schema/privacy/keys.py) and how long a cached data key is trusted before the key table
    # is asked again (the bound on seeing another process's erasure).
    master_key: str | None = None
    key_check_seconds: float = 1.0
    # --- rule book (issue 16) ---
    # Tests only: a file holding the current time (ISO, with zone) decisions are made at, so
    # time rules run on the real server with an injected clock (schema/clock.py).
    clock_file: Path | None = None
    # --- documents (issue 19; docs/documents.md) ---
    max_document_bytes: int = 5_000_000  # one receipt or invoice; within max_body_bytes
    document_bytes_per_user_day: int = 200_000_000  # new bytes one user may store in 24 hours
    document_storage: str = "postgres"  # where the bytes live; only PostgreSQL is built

    def __post_init__(self) -> None:
        if self.document_storage != "postgres":
            raise StartupError(
                f"KEHU_DOCUMENT_STORAGE={self.document_storage!r}: only 'postgres' is built "
                "(S3-compatible storage is planned, see docs/documents.md)")

    @property
    def document_limit(self) -> int:
        """The largest document accepted: a document travels as one request body, so a
        limit beyond KEHU_MAX_BODY_BYTES could never be reached (the smaller one applies)."""
        return min(self.max_document_bytes, self.max_body_bytes)
    # --- reminders (issue 20; README "Reminders") ---
    reminders: ReminderConfig = field(default_factory=ReminderConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)

    @classmethod
    def from_env(cls, *, create_secret: bool = True) -> Settings:
        """`create_secret=False` (kehu token): only the server creates the local secret; a
        token signed with a secret the server never reads would be refused."""
        data_dir = Path(os.environ.get("KEHU_DATA_DIR", ".kehu"))
        timezone = ZoneInfo(os.environ.get("KEHU_TIMEZONE", "Asia/Shanghai"))
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            data_dir=data_dir,
            timezone=timezone,
            jwt_algorithm=os.environ.get("KEHU_JWT_ALGORITHM", "HS256"),
            jwt_secret=(os.environ.get("KEHU_JWT_SECRET")
                        or _local_secret(data_dir, create=create_secret)),
            jwt_public_key=_read_key(os.environ.get("KEHU_JWT_PUBLIC_KEY")),
            graphiql=_bool("KEHU_GRAPHIQL", True),
            introspection=_bool("KEHU_INTROSPECTION", True),
            max_depth=_int("KEHU_MAX_DEPTH", 12),
            max_tokens=_int("KEHU_MAX_TOKENS", 5000),
            max_aliases=_int("KEHU_MAX_ALIASES", 30),
            max_page_size=_int("KEHU_MAX_PAGE_SIZE", 100),
            max_body_bytes=_int("KEHU_MAX_BODY_BYTES", 8_000_000),
            max_subscriptions_per_connection=_int("KEHU_MAX_SUBSCRIPTIONS", 20),
            connection_init_timeout_s=_float("KEHU_WS_INIT_TIMEOUT", 5.0),
            read_your_writes_timeout_s=_float("KEHU_READ_YOUR_WRITES_TIMEOUT", 5.0),
            ready_max_lag=_int("KEHU_READY_MAX_LAG", 1000),
            staff_see_all=_bool("KEHU_STAFF_SEE_ALL", False),
            poll_interval_s=_float("KEHU_POLL_INTERVAL", 1.0),
            run_projections=_bool("KEHU_RUN_PROJECTIONS", True),
            projection_round_ms=_int("KEHU_PROJECTION_ROUND_MS", 20),
            db_role=os.environ.get("KEHU_DB_ROLE", "kehu_app"),
            max_cost=_int("KEHU_MAX_COST", 10_000),
            max_cost_anonymous=_int("KEHU_MAX_COST_ANONYMOUS", 500),
            max_repeated_fields=_int("KEHU_MAX_REPEATED_FIELDS", 20),
            max_header_bytes=_int("KEHU_MAX_HEADER_BYTES", 64 * 1024),
            max_headers=_int("KEHU_MAX_HEADERS", 100),
            header_timeout_s=_float("KEHU_HEADER_TIMEOUT", 10.0),
            keep_alive_timeout_s=_int("KEHU_KEEP_ALIVE_TIMEOUT", 5),
            ws_compression=_bool("KEHU_WS_COMPRESSION", False),
            max_token_bytes=_int("KEHU_MAX_TOKEN_BYTES", 8192),
            max_concurrent_verifications=_int("KEHU_MAX_VERIFICATIONS", 2),
            max_concurrent_per_user=_int("KEHU_MAX_CONCURRENT_PER_USER", 16),
            max_concurrent_requests=_int("KEHU_MAX_CONCURRENT_REQUESTS", 128),
            rate_per_user=_float("KEHU_RATE_PER_USER", 100.0),
            rate_burst=_int("KEHU_RATE_BURST", 200),
            max_websockets=_int("KEHU_MAX_WEBSOCKETS", 1000),
            max_websockets_per_user=_int("KEHU_MAX_WEBSOCKETS_PER_USER", 20),
            max_subscriptions_per_user=_int("KEHU_MAX_SUBSCRIPTIONS_PER_USER", 100),
            ws_send_timeout_s=_float("KEHU_WS_SEND_TIMEOUT", 10.0),
            live_interval_ms=_int("KEHU_LIVE_INTERVAL_MS", 250),
            max_live_queries=_int("KEHU_MAX_LIVE_QUERIES", 200),
            max_live_queries_per_user=_int("KEHU_MAX_LIVE_QUERIES_PER_USER", 20),
            demo=_bool("KEHU_DEMO", False),
            # KEHU_WEBHOOK_* (events/webhooks/config.py); times in deliveries in KEHU_TIMEZONE.
            webhook_delivery=replace(DeliveryConfig.from_env(), timezone=timezone),
            seal=SealConfig(
                signing_key=os.environ.get("KEHU_SIGNING_KEY") or None,
                public_keys=os.environ.get("KEHU_PUBLIC_KEYS") or None,
                every_events=_int("KEHU_CHECKPOINT_EVERY", 1000),
                every_seconds=_float("KEHU_CHECKPOINT_SECONDS", 60.0),
                witness_dir=Path(os.environ.get("KEHU_WITNESS_DIR") or data_dir / "witness"),
                data_dir=data_dir,
            ),
            master_key=os.environ.get("KEHU_MASTER_KEY") or None,
            key_check_seconds=_float("KEHU_KEY_CHECK_SECONDS", 1.0),
            clock_file=Path(os.environ["KEHU_CLOCK_FILE"])
            if os.environ.get("KEHU_CLOCK_FILE") else None,
            max_document_bytes=_int("KEHU_MAX_DOCUMENT_BYTES", 5_000_000),
            document_bytes_per_user_day=_int("KEHU_DOCUMENT_BYTES_PER_USER_DAY", 200_000_000),
            document_storage=os.environ.get("KEHU_DOCUMENT_STORAGE", "postgres").strip().lower(),
            reminders=ReminderConfig(
                interval_s=_float("KEHU_REMINDER_INTERVAL", 60.0),
                approval_wait=timedelta(hours=_float("KEHU_REMINDER_APPROVAL_WAIT", 24.0)),
                send_from_hour=_int("KEHU_REMINDER_FROM_HOUR", 8),
                timezone=timezone,
                enabled=_bool("KEHU_REMINDERS", True),
            ),
            smtp=_smtp(),
        )


def _read_key(value: str | None) -> str | None:
    """A PEM key given inline or as a path to a file."""
    if not value:
        return None
    if value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).read_text()


def _smtp() -> SmtpConfig:
    """KEHU_SMTP_*; a URL or sender that cannot work is refused at start, not at first send."""
    url = os.environ.get("KEHU_SMTP_URL") or None
    if url:
        parse_url(url)
    sender = os.environ.get("KEHU_SMTP_FROM", "kehu@localhost.localdomain")
    if not plain_address(sender):
        raise ValueError("KEHU_SMTP_FROM must be a plain email address such as kehu@example.com")
    return SmtpConfig(url=url, from_address=sender,
                      rate_per_s=_float("KEHU_SMTP_RATE", 5.0),
                      retry_base_s=_float("KEHU_SMTP_RETRY_BASE", 30.0),
                      retry_max_s=_float("KEHU_SMTP_RETRY_MAX", 3600.0),
                      max_attempts=_int("KEHU_SMTP_MAX_ATTEMPTS", 50))


def _local_secret(data_dir: Path, *, create: bool = True) -> str:
    """For development: a random HS256 secret kept in the data folder, so `kehu token` and the
    server agree without configuration. Production sets KEHU_JWT_SECRET or a public key."""
    path = data_dir / "jwt-secret"
    if path.exists():
        return path.read_text().strip()
    if not create:
        return ""
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
