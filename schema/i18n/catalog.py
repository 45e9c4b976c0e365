"""The zh-CN catalog (gettext .po, read with Babel) and translation of one message.

Messages are keyed by their English text. Text built with f-strings is keyed by its template,
`{name}` marking each inserted value, so "cap of 300.00 for vip" finds the entry for
"cap of {cap} for {tier}" and the values are put into the Chinese text. Other contexts' new
messages therefore only need a catalog entry, never a code change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "kehu"
ENGLISH, CHINESE = "en", "zh_CN"
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    names: tuple[str, ...]
    translation: str


def _pattern(msgid: str, msgstr: str) -> Pattern:
    names: list[str] = []
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[last:match.start()].replace("{{", "{").replace("}}", "}")))
        parts.append(f"(?P<g{len(names)}>.+?)")
        names.append(match.group(1))
        last = match.end()
    parts.append(re.escape(msgid[last:].replace("{{", "{").replace("}}", "}")))
    return Pattern(re.compile("".join(parts), re.S), tuple(names), msgstr)


@dataclass(frozen=True)
class Catalog:
    exact: dict[str, str]
    patterns: tuple[Pattern, ...]

    def translate(self, text: str) -> str | None:
        found = self.exact.get(text)
        if found is not None:
            return found
        for pattern in self.patterns:
            match = pattern.regex.fullmatch(text)
            if match:
                values = {name: match.group(f"g{i}") for i, name in enumerate(pattern.names)}
                return _fill(pattern.translation, values)
        return None


def _fill(translation: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), translation)


@cache
def catalog(locale: str = CHINESE) -> Catalog:
    path = LOCALES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        po = read_po(f, locale=locale)
    exact: dict[str, str] = {}
    patterns: list[Pattern] = []
    for message in po:
        if not message.id or not message.string or not isinstance(message.id, str):
            continue
        translation = str(message.string)
        if _PLACEHOLDER.search(message.id):
            patterns.append(_pattern(message.id, translation))
        exact[message.id.replace("{{", "{").replace("}}", "}")] = translation
    # Longer templates first: the most specific one wins when several match.
    patterns.sort(key=lambda p: -len(p.regex.pattern))
    return Catalog(exact, tuple(patterns))


def translate(text: str, locale: str) -> str:
    if locale != CHINESE or not text:
        return text
    return catalog(locale).translate(text) or text
