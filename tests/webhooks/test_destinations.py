"""Every SSRF form the issue found, refused by the URL and address rules (no network: names are
answered by a fake DNS, addresses are literals)."""

from __future__ import annotations

import ipaddress

import pytest

from events.webhooks.destinations import (
    Policy,
    Unresolved,
    UnsafeDestination,
    check,
    embedded_ipv4,
    parse,
    refusal,
)

OPEN = Policy(allow_http=True)


def fake_dns(table: dict[str, list[str]]) -> Policy:
    async def lookup(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such name")
        return table[host]
    return Policy(allow_http=True, resolver=lookup)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5432/", "http://0.0.0.0/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::]/",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/",
    "http://172.16.0.1/", "http://100.64.0.1/", "http://100.100.100.200/",
    "http://224.0.0.1/", "http://[ff02::1]/", "http://[fe80::1]/", "http://[fc00::1]/",
    "http://[fd00:ec2::254]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/",
    "http://[::127.0.0.1]/", "http://240.0.0.1/", "http://255.255.255.255/",
])
async def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDestination, match="resolves to a"):
        await check(url, OPEN)


@pytest.mark.parametrize("url", [
    "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/", "http://0177.0.0.1/",
    "http://127.000.000.001/", "http://127.0.1/", "http://127.1/",
    "http://0/",
])
async def test_numeric_host_forms_are_refused_before_any_lookup(url: str) -> None:
    with pytest.raises(UnsafeDestination, match=r"a\.b\.c\.d"):
        parse(url, OPEN)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://user:pw@example.com/", "credentials"),
    ("http://user@example.com/", "credentials"),
    ("http://example.com@127.0.0.1/", "credentials"),
    ("http://example.com/a\r\nX-Injected: 1", "control characters"),
    ("http://example.com/\x00", "control characters"),
    ("http://exa mple.com/", "spaces"),
    ("http:\\\\127.0.0.1\\", "'\\\\'"),
    ("http://example.com:99999/", "port"),
    ("http://example.com:0/", "port"),
    ("http://example.com:-1/", "port"),
    ("http://[fe80::1%25eth0]/", "zone"),
    ("http://[fe80::1%eth0]/", "zone|malformed"),
    ("ftp://example.com/", "https"),
    ("file:///etc/passwd", "https"),
    ("gopher://127.0.0.1:6379/_", "https"),
    ("http:///path", "host"),
    ("http://localhost:8000/graphql", "local or metadata"),
    ("http://LOCALHOST./", "local or metadata"),
    ("http://api.localhost/", "local or metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "local or metadata"),
    ("http://metadata/", "local or metadata"),
    ("http://example.com/#frag", "fragment"),
    ("http://example.com/é", "non-ASCII"),
    ("http://[::1/", "malformed"),
    ("", "1 to"),
    ("https://example.com/" + "a" * 2000, "1 to"),
])
def test_malformed_or_dangerous_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeDestination, match=reason):
        parse(url, OPEN)


def test_plain_http_needs_the_setting() -> None:
    with pytest.raises(UnsafeDestination, match="must be https"):
        parse("http://example.com/hook", Policy())
    assert parse("https://example.com/hook", Policy()).port == 443
    assert parse("http://example.com/hook", OPEN).port == 80


async def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    policy = fake_dns({"hooks.example.com": ["93.184.216.34"],
                       "mixed.example.com": ["93.184.216.34", "10.1.2.3"],
                       "rebind.example.com": ["127.0.0.1"],
                       "v6.example.com": ["2606:4700::1111", "::ffff:169.254.169.254"]})
    _, addresses = await check("http://hooks.example.com/x", policy)
    assert addresses == [ipaddress.ip_address("93.184.216.34")]
    for name in ("mixed", "rebind", "v6"):
        with pytest.raises(UnsafeDestination, match="resolves to"):
            await check(f"http://{name}.example.com/x", policy)
    with pytest.raises(Unresolved, match="did not resolve"):
        await check("http://nowhere.example.com/x", policy)


async def test_public_addresses_pass_and_the_allow_list_is_the_only_way_in() -> None:
    assert refusal(ipaddress.ip_address("93.184.216.34"), OPEN) is None
    assert refusal(ipaddress.ip_address("2606:4700::1111"), OPEN) is None
    local = Policy.parse("127.0.0.0/8, fd12::/16", allow_http=True)
    _, addresses = await check("http://127.0.0.1:8080/hook", local)
    assert addresses == [ipaddress.ip_address("127.0.0.1")]
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), local) is None
    assert refusal(ipaddress.ip_address("fd12::5"), local) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), local) == "a private address"
    assert refusal(ipaddress.ip_address("169.254.169.254"), local) == "a cloud metadata address"
    assert Policy.parse("", allow_http=False).allowed_networks == ()


def test_ipv4_hidden_in_ipv6_is_found() -> None:
    def inner(text: str) -> str:
        return str(embedded_ipv4(ipaddress.ip_address(text)))
    assert inner("::ffff:10.0.0.1") == "10.0.0.1"
    assert inner("2002:a9fe:a9fe::1") == "169.254.169.254"
    assert inner("64:ff9b::7f00:1") == "127.0.0.1"
    assert embedded_ipv4(ipaddress.ip_address("2606:4700::1111")) is None


def test_refusals_never_echo_what_the_network_said() -> None:
    with pytest.raises(UnsafeDestination) as caught:
        parse("http://user:secret-password@example.com/", OPEN)
    assert "secret-password" not in str(caught.value)
