"""Webhook subscriptions as an aggregate: who asked for which events to be pushed where.

Registering a webhook is how an integration subscribes (RULES.md roles: integrations "subscribe;
write nothing" of the business). It is still recorded as an event, so the audit log shows who
subscribed what and when. The signing secret is never part of an event: it is kept only in the
webhooks table, and shown once to the caller who registered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound
from events.shared.validation import Problems
from events.store.envelope import Event, event_class

STREAM_TYPE = "webhook"
MAX_URL = 2000
MAX_DESCRIPTION = 500
MAX_EVENT_TYPES = 50
# Who may subscribe a URL: the systems that integrate, and the managers who set them up.
REGISTRARS = (Role.INTEGRATION, Role.MANAGER)


def stream_id(webhook_id: str) -> str:
    return f"webhook-{webhook_id}"


@dataclass(frozen=True)
class RegisterWebhook:
    webhook_id: str
    url: str
    event_types: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class DeactivateWebhook:
    webhook_id: str
    reason: str = ""


@dataclass(frozen=True)
class WebhookRegistered(Event):
    webhook_id: str
    url: str
    event_types: tuple[str, ...]
    description: str
    registered_by: str
    registered_at: datetime


@dataclass(frozen=True)
class WebhookDeactivated(Event):
    webhook_id: str
    reason: str
    deactivated_by: str
    deactivated_at: datetime


@dataclass(frozen=True)
class WebhookState:
    webhook_id: str
    url: str
    event_types: tuple[str, ...]
    registered_by: str
    active: bool = True


def decide(
    state: WebhookState | None, command: RegisterWebhook | DeactivateWebhook, ctx: Context
) -> list[Event]:
    ctx.require_role(*REGISTRARS, action="managing webhooks", rule="roles")
    if isinstance(command, RegisterWebhook):
        if state is not None:
            raise InvalidState(f"webhook {command.webhook_id} already exists", field="id")
        _check_registration(command)
        return [WebhookRegistered(
            webhook_id=command.webhook_id, url=command.url.strip(),
            event_types=tuple(dict.fromkeys(command.event_types)),
            description=command.description.strip(), registered_by=ctx.actor.user_id,
            registered_at=ctx.now,
        )]
    if state is None:
        raise NotFound(f"no webhook {command.webhook_id}", field="id")
    if ctx.actor.role is not Role.MANAGER and ctx.actor.user_id != state.registered_by:
        raise Forbidden("only its registrant or a manager deactivates a webhook", rule="roles")
    if not state.active:
        raise InvalidState(f"webhook {command.webhook_id} is already inactive", field="id")
    problems = Problems()
    problems.text("reason", command.reason, limit=MAX_DESCRIPTION, required=False)
    if "\x00" in command.reason:
        problems.add("reason", "must not contain NUL characters")
    problems.raise_if_any()
    return [WebhookDeactivated(command.webhook_id, command.reason.strip(), ctx.actor.user_id,
                               ctx.now)]


def _check_registration(command: RegisterWebhook) -> None:
    p = Problems()
    p.text("url", command.url, limit=MAX_URL)
    parts = urlsplit(command.url.strip())
    if command.url.strip() and (parts.scheme not in ("http", "https") or not parts.hostname):
        p.add("url", "must be an http:// or https:// URL with a host")
    p.text("description", command.description, limit=MAX_DESCRIPTION, required=False)
    if not command.event_types:
        p.add("eventTypes", "name at least one event type")
    if len(command.event_types) > MAX_EVENT_TYPES:
        p.add("eventTypes", f"at most {MAX_EVENT_TYPES} event types")
    for i, name in enumerate(command.event_types):
        # A typo would silently deliver nothing, forever: only known event types are accepted.
        if len(name) > 200 or "\x00" in name or event_class(name) is None:
            p.add(f"eventTypes[{i}]", f"{name[:200]!r} is not an event type Kehu records")
    for field, text in (("url", command.url), ("description", command.description)):
        if "\x00" in text:  # PostgreSQL text cannot hold it
            p.add(field, "must not contain NUL characters")
    p.raise_if_any()


def evolve(state: WebhookState | None, event: Event) -> WebhookState:
    if isinstance(event, WebhookRegistered):
        return WebhookState(event.webhook_id, event.url, event.event_types, event.registered_by)
    if state is None:
        raise ValueError(f"{type(event).__name__} before WebhookRegistered")
    if isinstance(event, WebhookDeactivated):
        return replace(state, active=False)
    raise TypeError(f"not a webhook event: {type(event).__name__}")
