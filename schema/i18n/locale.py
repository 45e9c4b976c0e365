"""Which language a request reads: `Accept-Language` (q-values honoured), else KEHU_LOCALE,
else English. Only English and Simplified Chinese are offered."""

from __future__ import annotations

import os
from contextvars import ContextVar

from schema.i18n.catalog import CHINESE, ENGLISH

LOCALE: ContextVar[str | None] = ContextVar("kehu_locale", default=None)


def default_locale() -> str:
    return _offered(os.environ.get("KEHU_LOCALE", "en")) or ENGLISH


def _offered(tag: str) -> str | None:
    tag = tag.strip().lower().replace("_", "-")
    if tag in {"zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg"}:
        return CHINESE
    if tag == "en" or tag.startswith("en-"):
        return ENGLISH
    return None


def negotiate(accept_language: str | None) -> str:
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, *params = part.split(";")
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        offered = _offered(tag)
        if offered and quality > 0:
            ranked.append((-quality, index, offered))
    return min(ranked)[2] if ranked else default_locale()


def current() -> str:
    return LOCALE.get() or default_locale()
