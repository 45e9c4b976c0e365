from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.relay.nats_server import run_nats


@pytest.fixture
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_nats(tmp_path_factory.mktemp("nats")) as url:
        yield url
