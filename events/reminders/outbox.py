"""The email outbox: every reminder's emails recorded before any is sent, then sent once.

Two loops per process. The ingester follows the log's ReminderSent events from a cursor and
records one row per recipient (`reminder_emails`, keyed by reminder and person, so two
processes ingesting the same event record it once), with the address and language the people
directory has for them then. The sender claims a due row (FOR UPDATE SKIP LOCKED, then a lease:
`sending` until `claimed_until`), so two processes never hold the same email; it records `sent`,
or `failed` with the error, the attempt count and the next attempt (exponential backoff), so a
failing SMTP server is retried and nothing is lost; after `max_attempts` the row is
`given_up`, still recorded. A process that dies mid-send leaves a lease that expires, and the
email is tried again (at least once: SMTP itself cannot promise more).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import UTC, datetime, timedelta

import asyncpg

from events.people.handlers import load_person
from events.people.values import person_key
from events.reminders import email, texts
from events.reminders.events import ReminderSent
from events.shared import metrics
from events.store.event_store import EventStore
from events.store.follow import follow
from events.store.notifications import Notifier

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=2)  # a reminder recorded longer ago is not emailed any more
IDLE_S = 0.5  # how often an idle sender looks for due emails (retries come due by time)

_CLAIM = """
UPDATE reminder_emails SET status = 'sending', attempts = attempts + 1,
       claimed_until = now() + make_interval(secs => $1)
WHERE email_id = (
    SELECT email_id FROM reminder_emails
    WHERE (status IN ('pending', 'failed') AND next_attempt_at <= now())
       OR (status = 'sending' AND claimed_until < now())
    ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING email_id, address, subject, body, attempts
"""


def email_id(reminder_id: str, user_id: str) -> str:
    return hashlib.sha256(f"{reminder_id}|{person_key(user_id)}".encode()).hexdigest()[:32]


async def _record(pool: asyncpg.Pool, store: EventStore, position: int,
                  reminder: ReminderSent, stale: bool) -> None:
    for user_id in dict.fromkeys(reminder.recipients):
        person = await load_person(store, user_id)
        address = person.email if person and person.active else None
        status = "pending" if address and email.plain_address(address) else "no_address"
        if stale and status == "pending":
            status = "stale"  # SMTP configured long after: old reminders stay in the app
        language = person.language if person else None
        subject_lang = language if language in texts.LANGUAGES else "zh"
        subject = texts.subject(reminder.rule, subject_lang)
        if language is None:
            subject = f"{texts.subject(reminder.rule, 'zh')} / {texts.subject(reminder.rule, 'en')}"
        text = email.body(person.name if person else user_id, reminder.policy_key, reminder.rule,
                          reminder.label, reminder.due_on, language,
                          f"{reminder.subject_kind} {reminder.subject_id}")
        await pool.execute(
            "INSERT INTO reminder_emails (email_id, reminder_id, position, user_id, address,"
            " language, subject, body, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (email_id) DO NOTHING",
            email_id(reminder.reminder_id, user_id), reminder.reminder_id, position, user_id,
            address, language, subject, text, status)


async def ingest_forever(pool: asyncpg.Pool, store: EventStore, notifier: Notifier,
                         wake: asyncio.Event) -> None:
    while True:
        try:
            after = int(await pool.fetchval("SELECT last_position FROM reminder_email_cursor"))
            async for page in follow(pool, notifier, after, types=["ReminderSent"]):
                for stored in page:
                    if isinstance(stored.event, ReminderSent):
                        stale = stored.recorded_at < datetime.now(UTC) - STALE_AFTER
                        await _record(pool, store, stored.position, stored.event, stale)
                    await pool.execute("UPDATE reminder_email_cursor SET last_position ="
                                       " greatest(last_position, $1)", stored.position)
                wake.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reminder emails: recording failed; retrying")
            await asyncio.sleep(IDLE_S * 4)


async def send_one(pool: asyncpg.Pool, config: email.SmtpConfig) -> bool:
    """Claim and send one due email; False when none is due."""
    row = await pool.fetchrow(_CLAIM, config.lease_s)
    if row is None:
        return False
    try:
        message = email.build(config.from_address, row["address"], row["subject"], row["body"],
                              row["email_id"])
        await email.send(config, message)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a 4xx/5xx reply, a refused connection, a timeout
        attempts = int(row["attempts"])
        status = "given_up" if attempts >= config.max_attempts else "failed"
        log.warning("reminder email %s: attempt %d failed: %s", row["email_id"], attempts, exc)
        metrics.REMINDER_EMAILS.labels(outcome=status).inc()
        await pool.execute(
            "UPDATE reminder_emails SET status = $2, last_error = $3, claimed_until = NULL,"
            " next_attempt_at = now() + make_interval(secs => $4) WHERE email_id = $1",
            row["email_id"], status, str(exc)[:500] or type(exc).__name__,
            config.backoff(attempts))
        return True
    # Shielded: once the server took it, "sent" is recorded even if the process is stopping.
    await asyncio.shield(pool.execute(
        "UPDATE reminder_emails SET status = 'sent', sent_at = now(), claimed_until = NULL,"
        " last_error = NULL WHERE email_id = $1", row["email_id"]))
    metrics.REMINDER_EMAILS.labels(outcome="sent").inc()
    return True


async def send_forever(pool: asyncpg.Pool, config: email.SmtpConfig,
                       wake: asyncio.Event) -> None:
    gap = 1.0 / config.rate_per_s if config.rate_per_s > 0 else 0.0
    while True:
        try:
            if await send_one(pool, config):
                await asyncio.sleep(gap)  # the send rate's bound
                continue
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reminder emails: sender failed; retrying")
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), IDLE_S)


def start(pool: asyncpg.Pool, store: EventStore, notifier: Notifier,
          config: email.SmtpConfig) -> list[asyncio.Task[None]]:
    """The outbox's two tasks; none without KEHU_SMTP_URL (reminders stay in the app)."""
    if not config.url:
        return []
    wake = asyncio.Event()
    return [asyncio.create_task(ingest_forever(pool, store, notifier, wake),
                                name="kehu-reminder-emails-ingest"),
            asyncio.create_task(send_forever(pool, config, wake),
                                name="kehu-reminder-emails-send")]
