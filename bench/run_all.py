"""Every benchmark in one command; regenerates docs/benchmarks.md.

    python bench/run_all.py            # short sizes (minutes)
    python bench/run_all.py --full     # the issue's sizes: 1,000,000 events for replay/analytics
    python bench/run_all.py --only append,latency --no-write

Each benchmark runs in its own process (its memory and event loop are its own), one after the
other, on one PostgreSQL: DATABASE_URL, or an embedded server this command keeps up for the run.
Before each, it waits (bounded) for the machine to go quiet, and records the load average,
because figures taken while other work runs say little. Run by hand, never from the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import server_dsn
from bench.machine import describe
from bench.report import write_markdown

ROOT = Path(__file__).resolve().parent.parent
SIZES = {  # name -> (short args, full args)
    "append": (["--events", "2000"], ["--events", "8000"]),
    "replay": (["--events", "100000"], ["--events", "1000000"]),
    "latency": (["--seconds", "20"], ["--seconds", "20"]),
    "subscribers": (["--subscribers", "500", "--seconds", "10", "--catch-up", "50000"],
                    ["--subscribers", "500", "--seconds", "20", "--catch-up", "200000"]),
    "api": (["--requests", "3000"], ["--requests", "10000"]),
    "live": ([], ["--seconds", "20"]),
    "analytics": (["--events", "100000", "--customers", "2000", "--runs", "50"],
                  ["--events", "1000000", "--customers", "10000", "--runs", "200"]),
}
TIME_LIMIT_S = {"short": 1800, "full": 7200}


def load_average() -> float:
    return os.getloadavg()[0]


def wait_quiet(max_wait: float, below: float) -> float:
    """Wait until the 1-minute load average is under `below`, at most `max_wait` seconds."""
    deadline = time.monotonic() + max_wait
    while load_average() >= below and time.monotonic() < deadline:
        time.sleep(5)
    return load_average()


def run_one(name: str, args: list[str], env: dict[str, str], limit: float) -> dict[str, Any]:
    script = ROOT / "bench" / f"{name}.py"
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = Path(out.name)
    structured = name != "analytics"  # analytics.py prints its own table only
    command = [sys.executable, str(script), *args, *(["--json", str(out_path)]
                                                    if structured else [])]
    t0 = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=limit, check=False)
    result: dict[str, Any] = {"name": name, "command": f"python bench/{name}.py {' '.join(args)}",
                              "seconds": time.monotonic() - t0, "ok": done.returncode == 0}
    sys.stdout.write(done.stdout)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        result["error"] = done.stderr.strip().splitlines()[-1:] or ["exit " + str(done.returncode)]
    elif structured:
        result.update(json.loads(out_path.read_text()))
    else:
        result["text"] = done.stdout
    out_path.unlink(missing_ok=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--only", default=",".join(SIZES))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="seconds to wait at most for a quiet machine before each one")
    parser.add_argument("--quiet-below", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--from-json", type=Path,
                        help="rewrite the note from a run's saved results, running nothing")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        write_markdown(args.out, saved["mode"], saved["machine"], saved["results"])
        return
    mode = "full" if args.full else "short"
    names = [n for n in args.only.split(",") if n]
    env = {**os.environ, "DATABASE_URL": server_dsn()}  # one server for the whole run
    machine = asyncio.run(describe(env["DATABASE_URL"]))
    results = []
    for name in names:
        if name == "analytics" and not (ROOT / "bench" / "analytics.py").exists():
            continue
        before = wait_quiet(args.quiet_wait, args.quiet_below)
        print(f"--- {name} ({mode}; load average {before:.2f})", flush=True)
        try:
            result = run_one(name, SIZES[name][args.full], env, TIME_LIMIT_S[mode])
        except subprocess.TimeoutExpired:
            result = {"name": name, "ok": False, "error": [f"over {TIME_LIMIT_S[mode]} s"]}
        result["load"] = (before, load_average())
        results.append(result)
    saved = Path(tempfile.gettempdir()) / f"kehu-bench-{mode}.json"
    saved.write_text(json.dumps({"mode": mode, "machine": machine, "results": results},
                                ensure_ascii=False, indent=1))
    print(f"results saved in {saved} (--from-json rewrites the note from them)")
    if not args.no_write:
        write_markdown(args.out, mode, machine, results)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
