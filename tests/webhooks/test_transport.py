"""The pinned client against real receivers on 127.0.0.1: it connects to the address it checked
(a rebinding DNS gains nothing), keeps the name in the Host header, never reads an answer's
body, and turns every failure into a generic reason."""

from __future__ import annotations

import httpx

from events.webhooks.attempt import post
from events.webhooks.destinations import Policy, check
from events.webhooks.transport import pinned_client
from tests.live import free_port
from tests.webhooks.receivers import run_receiver

LOOPBACK = Policy.parse("127.0.0.0/8", allow_http=True)


def rebinding_dns(*answers: str) -> Policy:
    """A DNS whose answer for every name changes on each lookup, as a rebinding attacker's."""
    given: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        given.append(host)
        return [answers[min(len(given), len(answers)) - 1]]
    return Policy(allow_http=True, resolver=lookup)


async def test_the_request_goes_to_the_checked_address_with_the_name_as_host() -> None:
    async def lookup(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "hooks.example.test" else []
    policy = Policy(LOOPBACK.allowed_networks, allow_http=True, resolver=lookup)
    with run_receiver(200) as receiver:
        async with pinned_client(policy, 5) as client:
            url = f"http://hooks.example.test:{receiver.port}/in"
            outcome = await post(client, url, b"{}", {}, 5, "t")
        assert outcome.ok and outcome.status == 200
        (got,) = receiver.requests
        assert got.headers["Host"] == f"hooks.example.test:{receiver.port}"
        assert got.path == "/in"


async def test_a_name_that_rebinds_inside_after_the_check_is_refused_at_delivery() -> None:
    with run_receiver(200) as receiver:
        policy = rebinding_dns("93.184.216.34", "127.0.0.1")
        async with pinned_client(policy, 5) as client:
            url = f"http://rebind.example.test:{receiver.port}/in"
            # The registration's check saw a public address ...
            await check(url, policy)
            # ... the delivery's own lookup now says loopback: nothing is sent.
            outcome = await post(client, url, b"{}", {}, 5, "t")
        assert outcome.error is not None
        assert outcome.error.startswith("destination refused: the URL's host resolves to a"
                                        " loopback address")
        assert receiver.count() == 0


async def test_an_answer_body_is_never_read_and_never_reported() -> None:
    secret_page = b"<html>admin db_password=hunter2</html>"
    with run_receiver(500, answer_text=secret_page) as receiver:
        async with pinned_client(LOOPBACK, 5) as client:
            outcome = await post(client, receiver.url, b"{}", {}, 5, "t")
    assert outcome.status == 500 and outcome.error == "HTTP 500"


async def test_a_400_mb_answer_is_cut_after_the_status_line() -> None:
    with run_receiver(500, answer_bytes=400 * 2**20) as receiver:
        async with pinned_client(LOOPBACK, 5) as client:
            outcome = await post(client, receiver.url, b"{}", {}, 5, "t")
        assert outcome.error == "HTTP 500"
    # Only what the sockets' buffers held before the hang-up ever left the receiver.
    assert receiver.bytes_sent < 32 * 2**20


async def test_failures_are_generic_reasons() -> None:
    with run_receiver(200, delay_s=2) as slow:
        async with pinned_client(LOOPBACK, 5) as client:
            assert (await post(client, slow.url, b"", {}, 0.3, "t")).error == "timed out"
            closed = f"http://127.0.0.1:{free_port()}/"  # nobody listens there
            refused = await post(client, closed, b"", {}, 5, "t")
            assert refused.error in ("could not connect", "timed out")
            bad = await post(client, "http://127.0.0.1:1/\r\nX: y", b"", {}, 5, "t")
            assert bad.error == "invalid URL"
    async with pinned_client(Policy(allow_http=True), 5) as client:
        inside = await post(client, "http://127.0.0.1:5432/", b"", {}, 5, "t")
        assert inside.error == ("destination refused: the URL's host resolves to a loopback"
                                " address; add its network to KEHU_WEBHOOK_ALLOWED_NETWORKS"
                                " to allow it")


async def test_redirects_are_not_followed() -> None:
    with run_receiver(302) as receiver:
        async with pinned_client(LOOPBACK, 5) as client:
            outcome = await post(client, receiver.url, b"", {}, 5, "t")
    assert outcome.error == "HTTP 302"
    assert isinstance(client, httpx.AsyncClient)
