"""The morning on schedule: each user's sync after they usually wake, their briefing generated as soon as
the night is in, and delivered at their briefing time; a "no data yet" note when the night is late; the
weekly summary on their day. Runs inside `sleepcot run` and in each `sleepcot run --worker`.

APScheduler ticks (`tick_s`, aligned to the minute) start three loops, unless they are still running (and
planning starts them as soon as it has planned some mornings, for those due already); the loops ask the
database what is due and claim a batch of outbox rows at a time (sleepcot.store.outbox), so
one slow vendor never holds up a delivery and any number of workers share the load:

- plan: every user who should get briefings has their next morning planned (times from sleepcot.schedule);
  late briefings get their note;
- prepare: sync the user (if they have a connected source), then write the briefing (the model when there
  is one, at most `llm_concurrency` calls at once; the deterministic briefing otherwise), or retry later
  while the night is late, until it is given up; write the weekly summary and its chart;
- deliver: send what is due, paced by the budget every process shares, each message once (bot.delivery).

Exactly once: a crash before a message goes to Telegram loses nothing (the row is taken over when its
claim lapses, and re-generated or re-sent); a message recorded as sent is never sent again. The Bot API has
no idempotency key for sendMessage and no way to ask whether a message arrived, so if a process dies after
Telegram accepted a message and before the database recorded it, we cannot know; that message is sent
again, marked as a possible repeat (at least once, never lost). README, "Scheduling", says the same.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from telegram import Bot

from bot.charts import week_chart
from bot.delivery import Delivery
from bot.morning import Hold, Outcome, Writers, briefing_message, count_written, hold_back, mornings_of
from bot.presenting import Coach, day_label, sync_and_tell
from bot.render import escape
from bot.texts import say
from integrations.sync import Hub
from sleepcot.analysis.baseline import compute_baseline
from sleepcot.coach import guard
from sleepcot.coach.weekly import weekly_summary
from sleepcot.config import Settings
from sleepcot.domain import HISTORY_DAYS, Profile
from sleepcot.schedule import (
    STALE_AFTER_DUE,
    WAKE_DAYS,
    DayPlan,
    next_day_to_plan,
    plan_day,
    retry_at,
    typical_wake,
)
from sleepcot.store import Store
from sleepcot.store.batch import Morning, RecentData, read_profiles
from sleepcot.store.outbox import BRIEFING, NO_NIGHT, WEEKLY, Generated, Job

log = logging.getLogger(__name__)
PLAN_BATCH = 1000  # users planned per query
PREPARE_BATCH = 200  # rows claimed at once for the deterministic briefing
PRUNE_AFTER = timedelta(days=35)
WEEK = 7
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    """Unique per process, readable in the database: host, pid and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def _next_morning(profile: Profile, now: datetime, last_planned: date | None, wakes: list[time]) -> DayPlan:
    """The user's next morning to plan, from their settings and recent wake times."""
    return plan_day(profile, next_day_to_plan(profile, now, last_planned), typical_wake(wakes))


class Scheduler:
    """One process's scheduler. `clock` gives the time the schedule is judged by (tests move it); Telegram's
    pacing always runs on real time. `bot` sends the scheduled messages: a plain Bot, apart from the
    application's, because the pacing here is shared with the other workers through the database."""

    def __init__(self, store: Store, settings: Settings, hub: Hub, coach: Coach, bot: Bot, *,
                 clock: Clock = utc_now, worker: str | None = None) -> None:
        self.store, self.settings, self.hub, self.coach, self.bot, self.clock = store, settings, hub, coach, bot, clock
        self.outbox = store.outbox(worker or worker_name())
        self.pacer = store.pacer(settings.telegram_broadcast_rate)
        self.lease = timedelta(seconds=settings.scheduler_lease_s)
        self.delivery = Delivery(store, self.outbox, self.pacer, bot, clock, self.lease,
                                 paid_broadcast=settings.telegram_paid_broadcast)
        self.writers = Writers(store, settings.writer_processes, self.outbox.worker, clock)
        self._aps: AsyncIOScheduler | None = None
        self._loops: dict[str, asyncio.Task] = {}
        self._stopping = False
        self.last_tick: datetime | None = None  # real time of the last tick (the readiness check reads it)

    # -- running under APScheduler ----------------------------------------------------------------------

    def start(self) -> None:
        """Tick now and then every `scheduler_tick_s` on whole multiples of it past the minute (so a
        briefing due at 07:30 goes out at 07:30:00), on the running event loop."""
        tick_s = self.settings.scheduler_tick_s
        now = utc_now()
        aligned = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        self._aps = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        self._aps.add_job(self.tick, IntervalTrigger(seconds=tick_s, start_date=aligned, timezone=UTC),
                          next_run_time=now, coalesce=True, max_instances=1, misfire_grace_time=max(1, int(tick_s)),
                          id="tick")
        self._aps.add_job(self._prune, IntervalTrigger(hours=1, timezone=UTC), next_run_time=now, id="prune")
        self._aps.start()
        if self.coach.llm is None:  # they write every morning: ready before the first one, not started by it
            self.writers.start()
        log.info("scheduler %s started (tick %.0f s)", self.outbox.worker, tick_s)

    async def stop(self) -> None:
        """Stop claiming; let what is in flight finish; hand back the claims not started."""
        self._stopping = True
        if self._aps is not None:
            self._aps.shutdown(wait=False)
        loops = list(self._loops.values())
        if loops:
            await asyncio.wait(loops, timeout=self.settings.llm_timeout_s)
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await asyncio.to_thread(self.writers.close)
        released = await asyncio.to_thread(self.outbox.release)
        log.info("scheduler %s stopped (%d claim(s) handed back)", self.outbox.worker, released)

    async def tick(self) -> None:
        """Make sure the three loops run; a tick never waits for them (they may take minutes)."""
        if self._stopping:
            return
        self.last_tick = utc_now()
        self._run_loops()

    def _run_loops(self) -> None:
        """Start those of the loops that are not running; each runs until it finds nothing to do."""
        if self._stopping:
            return
        # with writer processes, as many batches are prepared at once as there are writers: one batch's
        # claiming and recording here overlaps another's writing there
        preparing = max(1, self.writers.processes) if self.coach.llm is None else 1
        for name, work in (("plan", self._plan_round), *((f"prepare-{n}", self.prepare_batch) for n in range(preparing)),
                           ("deliver", self.deliver_batch)):
            if name not in self._loops or self._loops[name].done():
                self._loops[name] = asyncio.create_task(self._loop(name, work), name=f"scheduler-{name}")

    async def _loop(self, name: str, work: Callable[[], Awaitable[int]]) -> None:
        while not self._stopping:
            try:
                if not await work():
                    return
            except Exception:
                log.exception("the %s loop failed; it runs again at the next tick", name)
                return

    async def _plan_round(self) -> int:
        loop = asyncio.get_running_loop()
        # what is planned is prepared at once, not at the next tick (a morning due now: after a restart, or
        # a user who just joined), while the rest is planned
        await asyncio.to_thread(self.plan, lambda: loop.call_soon_threadsafe(self._run_loops))
        return 0  # plan() does all there is to do in one go

    async def _prune(self) -> None:
        pruned = await asyncio.to_thread(self.outbox.prune, (self.clock() - PRUNE_AFTER).date())
        if pruned:
            log.info("pruned %d finished outbox row(s)", pruned)

    async def run_until_idle(self) -> None:
        """Plan, prepare and deliver until nothing more is due at the clock's time (tests, benchmarks)."""
        busy = True
        while busy:
            busy = bool(await asyncio.to_thread(self.plan))
            while await self.prepare_batch():
                busy = True
            while await self.deliver_batch():
                busy = True

    # -- plan -----------------------------------------------------------------------------------------

    def plan(self, planned: Callable[[], None] = lambda: None) -> int:
        """Plan the next morning of every user who needs one, and add the notes of late briefings; returns
        how many rows that added. `planned` is called each time rows have been added."""
        now = self.clock()
        today = now.date()
        added = 0
        for users in self.outbox.users_to_plan(today, PLAN_BATCH):  # each user once a round
            if not users:
                continue
            last = self.outbox.last_planned(users)
            stored = self.store.profiles_as_stored(users)
            profiles = read_profiles(stored)
            wakes = self.store.wake_times(users, today - timedelta(days=WAKE_DAYS))
            plans = {user_id: _next_morning(profile, now, last.get(user_id), wakes.get(user_id, []))
                     for user_id, profile in profiles.items()}
            rows = self.outbox.plan(plans, now)
            # a user who changed their settings after we read them and before we planned (saving cleared
            # nothing yet): their morning is planned again, from the new settings, in the next round
            changed = [user_id for user_id, data in self.store.profiles_as_stored(list(plans)).items()
                       if data != stored[user_id]]
            if changed:
                self.outbox.unplan(changed)
            if rows:
                added += rows
                planned()
        if added >= PLAN_BATCH:
            self.outbox.refresh_statistics()
        late = self.outbox.late_briefings(now, STALE_AFTER_DUE, PLAN_BATCH)
        if late:
            profiles = self.store.profiles([job.user_id for job in late])
            added += self.outbox.add_notes({job: self._note(profiles[job.user_id], job.local_date)
                                            for job in late if job.user_id in profiles}, now)
        return added

    @staticmethod
    def _note(profile: Profile, day: date) -> dict:
        key = "no_data_yet_late" if profile.late_briefing else "no_data_yet"
        return {"html": say(profile.language, key, day=day_label(day, profile.language)),
                "language": profile.language.value}

    # -- prepare --------------------------------------------------------------------------------------

    async def prepare_batch(self) -> int:
        """Claim rows whose sync or writing is due and do them; returns how many were claimed."""
        if self._stopping:
            return 0
        now = self.clock()
        size = PREPARE_BATCH if self.coach.llm is None else 2 * self.settings.llm_concurrency
        jobs = await asyncio.to_thread(self.outbox.claim_pending, now, size, self.lease)
        if not jobs:
            return 0
        await self._sync([job for job in jobs if job.kind == BRIEFING], now)
        if self.coach.llm is None:
            written = await self._prepare_without_model(jobs, now)
        else:
            data = await asyncio.to_thread(self._read, jobs)
            done = await asyncio.gather(*(self._prepare_with_model(job, data.get(job.id), now) for job in jobs))
            written = [item for item in done if item is not None]
            await asyncio.to_thread(self.outbox.generated, written, self.clock())
        for item in written:
            if item.job.kind == BRIEFING:
                count_written(item)
        return len(jobs)

    async def _prepare_without_model(self, jobs: list[Job], now: datetime) -> list[Generated]:
        """The batch's deterministic briefings, read, written and recorded by the writer processes
        (bot.morning), and what happens instead where one is not written; the weekly summaries here.
        Returns what was written."""
        briefings = [job for job in jobs if job.kind == BRIEFING]
        weeklies = [job for job in jobs if job.kind == WEEKLY]
        written = await self.writers.write(briefings, now, self.coach.reason)
        data = await asyncio.to_thread(self._read, weeklies)
        done = await asyncio.to_thread(lambda: [self._prepare(job, data.get(job.id), now) for job in weeklies])
        summaries = [item for item in done if item is not None]
        await asyncio.to_thread(self.outbox.generated, summaries, self.clock())
        await asyncio.to_thread(lambda: [self._record(job, item, now) for job, item in zip(briefings, written, strict=True)
                                         if not isinstance(item, Generated)])
        return summaries + [item for item in written if isinstance(item, Generated)]

    def _record(self, job: Job, outcome: Outcome, now: datetime) -> None:
        """What happens to a briefing not written now."""
        if outcome.hold is Hold.SKIP:
            self.outbox.skip(job, outcome.reason)
        elif outcome.hold is Hold.RETRY:
            if outcome.reason != NO_NIGHT:
                log.error("writing the briefing of user %d failed (%s)", job.user_id, outcome.reason)
            self.outbox.retry(job, retry_at(now, job.attempts), outcome.reason)

    async def _sync(self, jobs: list[Job], now: datetime) -> None:
        """Sync the users who have a connected source, several at once (their vendors' limits hold)."""
        if not jobs:
            return
        with_sources = await asyncio.to_thread(self.store.users_with_sources, [job.user_id for job in jobs])
        gate = asyncio.Semaphore(self.settings.sync_concurrency)

        async def one(user_id: int) -> None:
            async with gate:
                user = await asyncio.to_thread(self.store.for_user, user_id)
                profile = await asyncio.to_thread(user.profile)
                chat_id = await asyncio.to_thread(self.store.telegram_id, user_id)
                await sync_and_tell(user, self.hub, self.bot, chat_id, profile.language, now)

        await asyncio.gather(*(one(user_id) for user_id in with_sources), return_exceptions=True)

    def _read(self, jobs: list[Job]) -> dict[int, Morning | RecentData]:
        """What each job is written from, by job id, a few queries for the whole batch: a briefing's morning
        (the night, the nights before it, the day's tags), a weekly summary's recent weeks."""
        weeklies = {job.user_id: job.local_date for job in jobs if job.kind == WEEKLY}
        weeks = self.store.recent_data(weeklies, HISTORY_DAYS + WEEK, WEEK - 1)
        return mornings_of(self.store, [job for job in jobs if job.kind == BRIEFING]) | {
            job.id: weeks[job.user_id] for job in jobs if job.kind == WEEKLY and job.user_id in weeks}

    async def _prepare_with_model(self, job: Job, data: Morning | RecentData | None, now: datetime) -> Generated | None:
        async with self.coach.slots:
            return await asyncio.to_thread(self._prepare, job, data, now)

    def _prepare(self, job: Job, data: Morning | RecentData | None, now: datetime) -> Generated | None:
        """Write the job's message, or decide what happens instead (retry, skip); None: nothing written."""
        if data is None:  # the user is gone: the cascade removes the row
            return None
        try:
            if job.kind == WEEKLY:
                return self._weekly(job, data)
            return self._briefing(job, data, now)
        except Exception as exc:
            log.exception("writing the %s of user %d failed", job.kind, job.user_id)
            self.outbox.retry(job, retry_at(now, job.attempts), type(exc).__name__)
            return None

    def _briefing(self, job: Job, data: Morning, now: datetime) -> Generated | None:
        if (outcome := hold_back(job, data, now)) is not None:
            self._record(job, outcome, now)
            return None
        return briefing_message(job, data, self.coach.llm, self.coach.reason, self.settings.llm_max_tokens)

    def _weekly(self, job: Job, data: RecentData) -> Generated | None:
        first = job.local_date - timedelta(days=WEEK - 1)
        week = [n for n in data.nights if first <= n.local_date <= job.local_date]
        before = [n for n in data.nights if n.local_date < first]
        summary = weekly_summary(week, before, data.profile, data.tags)
        if summary is None:
            self.outbox.skip(job, "no_data")
            return None
        language = data.profile.language
        title = say(language, "weekly_title", start=day_label(first, language), end=day_label(job.local_date, language))
        photo = week_chart(week, compute_baseline(before, WEEK * 2), language=language)
        verdict = guard.check(summary.text, summary.facts, red_flag=summary.red_flag)
        if not verdict.ok:  # never expected: the summary is written from its facts; the chart still goes
            log.warning("the guard refused a weekly summary (%d problem(s)); sending the chart alone", len(verdict.problems))
        caption = f"{title}\n\n{escape(summary.text)}" if verdict.ok else title
        return Generated(job, {"caption": caption, "photo": base64.b64encode(photo).decode(), "language": language.value})

    # -- deliver --------------------------------------------------------------------------------------

    async def deliver_batch(self) -> int:
        """Claim due messages and send them (bot.delivery); returns how many were claimed."""
        return 0 if self._stopping else await self.delivery.batch()
