"""Kehu's Standard Webhooks signatures, verified by the `standardwebhooks` library (written
elsewhere, by the specification's authors) as an integration would."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from events.webhooks import signing

BODY = b'{"type":"MealSettled","data":{"amount":"1400.00"}}'


def test_a_delivery_verifies_with_the_standard_library() -> None:
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    now = int(time.time())
    headers = signing.headers("evt-1", now, BODY, [secret])
    assert headers["webhook-signature"].startswith("v1,")
    payload = Webhook(secret).verify(BODY, headers)
    assert payload == {"type": "MealSettled", "data": {"amount": "1400.00"}}
    signing.verify(secret, headers, BODY, now)


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = signing.headers("evt-2", int(time.time()), BODY, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify(BODY, headers)


def test_tampering_and_replays_fail() -> None:
    secret = signing.generate_secret()
    now = int(time.time())
    headers = signing.headers("evt-3", now, BODY, [secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"1400", b"9400"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**headers, "webhook-id": "evt-4"})
    stale = signing.headers("evt-3", now - 3600, BODY, [secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, stale)
    with pytest.raises(signing.BadSignature):
        signing.verify(secret, stale, BODY, now)
    with pytest.raises(signing.BadSignature):
        signing.verify(secret, {**headers, "webhook-signature": "v1,AAAA"}, BODY, now)


def test_the_webhook_id_is_what_the_caller_gives_so_retries_repeat_it() -> None:
    secret = signing.generate_secret()
    first = signing.headers("evt-5", 1_700_000_000, BODY, [secret])
    retry = signing.headers("evt-5", 1_700_000_060, BODY, [secret])
    assert first["webhook-id"] == retry["webhook-id"] == "evt-5"
    assert first["webhook-signature"] != retry["webhook-signature"]


def test_malformed_secrets_are_refused() -> None:
    for bad in ("whsec_not base64!", "whsec_" + "QUJD", ""):
        with pytest.raises(ValueError, match="webhook secret"):
            signing.secret_key(bad)
    with pytest.raises(ValueError, match="at least one"):
        signing.headers("evt", 1, BODY, [])
