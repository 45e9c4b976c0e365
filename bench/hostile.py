"""Hostile neighbour (issue 13) for run_all: conformance.hostile's rounds, as a benchmark result.

    python bench/hostile.py [--seconds 3] [--json PATH]

The rounds are conformance.hostile's own (`run`): a fresh database with 2,000 probe events and
a real server, a normal user (an auditor reading `events(first: 20)` every 20 ms) alone, then
beside each attack in turn, each attacker in a process of its own. CI runs the same rounds as
`python -m conformance.hostile --seconds 3`; this wrapper only turns its rows into the tables
and targets docs/benchmarks.md shows. Targets: the normal user's p99 within 3x its p99 alone,
and the server's resident memory within 2x its idle figure, beside every attack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_report
from conformance.hostile import run
from conformance.serving import kehu_server


def report(rows: list[dict[str, Any]], seconds: float, alive: bool) -> dict[str, Any]:
    attacks = rows[1:]
    p99_ok = [r for r in attacks if r["p99_ratio"] <= 3]
    memory = max(r["rss_ratio"] for r in rows)
    errors = sum(r["errors"] for r in rows)
    table = [[r["attack"], f"{r['p50']:.1f}", f"{r['p99']:.1f}", f"{r['p99_ratio']:.2f}",
              str(r["requests"]), str(r["errors"]), f"{r['rss_ratio']:.2f}",
              "yes" if r["met"] else "no"] for r in rows]
    worst = max(attacks, key=lambda r: r["p99_ratio"], default=None)
    return {
        "title": "Hostile neighbour",
        "tables": [{"header": ["attack", "p50 ms", "p99 ms", "p99 / alone", "requests",
                               "errors", "RSS / idle", "target met"], "rows": table}],
        "targets": [
            {"name": "normal user's p99 beside each attack within 3× alone",
             "value": f"{len(p99_ok)} of {len(attacks)} attacks",
             "ratio": f"worst {worst['p99_ratio']:.2f}x ({worst['attack']})" if worst else "",
             "met": len(p99_ok) == len(attacks) and len(attacks) > 0},
            {"name": "server memory within 2× idle", "value": f"{memory:.2f}x at most",
             "ratio": "peak since start / idle", "met": memory <= 2},
            {"name": "no error for the normal user, server alive",
             "value": f"{errors} errors, server {'alive' if alive else 'died'}", "ratio": "",
             "met": errors == 0 and alive},
        ],
        "notes": [f"{seconds:g} s per round; RSS / idle is the peak since the server started"
                  " over its idle figure, so it carries over from one round to the next"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with kehu_server() as (server, dsn):
        rows = asyncio.run(run(server, dsn, args.seconds))
        alive = server.process.poll() is None
    out = report(rows, args.seconds, alive)
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
