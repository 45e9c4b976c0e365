"""Reminder emails: the SMTP settings (KEHU_SMTP_URL) and one reminder as a bounded message.

Nothing from outside reaches a header unchecked: addresses come from the people directory,
where only plain addresses are accepted (events/people/values.py) and are checked again here;
the subject is a fixed template with the rule ID; the person's name and the deadline's label
go in the body only. Bodies are cut at MAX_BODY characters.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from events.people.values import EMAIL, MAX_EMAIL
from events.reminders import texts

MAX_BODY = 8000
MAX_LABEL = 300


@dataclass(frozen=True)
class SmtpConfig:
    url: str | None = None  # KEHU_SMTP_URL: smtp://user:pass@host:port or smtps://...
    from_address: str = "kehu@localhost.localdomain"  # KEHU_SMTP_FROM
    timeout_s: float = 15.0  # one SMTP conversation
    rate_per_s: float = 5.0  # KEHU_SMTP_RATE: sends per second per process, at most
    retry_base_s: float = 30.0  # KEHU_SMTP_RETRY_BASE: first backoff, doubled per failure
    retry_max_s: float = 3600.0  # the longest backoff
    max_attempts: int = 50  # then the email is given up (recorded, never silently dropped)
    lease_s: float = 120.0  # a claimed email another process may take after this

    def backoff(self, attempts: int) -> float:
        return float(min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Server:
    hostname: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> Server:
    """smtp://[user:pass@]host[:port] (STARTTLS when offered) or smtps:// (TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("KEHU_SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://...")
    tls = parts.scheme == "smtps"
    return Server(parts.hostname, parts.port or (465 if tls else 25), tls,
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None)


def plain_address(address: str) -> bool:
    return len(address) <= MAX_EMAIL and EMAIL.fullmatch(address) is not None


def body(name: str, policy_key: str, rule: str, label: str, due_on: date | None,
         language: str | None, reference: str = "") -> str:
    """Chinese and English, or the recipient's own language when the directory has one;
    `reference` names the subject (meal id, visit/commitment, restaurant/month)."""
    label, day = label[:MAX_LABEL], due_on
    parts = []
    for lang in ([language] if language in texts.LANGUAGES else ["zh", "en"]):
        greeting = f"{name}，您好：" if lang == "zh" else f"Dear {name},"
        parts.append(f"{greeting}\n\n{texts.message(policy_key, rule, label, day, lang)}\n")
    if reference:
        parts.append(f"Kehu: {reference[:MAX_LABEL]}\n")
    return "\n".join(parts)[:MAX_BODY]


def build(sender: str, to: str, subject: str, text: str, message_id: str = "") -> EmailMessage:
    if not plain_address(sender) or not plain_address(to):
        raise ValueError("not a plain email address")
    message = EmailMessage(policy=email.policy.SMTP)  # refuses CR/LF in any header
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject.replace("\r", " ").replace("\n", " ")[:200]
    if message_id.isalnum():
        # The outbox row's id: a receiver (or a person) can tell a retry from a new reminder.
        message["Message-ID"] = f"<{message_id}@kehu>"
    message.set_content(text[:MAX_BODY])
    return message


async def send(config: SmtpConfig, message: EmailMessage) -> None:
    """One SMTP conversation; raises on any failure (a 4xx/5xx reply, a refused connection)."""
    assert config.url is not None
    server = parse_url(config.url)
    await aiosmtplib.send(message, hostname=server.hostname, port=server.port,
                          username=server.username, password=server.password,
                          use_tls=server.use_tls, timeout=config.timeout_s)
