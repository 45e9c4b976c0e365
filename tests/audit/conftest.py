"""A second server process on the session database: a replica for cross-process delivery,
with a short WebSocket init timeout and fast webhook retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import LiveServer, run_server


@pytest.fixture(scope="session")
def replica(dsn: str, live_server: LiveServer,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_server(dsn, tmp_path_factory.mktemp("replica"), KEHU_WS_INIT_TIMEOUT="1",
                    KEHU_WEBHOOK_RETRY_BASE="0.05", KEHU_WEBHOOK_RETRY_MAX="0.5") as server:
        yield server
