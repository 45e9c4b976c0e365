"""Webhook settings (every name is in the README and docs/integrations.md), read once."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo

from events.webhooks.destinations import Policy


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if not value else float(value)


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class DeliveryConfig:
    retry_base_s: float = 0.5
    retry_max_s: float = 30.0
    timeout_s: float = 10.0
    standby_interval_s: float = 1.0
    # Who may be called: KEHU_WEBHOOK_ALLOWED_NETWORKS (CIDRs) opens internal networks,
    # KEHU_WEBHOOK_ALLOW_HTTP allows plain http:// (both off by default).
    policy: Policy = field(default_factory=Policy)
    # Quotas per principal (the registering user): active hooks, and registrations per minute.
    max_hooks_per_principal: int = 20
    registrations_per_minute: int = 10
    # How long a rotated-out secret still signs deliveries beside the new one.
    rotation_overlap_s: float = 24 * 3600.0
    # Times in delivered events carry the company's offset (KEHU_TIMEZONE).
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    @classmethod
    def from_env(cls) -> DeliveryConfig:
        return cls(
            timezone=ZoneInfo(os.environ.get("KEHU_TIMEZONE") or "Asia/Shanghai"),
            retry_base_s=_number("KEHU_WEBHOOK_RETRY_BASE", 0.5),
            retry_max_s=_number("KEHU_WEBHOOK_RETRY_MAX", 30.0),
            timeout_s=_number("KEHU_WEBHOOK_TIMEOUT", 10.0),
            standby_interval_s=_number("KEHU_WEBHOOK_STANDBY_INTERVAL", 1.0),
            policy=Policy.parse(os.environ.get("KEHU_WEBHOOK_ALLOWED_NETWORKS", ""),
                                allow_http=_flag("KEHU_WEBHOOK_ALLOW_HTTP")),
            max_hooks_per_principal=int(_number("KEHU_WEBHOOK_MAX_PER_PRINCIPAL", 20)),
            registrations_per_minute=int(_number("KEHU_WEBHOOK_REGISTRATIONS_PER_MINUTE", 10)),
            rotation_overlap_s=_number("KEHU_WEBHOOK_ROTATION_OVERLAP", 24 * 3600.0),
        )

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """Doubling from retry_base_s up to retry_max_s, with "equal jitter": half the delay is
        fixed, half random, so receivers recovering from an outage are not hit by every
        webhook at the same instant, and no retry comes sooner than half its step."""
        # The exponent stops growing long before the maximum is reached: a receiver down for a
        # thousand attempts made 2 ** failures too large for a float (the deliverer crashed).
        doublings = min(max(failures - 1, 0), 62)
        step = float(min(self.retry_base_s * 2 ** doublings, self.retry_max_s))
        return step / 2 + (rng or random).uniform(0, step / 2)
