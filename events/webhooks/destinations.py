"""Where a webhook may point: strict URL checks and the address rules against SSRF.

A webhook makes Kehu's server send requests to a URL a caller chose. Left open, that lets an
integration read services only the server can reach (its database port, the cloud metadata
service, an admin page on localhost) and map open ports. So a destination is refused unless
every address its host resolves to is public; internal receivers are reached only through
networks named in KEHU_WEBHOOK_ALLOWED_NETWORKS. The check runs at registration and again before
every delivery, and the delivery connects to the very address checked (events/webhooks/
transport.py), so a DNS answer that changes between check and connect gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses as text; the system resolver unless a test gives its own DNS.
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL = 2000
RESOLVE_TIMEOUT_S = 5.0
# Names that mean "this machine" or a cloud metadata service wherever they resolve (and on
# machines where they do not resolve here but would on the receiver's side of a proxy).
_BLOCKED_NAMES = ("localhost", "metadata.google.internal", "metadata.goog", "metadata",
                  "instance-data", "instance-data.ec2.internal")
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")
# Cloud metadata addresses that are not link-local (Alibaba 100.100.100.200 is shared space,
# already refused; these are listed so the reason names them).
_METADATA = {ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")}
# A host made only of digits, dots and hex: an IPv4 address in some form. Only the dotted quad
# is accepted; 2130706433, 0x7f.1 and 0177.0.0.1 mean 127.0.0.1 to some parsers and not others.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]*))*\.?$", re.I)
_DOTTED_QUAD = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
                          r"(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")


class UnsafeDestination(ValueError):
    """A URL Kehu will not send to. The message is safe to show the caller: it names the rule,
    never anything learnt from the network beyond the category of the address."""


class Unresolved(UnsafeDestination):
    """The host has no address now. Registration lets it pass (the receiver's name may not be
    published yet); a delivery cannot go anywhere and is retried."""


@dataclass(frozen=True)
class Destination:
    url: str            # as given, checked
    scheme: str         # "https" or "http"
    host: str           # lower-case ASCII (IDNA) name, or the IP address without brackets
    port: int


@dataclass(frozen=True)
class Policy:
    allowed_networks: tuple[Network, ...] = ()
    allow_http: bool = False
    resolver: Resolver | None = None

    @classmethod
    def parse(cls, networks: str, allow_http: bool) -> Policy:
        """KEHU_WEBHOOK_ALLOWED_NETWORKS: CIDRs separated by commas or spaces."""
        items = [n for n in re.split(r"[,\s]+", networks.strip()) if n]
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in items), allow_http)


def parse(url: str, policy: Policy) -> Destination:
    """Every check that needs no network: shape, scheme, credentials, port, host form."""
    if not url or len(url) > MAX_URL:
        raise UnsafeDestination(f"the URL must be 1 to {MAX_URL} characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise UnsafeDestination("the URL must not contain spaces, control characters or '\\'")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeDestination("the URL's port or host is malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeDestination("the URL must be https://")
    if scheme == "http" and not policy.allow_http:
        raise UnsafeDestination("the URL must be https:// (plain http is not allowed here)")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeDestination("the URL must not carry credentials")
    if parts.fragment or url.endswith("#"):
        raise UnsafeDestination("the URL must not have a #fragment")
    if port == 0:
        raise UnsafeDestination("the URL's port must be 1 to 65535")
    if not all(0x21 <= ord(c) < 0x7F for c in url[len(parts.scheme) + 3 + len(parts.netloc):]):
        raise UnsafeDestination("percent-encode non-ASCII characters in the URL's path")
    return Destination(url, scheme, _host(parts.hostname or "", parts.netloc),
                       port or (443 if scheme == "https" else 80))


def _host(hostname: str, netloc: str) -> str:
    if not hostname:
        raise UnsafeDestination("the URL must name a host")
    if "%" in hostname:
        raise UnsafeDestination("the URL's host must not carry an IPv6 zone (%)")
    if netloc.startswith("["):
        try:
            return str(ipaddress.IPv6Address(hostname))
        except ValueError:
            raise UnsafeDestination("the URL's IPv6 address is malformed") from None
    if _NUMERIC_HOST.match(hostname):
        if not _DOTTED_QUAD.match(hostname.rstrip(".")):
            raise UnsafeDestination("write an IPv4 host as four decimal numbers (a.b.c.d)")
        return hostname.rstrip(".")
    try:
        name = hostname.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeDestination("the URL's host is not a valid name") from None
    if name in _BLOCKED_NAMES or name.endswith(_BLOCKED_SUFFIXES):
        raise UnsafeDestination("the URL names a local or metadata host")
    return name


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64, compatible)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    value = int(ip)
    if value >> 32 in (0x0064FF9B << 64, 0):  # 64:ff9b::/96 NAT64, ::/96 IPv4-compatible
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress, policy: Policy) -> str | None:
    """Why Kehu will not connect to this address, or None when it may."""
    if any(ip in net for net in policy.allowed_networks):
        return None
    inner = embedded_ipv4(ip)
    if inner is not None:
        return refusal(inner, policy)
    if ip in _METADATA:
        return "a cloud metadata address"
    for test, name in ((ip.is_unspecified, "an unspecified address"),
                       (ip.is_loopback, "a loopback address"),
                       (ip.is_link_local, "a link-local address"),
                       (ip.is_multicast, "a multicast address"),
                       (ip.is_private, "a private address"),
                       (ip.is_reserved, "a reserved address"),
                       (not ip.is_global, "a non-public address")):
        if test:
            return name
    return None


def check_addresses(addresses: Iterable[IPAddress], policy: Policy) -> list[IPAddress]:
    """All of them must be allowed: a name that also points inside is refused as a whole."""
    found = list(dict.fromkeys(addresses))
    if not found:
        raise Unresolved("the URL's host did not resolve")
    for ip in found:
        reason = refusal(ip, policy)
        if reason is not None:
            raise UnsafeDestination(f"the URL's host resolves to {reason}; add its network to"
                                    " KEHU_WEBHOOK_ALLOWED_NETWORKS to allow it")
    return found


async def resolve(destination: Destination, policy: Policy) -> list[IPAddress]:
    """The host's addresses, each allowed by the policy, in the resolver's order."""
    try:
        literal = ipaddress.ip_address(destination.host)
    except ValueError:
        literal = None
    if literal is not None:
        return check_addresses([literal], policy)
    lookup = policy.resolver or _system_resolver
    try:
        found = await asyncio.wait_for(lookup(destination.host, destination.port),
                                       RESOLVE_TIMEOUT_S)
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
    except (OSError, TimeoutError, UnicodeError, ValueError):
        raise Unresolved("the URL's host did not resolve") from None
    return check_addresses(addresses, policy)


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check(url: str, policy: Policy) -> tuple[Destination, list[IPAddress]]:
    destination = parse(url, policy)
    return destination, await resolve(destination, policy)
