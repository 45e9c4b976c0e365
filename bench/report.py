"""docs/benchmarks.md from run_all's results: method, machine, figures, ratios, targets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROFILES = Path(__file__).resolve().parent / "profiles.md"  # hand-written, kept on regenerate

METHOD = {
    "append": "Single-event appends from 1, 8 and 32 concurrent writers, and 100-event "
              "appends, each written three ways on the same PostgreSQL in the same run, one "
              "after the other: (a) plain asyncpg `INSERT` + `COMMIT` of the same rows into a "
              "bare table (no lock, hash or check: the limit), (b) the Python `eventsourcing` "
              "library's `PostgresApplicationRecorder` (table lock per insert, synchronous, "
              "writers are threads), and Kehu's `EventStore.append` (expected-version check, "
              "hash chain, ordered positions, group commit). Every writer appends to its own "
              "50 streams in turn.",
    "replay": "A log of realistic domain events made by the aggregates' own decide functions "
              "(per customer: registration, three visits planned and logged, one meal "
              "requested, approved and held, five sales), bulk-appended. Read: the whole log "
              "through `EventStore.read_all` in pages of 1,000, beside `SELECT * FROM "
              "kehu_log.events ORDER BY position` through an asyncpg cursor (JSONB as text). "
              "Rebuild: "
              "`projections.runner.rebuild_all` of every projection in "
              "`projections.registry.ALL`, as `kehu rebuild` does (one shared log reader; each "
              "projection on its own connection); rate = log events / total time. "
              "Measured at N/4 and at N; the process's peak resident memory is reset before "
              "each phase (`/proc/self/clear_refs`), so a phase that held the log would grow "
              "with it.",
    "latency": "A real server (`server.py serve`, one uvicorn worker, projection runners on). "
               "This process appends single-event commands of the same domain mix at a steady "
               "1,000 events/s from 50 lanes for 20 s, and times each commit (when `append` "
               "returns) to (1) its arrival on an `events` GraphQL subscription over a "
               "graphql-transport-ws WebSocket and (2) every projection's checkpoint passing it "
               "(LISTEN on the runners' channel, plus a 20 ms poll).",
    "subscribers": "A real server (projection runners on). 8 writers append single events as "
                   "fast as they can for a fixed time, first with no subscriber, then with 500 "
                   "live `events(types: [\"BenchPing\"])` subscriptions over "
                   "graphql-transport-ws (woken by every write, sent only pings); a ping every "
                   "200 ms is timed from commit to arrival at every subscriber. Catch-up: a "
                   "log of the replay benchmark's events read from the start through "
                   "`eventPages(pageSize: 1000)` and through `events` (one message per event), "
                   "beside `EventStore.read_all` in the benchmark's process.",
    "api": "HTTP throughput with one uvicorn worker: the real server, 1,000 customers' history "
           "loaded, asked `customers(first: 20)` with page info, total and nested fields as a "
           "manager (JWT); beside a minimal strawberry schema on uvicorn in its own process "
           "asked `{ __typename }` (the framework's floor). Concurrent httpx clients on "
           "keep-alive connections to 127.0.0.1 share a fixed number of requests after a "
           "warm-up; the client shares the cores with the server in both cases.",
    "live": "Live dashboards (issue 20): the real server, ten distinct live queries "
            "(`expenseSummary`, `customerClassification`, `salesAggregate`) watched by no "
            "dashboard, one per query, then 200 (one graphql-transport-ws socket each, 20 "
            "managers), while whole customers arrive at 100 events/s. Database work: scans of "
            "the read views' tables (pg_stat_user_tables) and the server's live computations "
            "and checkpoint reads (/metrics); push delay: from this process seeing the query's "
            "projection include a customer (checkpoint, LISTEN and a 20 ms poll) to the first "
            "push including it, for every customer and dashboard.",
    "analytics": "Dashboard and report queries (bench/analytics.py, written with the analytics "
                 "issue): GraphQL over HTTP beside the same SQL run directly, one request at a "
                 "time. Its own output follows.",
}


def _status(met: bool | None) -> str:
    return "reported" if met is None else "met" if met else "**not met**"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(str(c) for c in r) + " |" for r in rows), ""]


def write_markdown(path: Path, mode: str, machine: dict[str, str],
                   results: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks", "",
        f"Generated by `python bench/run_all.py{' --full' if mode == 'full' else ''}` "
        f"({mode} sizes) on {now}. Do not edit by hand: rerun the command. "
        "The profile notes at the end come from `bench/profiles.md`.", "",
        "Install the peers and profilers with `pip install -e '.[bench]'`. Every script in "
        "`bench/` also runs alone and prints its table (`python bench/append.py --help`).", "",
        "## Machine", "",
        *_table(["", ""], [[k, v] for k, v in machine.items()]),
        "Load average (1 min) before -> after each benchmark: "
        + ", ".join(f"{r['name']} {r['load'][0]:.2f} -> {r['load'][1]:.2f}" for r in results)
        + ". Other work on the machine during a run lowers the figures; a load near 0 means "
          "the benchmark had the machine to itself.", "",
        "## Targets", "",
    ]
    rows = [[r["title"] if "title" in r else r["name"], t["name"], t["value"], t["ratio"],
             _status(t["met"])]
            for r in results for t in r.get("targets", [])]
    rows += [[r["name"], "(did not finish)", "; ".join(r["error"]), "", "**not met**"]
             for r in results if not r["ok"]]
    lines += _table(["benchmark", "target", "figure", "ratio", "status"], rows)
    for r in results:
        lines += [f"## {r.get('title', r['name'].title())}", "", METHOD.get(r["name"], ""), "",
                  f"`{r.get('command', '')}` — {r.get('seconds', 0):.0f} s.", ""]
        if not r["ok"]:
            lines += ["Did not finish: " + "; ".join(r["error"]), ""]
            continue
        for t in r.get("tables", []):
            lines += _table(list(t["header"]), [list(row) for row in t["rows"]])
        lines += [f"- {n}" for n in r.get("notes", [])] + ([""] if r.get("notes") else [])
        if "text" in r:
            lines += ["```", r["text"].rstrip(), "```", ""]
    if PROFILES.exists():
        lines += [PROFILES.read_text().rstrip(), ""]
    path.write_text("\n".join(lines))
