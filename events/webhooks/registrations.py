"""What registering and rotating a webhook check and keep beside its event: the destination,
the registrant's quotas, and the secret (never in the log).

Quotas exist because a registration is an audit event and every active hook is work on every
append: a role that "writes nothing" of the business must not grow the log or slow writers
without bound. They are counted per registering user, under a transaction-scoped advisory lock
on that user, so concurrent registrations cannot all slip under the limit together.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

import asyncpg

from events.shared.errors import InvalidState, NotFound, ValidationFailed
from events.webhooks import signing
from events.webhooks.config import DeliveryConfig
from events.webhooks.destinations import Policy, Unresolved, UnsafeDestination, check

QUOTA_RULE = "webhook-quota"
QUOTA_LOCK_CLASS = 0x4B455751  # "KEWQ"


async def check_destination(url: str, policy: Policy) -> None:
    """Refuses what the destination rules refuse; a name without an address yet passes (every
    delivery checks again, and connects only to what it checked)."""
    try:
        await check(url.strip(), policy)
    except Unresolved:
        return
    except UnsafeDestination as exc:
        raise ValidationFailed.single("url", str(exc), rule="webhook-destination") from None


async def admit(conn: asyncpg.Connection, principal: str, config: DeliveryConfig) -> None:
    """Inside the registering transaction: refuse when the principal is at a quota."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", QUOTA_LOCK_CLASS,
                       zlib.crc32(principal.encode()) - 2**31)
    row = await conn.fetchrow(
        # Hooks: the active ones and those being registered now (inactive until their event
        # is appended), not the deactivated.
        "SELECT count(*) FILTER (WHERE deactivated_at IS NULL AND (active"
        " OR created_at > now() - interval '1 minute')) AS hooks,"
        " count(*) FILTER (WHERE created_at > now() - interval '1 minute') AS recent"
        " FROM webhooks WHERE created_by = $1", principal)
    assert row is not None
    if row["recent"] >= config.registrations_per_minute:
        raise InvalidState(f"at most {config.registrations_per_minute} webhook registrations"
                           " per minute (KEHU_WEBHOOK_REGISTRATIONS_PER_MINUTE)",
                           rule=QUOTA_RULE)
    if row["hooks"] >= config.max_hooks_per_principal:
        raise InvalidState(f"at most {config.max_hooks_per_principal} active webhooks per"
                           " registrant (KEHU_WEBHOOK_MAX_PER_PRINCIPAL); deactivate one first",
                           rule=QUOTA_RULE)


async def rotate_secret(pool: asyncpg.Pool, webhook_id: str, overlap_s: float) -> str:
    """A new secret for an active webhook; the current one keeps signing for the overlap."""
    secret = signing.generate_secret()
    updated = await pool.fetchval(
        "UPDATE webhooks SET previous_secret = secret, previous_secret_until = now() + $3,"
        " secret = $2 WHERE id = $1 AND active RETURNING id",
        webhook_id, secret, timedelta(seconds=overlap_s))
    if updated is None:
        raise NotFound(f"no active webhook {webhook_id}", field="id")
    return secret
