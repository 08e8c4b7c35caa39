"""A morning's briefing written from what the store read for it (`Store.mornings`), and, with no model, a
whole batch read and written at once by writer processes: the deterministic briefing is CPU (reading,
the analysis and the text, about a millisecond a user), so on a machine with several cores one worker
writes on all of them (`SLEEPCOT_WRITER_PROCESSES`). The scheduler claims; a writer reads the mornings
itself (sending them would cost as much as writing them), records the briefings it wrote, under the
scheduler's claim, and returns what it wrote and what happens instead where it wrote none.

Counters a writer process bumps are its own: what comes back from one is counted here again."""

from __future__ import annotations

import asyncio
import enum
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from bot.presenting import briefing_html
from sleepcot.analysis import judge
from sleepcot.coach.briefing import write_briefing
from sleepcot.coach.llm import LLM
from sleepcot.metrics import BRIEFINGS_WRITTEN, FALLBACKS
from sleepcot.schedule import GIVE_UP_AFTER_DUE
from sleepcot.store import Store
from sleepcot.store.batch import Morning
from sleepcot.store.outbox import NO_NIGHT, Generated, Job

log = logging.getLogger(__name__)
PARENT_CHECK_S = 1.0  # how often a writer looks whether the scheduler's process is still there


class Hold(str, enum.Enum):
    """What happens to a briefing not written now."""

    SKIP = "skip"  # never: no night came, or it is late and the user wants no late briefings
    RETRY = "retry"  # later: the night is not in yet, or writing failed
    GONE = "gone"  # nothing: the user was deleted meanwhile


class Outcome(NamedTuple):
    """What happens instead of a briefing, and why (the outbox's reason)."""

    hold: Hold
    reason: str = ""


def briefing_message(job: Job, morning: Morning, llm: LLM | None, unavailable_reason: str | None,
                     max_tokens: int) -> Generated:
    """The job's briefing (the model's, guarded, or the deterministic one) as the user will get it."""
    analysis = judge(morning.night, morning.prior, morning.profile, morning.tags)
    reply = write_briefing(analysis, llm, max_tokens=max_tokens, unavailable_reason=unavailable_reason)
    meta = reply.as_dict()
    html = briefing_html(morning.profile, job.local_date, reply.text, meta)
    return Generated(job, {"html": html, "language": morning.profile.language.value}, (reply.text, meta))


def count_written(generated: Generated) -> None:
    """Count a briefing written, in the scheduler's process (where /metrics reads the counters)."""
    BRIEFINGS_WRITTEN.labels("model" if generated.briefing[1]["by_model"] else "deterministic").inc()


def hold_back(job: Job, morning: Morning, now: datetime) -> Outcome | None:
    """Why the briefing is not written now, if it is not: retry while the night is late, skip once it is
    given up on, or when it is late and the user wants no late briefings."""
    if morning.night is None:
        return Outcome(Hold.SKIP, "no_data") if now >= job.due_at + GIVE_UP_AFTER_DUE else Outcome(Hold.RETRY, NO_NIGHT)
    if now > job.due_at and not morning.profile.late_briefing:
        return Outcome(Hold.SKIP, "late_off")
    return None


def mornings_of(store: Store, jobs: list[Job]) -> dict[int, Morning]:
    """Each briefing job's morning, by job id (a user with two mornings in the batch, one still waiting for
    its night, is read once per morning)."""
    mornings: dict[int, Morning] = {}
    left = jobs
    while left:
        first = {job.user_id: job for job in reversed(left)}  # each user's first job in this round
        read = store.mornings({user_id: job.local_date for user_id, job in first.items()})
        mornings |= {job.id: read[user_id] for user_id, job in first.items() if user_id in read}
        left = [job for job in left if first[job.user_id] is not job]
    return mornings


def write_without_model(store: Store, jobs: list[Job], now: datetime, unavailable_reason: str | None
                        ) -> list[Generated | Outcome]:
    """Read and write each briefing job's deterministic briefing, or say what happens instead: its
    `hold_back`, GONE for a user deleted meanwhile, RETRY with the error's name when writing it failed."""
    mornings = mornings_of(store, jobs)
    written: list[Generated | Outcome] = []
    for job in jobs:
        morning = mornings.get(job.id)
        if morning is None:
            written.append(Outcome(Hold.GONE))
        elif (outcome := hold_back(job, morning, now)) is not None:
            written.append(outcome)
        else:
            try:
                written.append(briefing_message(job, morning, None, unavailable_reason, 0))
            except Exception as exc:  # one user's bad data must not stop the batch: it is retried
                written.append(Outcome(Hold.RETRY, type(exc).__name__))
    return written


def write_and_record(store: Store, worker: str, jobs: list[Job], now: datetime, unavailable_reason: str | None,
                     skew: timedelta) -> list[Generated | Outcome]:
    """`write_without_model`, with the briefings written recorded in the outbox under the claims of `worker`
    (the scheduler's name), at the scheduler's time: this machine's plus `skew` (tests move its clock)."""
    written = write_without_model(store, jobs, now, unavailable_reason)
    store.outbox(worker).generated([item for item in written if isinstance(item, Generated)],
                                   datetime.now(UTC) + skew)
    return written


def _connect_writer(url: str) -> None:
    """Make a writer process's connection to the database at `url` (once)."""
    if url not in _stores:
        _stores[url] = Store(url)


def _write_in_writer(url: str, worker: str, jobs: list[Job], now: datetime, unavailable_reason: str | None,
                     skew: timedelta) -> list[Generated | Outcome]:
    """`write_and_record` in a writer process, on its own connection to the database."""
    _connect_writer(url)
    return write_and_record(_stores[url], worker, jobs, now, unavailable_reason, skew)


_stores: dict[str, Store] = {}  # a writer process's connections, by database URL


def _leave_with_parent(parent: int) -> None:
    """In a writer process: exit as soon as the scheduler's process is gone (killed, even with SIGKILL, it
    cannot close the pool, and a pool's processes otherwise wait for work forever)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="leave-with-parent", daemon=True).start()


class Writers:
    """`processes` writer processes for `store`'s database (1 or fewer: write in a thread of this process),
    writing for the scheduler named `worker`, whose clock is `clock`. They start with `start` or the first batch (spawned: a clean
    interpreter, not a copy of this threaded one) and stay until `close`, or until this process dies,
    however it dies (a killed worker leaves none behind)."""

    def __init__(self, store: Store, processes: int, worker: str, clock: Callable[[], datetime]) -> None:
        self.store, self.processes, self.worker, self.clock = store, processes, worker, clock
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the writer processes now, if they are not running, without waiting for them (a spawned
        interpreter takes a second or two to import what it needs: better while the morning is planned
        than when its first batch is written)."""
        if self.processes > 1 and self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_leave_with_parent, initargs=(os.getpid(),))
            for _ in range(self.processes):
                self._pool.submit(_connect_writer, self._url)

    @property
    def _url(self) -> str:
        return self.store.engine.url.render_as_string(hide_password=False)

    async def write(self, jobs: list[Job], now: datetime, unavailable_reason: str | None
                    ) -> list[Generated | Outcome]:
        """`write_and_record` for every job, in the order of `jobs`."""
        if not jobs:
            return []
        skew = self.clock() - datetime.now(UTC)
        if self.processes <= 1:
            return await asyncio.to_thread(write_and_record, self.store, self.worker, jobs, now, unavailable_reason,
                                           skew)
        self.start()
        url = self._url
        size = -(-len(jobs) // self.processes)
        loop = asyncio.get_running_loop()
        try:
            parts = await asyncio.gather(*(loop.run_in_executor(self._pool, _write_in_writer, url, self.worker,
                                                                jobs[i:i + size], now, unavailable_reason, skew)
                                           for i in range(0, len(jobs), size)))
        except BrokenProcessPool:  # a writer died (killed, out of memory): write here, start afresh next time
            # (what it recorded before dying stays: recording again changes only rows still pending)
            log.warning("a writer process died; this batch is written in the scheduler's own process")
            self._pool = None
            return await asyncio.to_thread(write_and_record, self.store, self.worker, jobs, now, unavailable_reason,
                                           skew)
        written = [item for part in parts for item in part]
        FALLBACKS.labels("no_model").inc(sum(isinstance(item, Generated) for item in written))  # a writer's own
        return written

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
