"""The webhook aggregate, decided without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events.meals.events import MealSettled
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, ValidationFailed
from events.webhooks.model import (
    DeactivateWebhook,
    RegisterWebhook,
    WebhookDeactivated,
    WebhookRegistered,
    decide,
    evolve,
)

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)
INTEGRATION = Actor("erp", "ERP", Role.INTEGRATION)
SETTLED = MealSettled.type_name()


def ctx(actor: Actor = INTEGRATION) -> Context:
    return Context(actor=actor, now=NOW)


def test_registration_records_who_and_deduplicates_types() -> None:
    (event,) = decide(None, RegisterWebhook("w1", " https://erp.example/h ", (SETTLED, SETTLED)),
                      ctx())
    assert isinstance(event, WebhookRegistered)
    assert (event.url, event.event_types, event.registered_by) == (
        "https://erp.example/h", (SETTLED,), "erp")


def test_roles_auditors_and_staff_may_not_register() -> None:
    for role in (Role.AUDITOR, Role.STAFF):
        with pytest.raises(Forbidden):
            decide(None, RegisterWebhook("w1", "https://x.example", (SETTLED,)),
                   ctx(Actor("u", "U", role)))


def test_nul_and_unknown_types_are_named_problems() -> None:
    with pytest.raises(ValidationFailed) as refused:
        decide(None, RegisterWebhook("w1", "https://x.example/\x00", (SETTLED, "Nope"), "d\x00"),
               ctx())
    assert {p.field for p in refused.value.problems} == {"url", "description", "eventTypes[1]"}


def test_deactivation_only_once_and_only_by_registrant_or_manager() -> None:
    state = evolve(None, decide(None, RegisterWebhook("w1", "https://x.example", (SETTLED,)),
                                ctx())[0])
    with pytest.raises(Forbidden):
        decide(state, DeactivateWebhook("w1"), ctx(Actor("other", "O", Role.INTEGRATION)))
    (event,) = decide(state, DeactivateWebhook("w1", "moved"), ctx(Actor("m", "M", Role.MANAGER)))
    assert isinstance(event, WebhookDeactivated)
    with pytest.raises(InvalidState):
        decide(evolve(state, event), DeactivateWebhook("w1"), ctx())
