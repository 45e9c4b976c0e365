"""What a benchmark ran on, and the process's peak memory per phase."""

from __future__ import annotations

import contextlib
import os
import platform
import re
from pathlib import Path

import asyncpg


def _status(field: str) -> int:
    """A kB figure from /proc/self/status (Linux)."""
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def reset_peak() -> None:
    """Start a new high-water mark for this process's resident memory (Linux >= 4.0).

    ru_maxrss never goes down, so it cannot show whether one phase used more than another;
    writing 5 to clear_refs resets VmHWM to the current RSS."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    return _status("VmHWM") / 1024


def rss_mib() -> float:
    return _status("VmRSS") / 1024


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


async def describe(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        version = await conn.fetchval("SHOW server_version")
        sync = await conn.fetchval("SHOW synchronous_commit")
        fsync = await conn.fetchval("SHOW fsync")
        buffers = await conn.fetchval("SHOW shared_buffers")
    finally:
        await conn.close()
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": cpu_model(),
        "memory": f"{memory_gib():.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": str(version),
        "postgresql settings": f"fsync={fsync}, synchronous_commit={sync},"
                               f" shared_buffers={buffers}",
    }
