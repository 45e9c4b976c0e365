"""Webhook settings from the environment, and retries that back off with jitter."""

from __future__ import annotations

import ipaddress
import random

import pytest

from events.webhooks.config import DeliveryConfig


def test_retries_double_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    config = DeliveryConfig(retry_base_s=1, retry_max_s=8)
    rng = random.Random(15)
    for failures, step in ((1, 1), (2, 2), (3, 4), (4, 8), (9, 8)):
        delays = [config.backoff(failures, rng) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 100  # not one fixed delay: receivers are not hit in step


def test_a_receiver_down_for_thousands_of_attempts_still_gets_the_capped_delay() -> None:
    """2 ** 1100 is too large for a float: the deliverer of a long-dead receiver crashed."""
    config = DeliveryConfig(retry_base_s=0.5, retry_max_s=30)
    for failures in (63, 1100, 10**6):
        assert 15 <= config.backoff(failures, random.Random(failures)) <= 30


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEHU_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8, 10.1.0.0/16")
    monkeypatch.setenv("KEHU_WEBHOOK_ALLOW_HTTP", "true")
    monkeypatch.setenv("KEHU_WEBHOOK_MAX_PER_PRINCIPAL", "3")
    monkeypatch.setenv("KEHU_WEBHOOK_REGISTRATIONS_PER_MINUTE", "2")
    monkeypatch.setenv("KEHU_WEBHOOK_ROTATION_OVERLAP", "60")
    config = DeliveryConfig.from_env()
    assert config.policy.allowed_networks == (ipaddress.ip_network("127.0.0.0/8"),
                                              ipaddress.ip_network("10.1.0.0/16"))
    assert config.policy.allow_http
    assert (config.max_hooks_per_principal, config.registrations_per_minute) == (3, 2)
    assert config.rotation_overlap_s == 60


def test_by_default_only_public_https_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEHU_WEBHOOK_ALLOWED_NETWORKS", "KEHU_WEBHOOK_ALLOW_HTTP"):
        monkeypatch.delenv(name, raising=False)
    config = DeliveryConfig.from_env()
    assert config.policy.allowed_networks == () and not config.policy.allow_http
