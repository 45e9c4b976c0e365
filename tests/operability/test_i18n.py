"""English and Simplified Chinese: every message a user can read (refusals, problems,
findings, schema descriptions) has a zh-CN catalog entry; the request's Accept-Language
chooses, KEHU_LOCALE sets the default."""

from __future__ import annotations

import re

import pytest

from events.shared.actors import Role
from schema.i18n import catalog as catalogs
from schema.i18n.catalog import CHINESE, ENGLISH, catalog, translate
from schema.i18n.inventory import schema_descriptions, source_messages
from schema.i18n.locale import negotiate
from tests.live import LiveServer, gql, token

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]*)\}")
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_source_message_has_both_languages() -> None:
    zh = catalog(CHINESE)
    missing = [f"{where}: {text}" for text, where in source_messages()
               if zh.translate(text) is None]
    assert missing == [], "add these to schema/i18n/locales/zh_CN/LC_MESSAGES/kehu.po"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_schema_description_has_both_languages() -> None:
    zh = catalog(CHINESE)
    assert [text for text in schema_descriptions() if zh.translate(text) is None] == []


def test_catalog_entries_keep_their_placeholders() -> None:
    zh = catalog(CHINESE)
    for pattern in zh.patterns:
        assert set(PLACEHOLDER.findall(pattern.translation)) == set(pattern.names), pattern


def test_templated_messages_carry_their_values_into_chinese() -> None:
    text = "alcohol, drinks and fruit are 40% of the bill, more than 1/3"
    assert translate(text, CHINESE) == "酒水、饮料和水果占账单的 40%，超过了 1/3"
    assert translate(text, ENGLISH) == text
    assert translate("no customer c-42", CHINESE) == "没有客户 c-42"
    assert translate("a message nobody wrote", CHINESE) == "a message nobody wrote"


def test_accept_language_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    assert negotiate("zh-CN,zh;q=0.9,en;q=0.8") == CHINESE
    assert negotiate("en-US,en;q=0.9,zh-CN;q=0.5") == ENGLISH
    assert negotiate("fr-FR, zh-Hans;q=0.4") == CHINESE
    monkeypatch.setenv("KEHU_LOCALE", "zh-CN")
    assert negotiate(None) == CHINESE and negotiate("de") == CHINESE
    monkeypatch.setenv("KEHU_LOCALE", "en")
    assert negotiate(None) == ENGLISH
    assert catalogs.LOCALES.is_dir()


async def test_errors_and_descriptions_in_chinese_over_http(live_server: LiveServer) -> None:
    import httpx

    async def ask(query: str, language: str, auth: str | None = None) -> dict[str, object]:
        headers = {"Accept-Language": language}
        if auth:
            headers["Authorization"] = f"Bearer {auth}"
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(live_server.url + "/graphql", json={"query": query},
                                         headers=headers)
        body: dict[str, object] = response.json()
        return body

    unauthenticated = await ask("{ events(first: 1) { position } }", "zh-CN")
    assert unauthenticated["errors"][0]["message"] == "缺少 Authorization: Bearer <令牌>"  # type: ignore[index]
    auditor = token("i18n-aud", Role.AUDITOR)
    too_many = await ask("{ events(first: 100000) { position } }", "zh-CN,en;q=0.5", auditor)
    assert HAN.search(too_many["errors"][0]["message"]), too_many  # type: ignore[index]
    english = await ask("{ events(first: 100000) { position } }", "en", auditor)
    assert not HAN.search(english["errors"][0]["message"]), english  # type: ignore[index]
    described = await ask('{ __type(name: "Query") { description fields { description } } }',
                          "zh-CN", auditor)
    query_type = described["data"]["__type"]  # type: ignore[index]
    assert query_type["description"] == "Kehu 提供的一切：视图、报表和审计日志。"
    assert all(HAN.search(f["description"]) for f in query_type["fields"])
    assert (await gql(live_server, '{ __type(name: "Query") { description } }', auth=auditor))[
        "data"]["__type"]["description"].startswith("Everything Kehu answers")
