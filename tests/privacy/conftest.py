"""A server of its own on the session database, with fast webhook retries (a held-back
delivery is retried soon after the receiver opens)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import LiveServer, run_server


@pytest.fixture(scope="package")  # gone before other packages: it would share their leader locks
def privacy_server(dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_server(dsn, tmp_path_factory.mktemp("privacy"), KEHU_WEBHOOK_RETRY_BASE="0.05",
                    KEHU_WEBHOOK_RETRY_MAX="0.3") as server:
        yield server
