"""GraphiQL works in a real browser with no network but loopback: the page loads from Kehu's
own assets, a token typed into the login field is sent, and a query's result shows up."""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path

import httpx
import pytest

from events.shared.actors import Role
from tests.live import LiveServer, token
from tests.operability.browser import chromium, find_chromium

QUERY = "{ verifyAuditLog { ok checked } }"


def _browser() -> str:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is missing (.ci/run installs it with apt-get)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    return binary


def _artifact(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("KEHU_ARTIFACT_DIR") or tmp_path)
    return folder / "graphiql.png"


def test_graphiql_page_needs_nothing_but_kehu(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url + "/graphql", headers={"accept": "text/html"}).text
    assert "/graphiql/assets/graphiql.min.js" in page
    assert "https://" not in page and "http://" not in page.replace("http://127.0.0.1", "")
    asset = httpx.get(live_server.url + "/graphiql/assets/graphiql.min.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
    assert httpx.get(live_server.url + "/graphiql/assets/..%2Fviews.py").status_code == 404


def test_graphiql_runs_a_query_with_a_token_offline(live_server: LiveServer,
                                                     tmp_path: Path) -> None:
    binary = _browser()
    auditor = token("graphiql-auditor", Role.AUDITOR)
    fragment = urllib.parse.urlencode({"query": QUERY})
    with chromium(binary, tmp_path / "profile", tmp_path / "chromium.log") as page:
        page.call("Page.navigate", url=f"{live_server.url}/graphql#{fragment}")
        page.wait_for("!!document.querySelector('.graphiql-execute-button')")
        page.type_into("#kehu-token", auditor)
        page.click("#kehu-login-button")
        headers = page.wait_for(
            "Array.from(document.querySelectorAll('.graphiql-editor-tool .CodeMirror'))"
            ".map(e => e.CodeMirror.getValue()).find(v => v.includes('Authorization'))")
        assert f"Bearer {auditor}" in headers  # the header editor shows the login's token
        page.click(".graphiql-execute-button")
        result = page.wait_for(
            "(document.querySelector('.graphiql-response .CodeMirror') || {CodeMirror: null})"
            ".CodeMirror?.getValue().includes('checked') && "
            "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()")
        shot = page.screenshot(_artifact(tmp_path))
        print(f"GraphiQL screenshot: {shot}")
        requests = list(page.requests)
    body = json.loads(result)
    assert body["data"]["verifyAuditLog"]["ok"] is True, body
    off_machine = [u for u in requests
                   if not u.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "about:"))]
    assert off_machine == []
    assert any("/graphiql/assets/graphiql-plugin-explorer.umd.js" in u for u in requests)
