"""The writer processes a scheduler writes deterministic briefings in leave with it: a scheduler killed with
SIGKILL (it cannot close its pool) leaves no writer behind, waiting for work forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SCHEDULER = """
import asyncio, sys, time
from datetime import UTC, datetime
from bot.morning import Writers
from sleepcot.store import Store
from sleepcot.store.outbox import Job

async def main():
    store = Store(sys.argv[1])
    store.migrate()
    writers = Writers(store, 2, "test", lambda: datetime.now(UTC))
    now = datetime.now(UTC)
    await writers.write([Job(n, n, now.date(), "briefing", now, 0, None, False, 0) for n in (1, 2)], now, "test")
    print(*writers._pool._processes, flush=True)
    time.sleep(120)

if __name__ == "__main__":
    asyncio.run(main())
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state != "Z"


def test_a_killed_scheduler_leaves_no_writer_process_behind(tmp_path) -> None:
    script = tmp_path / "scheduler.py"
    script.write_text(SCHEDULER)
    process = subprocess.Popen([sys.executable, str(script), f"sqlite:///{tmp_path / 'db.sqlite'}"],
                               stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        writers = [int(pid) for pid in process.stdout.readline().split()]
        assert writers and all(alive(pid) for pid in writers)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in writers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in writers)
