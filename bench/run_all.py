"""Every benchmark in one command; regenerates docs/benchmarks.md.

    python bench/run_all.py            # short sizes: about 6 minutes of benchmarks on 2 cores
    python bench/run_all.py --full     # the issues' sizes (1,000,000 events for replay, audit
                                       # and analytics): about 25 minutes, estimated
    python bench/run_all.py --only append,latency --no-write
    python bench/run_all.py --from-json /tmp/kehu-bench-short.json   # rewrite, run nothing

Each benchmark runs in its own process (its memory and event loop are its own), one after the
other, on one PostgreSQL: DATABASE_URL, or an embedded server this command keeps up for the run.
Before each, it waits (bounded) for the machine to go quiet, and records the load average,
because figures taken while other work runs say little. A benchmark that fails or overruns its
time limit is recorded as "did not finish: why" and the run goes on; one that cannot run here
(no nats-server) says "not run: why". Run by hand, never from the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import server_dsn
from bench.machine import describe
from bench.report import write_markdown

ROOT = Path(__file__).resolve().parent.parent
SIZES = {  # name -> (short args, full args), in the order they run and appear
    "append": (["--events", "2000"], ["--events", "8000"]),
    "replay": (["--events", "100000"], ["--events", "1000000"]),
    "latency": (["--seconds", "20", "--both"], ["--seconds", "20", "--both"]),
    "subscribers": (["--subscribers", "500", "--seconds", "10", "--catch-up", "50000"],
                    ["--subscribers", "500", "--seconds", "20", "--catch-up", "200000"]),
    "api": (["--requests", "3000"], ["--requests", "10000"]),
    "live": ([], ["--seconds", "20"]),
    "analytics": (["--events", "100000", "--customers", "2000", "--runs", "50"],
                  ["--events", "1000000", "--customers", "10000", "--runs", "200"]),
    "relay": (["--events", "5000"], ["--events", "20000"]),
    "relay_latency": (["--rate", "1000", "--seconds", "10"],
                      ["--rate", "1000", "--seconds", "20"]),
    "audit": (["--events", "100000", "--chain-events", "5000"],
              ["--events", "1000000", "--chain-events", "20000"]),
    "privacy": (["--events", "3000", "--rounds", "2"], ["--events", "3000", "--rounds", "3"]),
    "documents": (["--documents", "100"], ["--documents", "200"]),
    "reminders": (["--meals", "500"], ["--meals", "2000"]),
    "hostile": (["--seconds", "3"], ["--seconds", "8"]),
}
# Per benchmark: far above a normal run, so only a hung one is stopped.
TIME_LIMIT_S = {"short": 600, "full": 1800}


def load_average() -> float:
    return os.getloadavg()[0]


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot (Linux /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(sample_s: float = 2.0) -> float:
    """Share of all CPUs busy over the next `sample_s` seconds, 0..1."""
    try:
        busy0, total0 = _cpu_times()
        time.sleep(sample_s)
        busy1, total1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return 0.0
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_quiet(max_wait: float, below: float) -> float:
    """Wait until the CPUs are busy less than `below` (share of all), at most `max_wait`
    seconds; returns the last share seen. Measured directly rather than by the 1-minute load
    average, which still carries the previous benchmark for a minute after it ends: waiting
    on it would add about a minute per benchmark on a machine that is already quiet."""
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy >= below and time.monotonic() < deadline:
        busy = cpu_busy(5)
    return busy


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def run_one(name: str, args: list[str], env: dict[str, str], limit: float) -> dict[str, Any]:
    script = ROOT / "bench" / f"{name}.py"
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = Path(out.name)
    structured = name != "analytics"  # analytics.py prints its own table only
    command = [sys.executable, str(script), *args, *(["--json", str(out_path)]
                                                    if structured else [])]
    result: dict[str, Any] = {"name": name, "command": f"python bench/{name}.py {' '.join(args)}"
                              .strip(), "ok": False}
    t0 = time.monotonic()
    # A session of its own: on a timeout the whole group goes (servers, nats-server the
    # benchmark started), not only the script, so the next benchmark runs on a quiet machine.
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        result["error"] = f"stopped after the {limit:.0f} s limit"
    result["seconds"] = time.monotonic() - t0
    sys.stdout.write(stdout)
    try:
        if "error" in result:
            pass
        elif process.returncode != 0:
            sys.stderr.write(stderr[-4000:])
            result["error"] = _last_line(stderr) or f"exit status {process.returncode}"
        elif structured:
            result.update(json.loads(out_path.read_text()))
            result["ok"] = True
        else:
            result.update(text=stdout, ok=True)
    except (OSError, ValueError) as exc:  # exited 0 without a readable result
        result["error"] = f"no result: {exc}"
    finally:
        out_path.unlink(missing_ok=True)
    return result


def saved_run(path: Path) -> dict[str, Any]:
    """A saved run; results without their own finishing time carry the file's."""
    run: dict[str, Any] = json.loads(path.read_text())
    saved = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    for r in run["results"]:
        r.setdefault("saved", saved)
    return run


def merge(runs: list[dict[str, Any]]) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    """Saved runs as one: per benchmark the last run's result, in run_all's order. The mode
    and machine are the last run's; the document names a mixed mode as such."""
    by_name: dict[str, dict[str, Any]] = {}
    for run in runs:
        for r in run["results"]:
            by_name[r["name"]] = {**r, "mode": run["mode"]}
    modes = {r["mode"] for r in by_name.values()}
    order = [n for n in SIZES if n in by_name] + [n for n in by_name if n not in SIZES]
    mode = modes.pop() if len(modes) == 1 else "mixed"
    return mode, runs[-1]["machine"], [by_name[n] for n in order]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--only", default=",".join(SIZES),
                        help="comma-separated, of: " + ", ".join(SIZES))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="seconds to wait at most for a quiet machine before each one")
    parser.add_argument("--quiet-below", type=float, default=0.25,
                        help="quiet: the CPUs busy less than this share of their time")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--from-json", type=Path, nargs="+",
                        help="rewrite the note from saved results, running nothing; of several"
                             " files (e.g. two --only runs), a later one's benchmark wins")
    parser.add_argument("--save", type=Path, help="where to save the results (default: "
                        f"{tempfile.gettempdir()}/kehu-bench-MODE.json)")
    args = parser.parse_args()
    if args.from_json:
        mode, machine, results = merge([saved_run(p) for p in args.from_json])
        write_markdown(args.out, mode, machine, results, runs=len(args.from_json))
        print(f"wrote {args.out}")
        return
    mode = "full" if args.full else "short"
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SIZES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(SIZES)}")
    env = {**os.environ, "DATABASE_URL": server_dsn()}  # one server for the whole run
    machine = asyncio.run(describe(env["DATABASE_URL"]))
    results = []
    for name in names:
        if name == "analytics" and not (ROOT / "bench" / "analytics.py").exists():
            continue
        busy = wait_quiet(args.quiet_wait, args.quiet_below)
        before = load_average()
        print(f"--- {name} ({mode}; CPUs {busy:.0%} busy, load average {before:.2f})",
              flush=True)
        result = run_one(name, SIZES[name][args.full], env, TIME_LIMIT_S[mode])
        result["load"] = (before, load_average())
        result["busy before"] = busy
        result["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        state = ("not run: " + result["skipped"] if "skipped" in result else
                 "done" if result["ok"] else "did not finish: " + result["error"])
        print(f"--- {name}: {state} ({result['seconds']:.0f} s)", flush=True)
        results.append(result)
    saved = args.save or Path(tempfile.gettempdir()) / f"kehu-bench-{mode}.json"
    saved.write_text(json.dumps({"mode": mode, "machine": machine, "results": results},
                                ensure_ascii=False, indent=1))
    print(f"results saved in {saved} (--from-json rewrites the note from them)")
    if not args.no_write:
        write_markdown(args.out, mode, machine, results)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
