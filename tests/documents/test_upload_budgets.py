"""The upload's bounds on a server of its own with small settings: the document size limit
(KEHU_MAX_DOCUMENT_BYTES, also for a body sent without Content-Length) and the per-user daily
budget of new bytes (KEHU_DOCUMENT_BYTES_PER_USER_DAY), where stored bytes cost nothing again."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from events.shared.actors import Role
from tests.documents.files import upload
from tests.live import LiveServer, run_server
from tests.meals.helpers import User


@pytest.fixture(scope="module")
def small_server(dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_server(dsn, Path(tmp_path_factory.mktemp("documents-small")),
                    KEHU_MAX_DOCUMENT_BYTES="2500",
                    KEHU_DOCUMENT_BYTES_PER_USER_DAY="3000") as server:
        yield server


def receipt(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


async def test_M12_the_size_limit_holds_with_and_without_content_length(
    small_server: LiveServer,
) -> None:
    staff = User(small_server, Role.STAFF)
    declared = await upload(small_server, staff, receipt(2501))
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["limit"] == 2500

    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to judge by
        for _ in range(10):
            yield receipt(1000)

    async with httpx.AsyncClient(timeout=30) as client:
        streamed = await client.post(small_server.url + "/documents", content=chunks(),
                                     headers={"Authorization": f"Bearer {staff.token}"})
    assert streamed.status_code == 413
    assert streamed.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    assert (await upload(small_server, staff, receipt(2500))).status_code == 201


async def test_M12_each_user_has_a_daily_budget_of_new_bytes(small_server: LiveServer) -> None:
    staff, other = User(small_server, Role.STAFF), User(small_server, Role.STAFF)
    first = receipt(2000)
    assert (await upload(small_server, staff, first)).status_code == 201
    over = await upload(small_server, staff, receipt(2000))
    assert over.status_code == 429
    assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # Bytes already stored cost nothing: the same file again is answered as before.
    assert (await upload(small_server, staff, first)).status_code == 200
    assert (await upload(small_server, other, receipt(2000))).status_code == 201
