"""Runs the Node conformance scripts (conformance/*.mjs) against a Kehu of their own.

    python -m conformance.harness      # after `npm ci` in conformance/ (conformance/run does both)
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from conformance.serving import kehu_server
from events.shared.actors import Role
from tests.live import token

HERE = Path(__file__).resolve().parent
SCRIPTS = ("audit.mjs", "ws_client.mjs")


def main() -> int:
    failed: list[str] = []
    with kehu_server() as (server, dsn):
        env = {
            **os.environ,
            "KEHU_URL": server.url + "/graphql",
            "KEHU_WS_URL": server.ws_url,
            "KEHU_TOKEN": token("conformance", Role.INTEGRATION),
            "KEHU_APPEND_CMD": shlex.join([sys.executable, "-m", "conformance.probe",
                                           "--dsn", dsn, "--count", "3"]),
        }
        for script in SCRIPTS:
            print(f"--- node {script}", flush=True)
            done = subprocess.run(["node", str(HERE / script)], cwd=HERE.parent, env=env,
                                  timeout=120, check=False)
            if done.returncode != 0:
                failed.append(script)
    if failed:
        print(f"conformance: FAILED {', '.join(failed)}", file=sys.stderr)
        return 1
    print("conformance: all Node checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
