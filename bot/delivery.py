"""Delivering what the outbox holds due (bot.scheduler plans and writes it): each user's messages in order,
paced by the send budget every process shares (a 429 holds it for everyone), each message once. A message
Telegram certainly did not get is retried; one that may have arrived is sent again, marked as a possible
repeat; one Telegram refuses (blocked, bad request) is dropped with its reason; a stale one expires.

A long message goes in parts, each recorded once Telegram took it, so a retry sends only the rest. A send
kept waiting (a 429's wait) renews its claim before going on, and stops if another worker took the row
over meanwhile. A delivery whose recording fails for a moment (the database busy) is recorded again, not
sent again."""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import warnings
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy.exc import DBAPIError
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.pacing import Pacing
from bot.render import MAX_CAPTION, split_html
from bot.texts import say
from sleepcot.config import FREE_BROADCAST_MAX_RATE, PAID_BROADCAST_MAX_RATE
from sleepcot.domain import Language
from sleepcot.metrics import MESSAGES_SENT
from sleepcot.schedule import STALE_AFTER_DUE
from sleepcot.store import Store
from sleepcot.store.outbox import Job, Outbox, Pacer

log = logging.getLogger(__name__)
DELIVER_BATCH = 100  # rows claimed at once for delivery (at least; more at paid rates, see `Delivery`)
SEND_CONCURRENCY = 16  # users whose messages are in flight at once (at least: Telegram's round trip hides behind it)
ROUND_TRIP_S = 0.25  # a send's round trip, allowed for: at R a second, R x this many sends are in flight
RETRY_SEND_AFTER = timedelta(seconds=30)  # a send that failed on the network is tried again this much later
RECORD_ATTEMPTS = 6  # a delivery is recorded again this many times (0.2 s, doubling) before giving up
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class _NotSent(Exception):
    """Telegram certainly did not get the message (the connection failed before it was sent)."""


class _InDoubt(Exception):
    """The request may have reached Telegram (a timeout or a broken connection after sending)."""


class _ClaimLost(Exception):
    """Another worker took the row over while this one waited: it sends the rest, not this one."""


def _retry_after_s(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Together:
    """Calls of `write` (a store method that takes a list and returns one result per item) from many sends
    at once, made together: the first call writes at once, in a thread; the calls that come while it
    writes wait for the next write, which takes all of them (one transaction instead of one each)."""

    def __init__(self, write: Callable[[list], list]) -> None:
        self.write = write
        self._waiting: list[tuple[object, asyncio.Future]] = []
        self._writing: asyncio.Task | None = None

    async def __call__(self, item: object) -> object:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_waiting())
        return await future

    async def _write_waiting(self) -> None:
        while self._waiting:
            calls, self._waiting = self._waiting, []
            try:
                results = await asyncio.to_thread(self.write, [item for item, _ in calls])
            except Exception as exc:  # each caller gets it (a delivery's recording is tried again)
                for _, future in calls:
                    if not future.done():  # (a caller cancelled meanwhile, by a shutdown, has its answer)
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(calls, results, strict=True):
                    if not future.done():
                        future.set_result(result)


class Delivery:
    """One process's sender of due messages. `clock` judges what is due and stale; the pacing runs on real
    time. `outbox` and `pacer` are the store's (shared with the other workers through the database). As
    many sends are in flight as the budget's rate fills in a round trip, and a batch claims four times that."""

    def __init__(self, store: Store, outbox: Outbox, pacer: Pacer, bot: Bot, clock: Callable[[], datetime],
                 lease: timedelta, *, paid_broadcast: bool = False) -> None:
        self.store, self.outbox, self.bot, self.clock, self.lease = store, outbox, bot, clock, lease
        self.paid_broadcast = paid_broadcast  # allow_paid_broadcast on every send: Telegram's paid limit
        self.pacing = Pacing(pacer, PAID_BROADCAST_MAX_RATE if paid_broadcast else FREE_BROADCAST_MAX_RATE)
        self.in_flight = max(SEND_CONCURRENCY, math.ceil(pacer.rate * ROUND_TRIP_S))
        self.batch_size = max(DELIVER_BATCH, 4 * self.in_flight)
        self._start_sending = _Together(lambda jobs: outbox.start_sending(jobs, clock(), lease))
        self._sent = _Together(lambda delivered: outbox.sent(delivered, clock()))

    async def batch(self) -> int:
        """Claim due messages and send them, each user's in order; returns how many were claimed."""
        jobs = await asyncio.to_thread(self.outbox.claim_due, self.clock(), self.batch_size, self.lease)
        if not jobs:
            return 0
        chats = await asyncio.to_thread(self.store.telegram_ids, list({job.user_id for job in jobs}))
        by_user: defaultdict[int, list[Job]] = defaultdict(list)
        for job in jobs:
            by_user[job.user_id].append(job)
        gate = asyncio.Semaphore(self.in_flight)

        async def user_messages(user_jobs: list[Job]) -> None:
            async with gate:
                for job in user_jobs:
                    await self._deliver(job, chats.get(job.user_id))

        await asyncio.gather(*(user_messages(user_jobs) for user_jobs in by_user.values()))
        return len(jobs)

    async def _deliver(self, job: Job, chat_id: int | None) -> None:
        now = self.clock()
        if chat_id is None or job.payload is None:
            await asyncio.to_thread(self.outbox.skip, job, "no_chat")
            return
        if now > job.due_at + STALE_AFTER_DUE:
            await asyncio.to_thread(self.outbox.skip, job, "expired")
            return
        if not await self._start_sending(job):
            return  # another worker holds it now
        try:
            message_id = await self._send(chat_id, job)
        except _ClaimLost:
            log.info("user %d's %s was taken over by another worker while waiting", job.user_id, job.kind)
        except Forbidden:
            log.info("user %d blocked the bot: their %s is dropped", job.user_id, job.kind)
            await asyncio.to_thread(self.outbox.skip, job, "blocked")
        except BadRequest as exc:
            log.error("Telegram refused user %d's %s: %s", job.user_id, job.kind, exc.message[:200])
            await asyncio.to_thread(self.outbox.skip, job, "refused")
        except _NotSent:
            await asyncio.to_thread(self.outbox.not_sent, job, self.clock() + RETRY_SEND_AFTER)
        except _InDoubt:
            log.warning("user %d's %s may or may not have arrived; it is sent again, marked", job.user_id, job.kind)
            await asyncio.to_thread(self.outbox.in_doubt, job, self.clock() + RETRY_SEND_AFTER)
        else:
            await self._record(lambda: self._sent((job, message_id)))
            MESSAGES_SENT.labels(job.kind).inc()

    async def _record(self, change: Callable[[], Awaitable[bool]]) -> bool:
        """Record what Telegram already did, trying again while the database fails for a moment: a delivery
        that is not recorded would be sent again."""
        for attempt in range(RECORD_ATTEMPTS - 1):
            try:
                return await change()
            except DBAPIError as exc:
                log.warning("recording a delivery failed (%s); trying again", type(exc.orig).__name__)
                await asyncio.sleep(0.2 * 2 ** attempt)
        return await change()  # the last try: its failure propagates

    async def _send(self, chat_id: int, job: Job) -> int:
        """Send the job's message, part by part from the first not known to have arrived (a long one is
        several); each part Telegram takes is recorded. The part that may have arrived before says so. The
        id of the last message."""
        payload = job.payload
        note = say(Language(payload["language"]), "resent_note") if job.maybe_sent else None
        photo = base64.b64decode(payload["photo"]) if "photo" in payload else None
        parts = split_html(payload["caption"], MAX_CAPTION) if photo is not None else split_html(payload["html"])
        message = None
        for index in range(job.parts_sent, len(parts)):
            if index > job.parts_sent and not await self._start_sending(job):
                raise _ClaimLost
            chunks = [parts[index]]
            if note is not None and index == job.parts_sent:  # (a caption keeps to a caption's length)
                noted = f"{parts[index]}\n\n{note}"
                chunks = split_html(noted, MAX_CAPTION) if photo is not None and index == 0 else split_html(noted)
            for n, chunk in enumerate(chunks):
                if photo is not None and index == 0 and n == 0:
                    message = await self._call(job, lambda chunk=chunk: self.bot.send_photo(
                        chat_id, photo, caption=chunk, parse_mode=ParseMode.HTML,
                        allow_paid_broadcast=self.paid_broadcast or None))
                else:
                    message = await self._call(job, lambda chunk=chunk: self._text(chat_id, chunk))
            if index < len(parts) - 1:
                await self._record(lambda index=index: asyncio.to_thread(self.outbox.part_sent, job, index + 1, self.clock(),
                                                                         self.lease))
        return message.message_id

    def _text(self, chat_id: int, html: str) -> Awaitable:
        return self.bot.send_message(chat_id, html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                                     allow_paid_broadcast=self.paid_broadcast or None)

    async def _call(self, job: Job, send: Callable[[], Awaitable]) -> object:
        """One Bot API send in the next free slot of the shared budget; a 429 holds the budget for everyone
        and the same send is tried again (Telegram did not take it), once the job's claim is renewed."""
        waited = False
        while True:
            await self.pacing.wait_for_slot()
            if waited and not await asyncio.to_thread(self.outbox.renew, job, self.clock(), self.lease):
                raise _ClaimLost
            try:
                return await send()
            except RetryAfter as exc:
                await self.pacing.hold(_retry_after_s(exc))
                waited = True
            except (Forbidden, BadRequest):
                raise
            except NetworkError as exc:  # TimedOut included
                cause = exc.__cause__
                if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
                    raise _NotSent from exc
                raise _InDoubt from exc
            except TelegramError as exc:  # another refusal: Telegram took nothing
                log.warning("Telegram refused a send: %s", type(exc).__name__)
                raise _NotSent from exc

