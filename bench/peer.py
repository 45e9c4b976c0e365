"""Peer (b) of the append benchmark: the Python `eventsourcing` library's PostgreSQL recorder.

    pip install -e '.[bench]'     # eventsourcing[postgres], psycopg 3

Its PostgresApplicationRecorder is what an `eventsourcing` Application uses on PostgreSQL: each
insert takes `LOCK TABLE ... IN EXCLUSIVE MODE`, checks versions by its primary key and commits.
It is synchronous, so its writers are threads with one pooled connection each. Each append
serialises its payloads to JSON, as its mapper would, so it does the same encoding work as
Kehu's writers; it does no hash chain and keeps no idempotency record.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOPIC = "bench.append:BenchEventRecorded"


def _datastore(dsn: str, writers: int) -> Any:
    from eventsourcing.postgres import PostgresDatastore

    parts = urlsplit(dsn)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    return PostgresDatastore(
        dbname=parts.path.lstrip("/"), host=host, port=parts.port or 5432,
        user=unquote(parts.username or ""), password=unquote(parts.password or ""),
        pool_size=writers, max_overflow=0, max_waiting=writers,
    )


def run(dsn: str, writers: int, appends_per_writer: int, batch: int) -> float:
    """Seconds for `writers` threads to each make `appends_per_writer` appends of `batch`."""
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder

    datastore = _datastore(dsn, writers)
    table = f"es_bench_{uuid.uuid4().hex[:8]}"
    recorder = PostgresApplicationRecorder(datastore, events_table_name=table)
    recorder.create_table()

    def writer(w: int) -> None:
        streams = [uuid.uuid4() for _ in range(50)]
        versions = dict.fromkeys(streams, 0)
        for i in range(appends_per_writer):
            sid = streams[i % 50]
            v = versions[sid]
            events = [StoredEvent(sid, v + k + 1, TOPIC, json.dumps(
                {"n": i * batch + k, "customer": "客户-" + str(i % 97), "amount_fen": 12345},
                ensure_ascii=False).encode()) for k in range(batch)]
            recorder.insert_events(events)
            versions[sid] = v + batch

    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            for done in [pool.submit(writer, w) for w in range(writers)]:
                done.result()
        return time.perf_counter() - start
    finally:
        datastore.close()
