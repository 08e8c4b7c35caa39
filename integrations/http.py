"""HTTP to the vendors' APIs, shared by every user of one vendor: their documented rate limits honoured
before we send (app-wide or per user token, kept in the database so that every process sharing it stays
within them together: sleepcot/store/budgets.py), `Retry-After` honoured by all of them when the vendor
answers 429 anyway, retries with exponential backoff and jitter on 5xx and timeouts, and JSON
decoding with clear errors. Adapters call `VendorClient.request_json`; the caller handles `Unauthorized`
by refreshing the token once.

`time_scale` compresses every limit's window (and the vendors' waits) by a factor; only the benchmark and
tests use it, to run a day of real limits in seconds. Production uses 1.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from integrations.base import PayloadError, RateLimit
from sleepcot.metrics import VENDOR_ERRORS
from sleepcot.store.budgets import Ticket, VendorBudgets, Window

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 0.5
MAX_WAIT_S = 900.0  # a vendor asking us to wait longer than this is treated as unavailable for now
BUDGET_THREADS = ThreadPoolExecutor(4, thread_name_prefix="vendor-budgets")  # never queued behind other blocking work
SAFETY = 1.02  # windows 2% longer than documented: a vendor's own window keeping may differ from ours


class VendorError(Exception):
    """The vendor answered, but not with data (a documented error code, a 4xx)."""


class Unauthorized(VendorError):
    """The access token was refused (HTTP 401, or Withings' status 401): refresh and try once more."""


class ReconnectNeeded(VendorError):
    """The grant is gone (revoked, refresh token refused): only the user can fix this, by reconnecting."""


class VendorUnavailable(VendorError):
    """The vendor kept failing (5xx, timeouts, rate limited for too long); try again later."""


class Gone(VendorError):
    """The endpoint no longer exists (HTTP 410), as Fitbit's legacy Web API since November 2026."""


class RateLimited(VendorError):
    """Raised by a vendor's body check (Withings 601) to be handled like HTTP 429."""

    retry_after_s: float | None = None

    def __init__(self, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimiter:
    """Every limit of one vendor, kept in the shared `VendorBudgets` (sleepcot/store/budgets.py): app-wide
    windows under the vendor's name, per-token windows under the user's too, each window `SAFETY` longer
    and `time_scale` times shorter than documented. Requests of one process waiting for the same windows
    queue in arrival order behind one taker task, which asks the database for lanes for all of them at once."""

    def __init__(self, vendor: str, limits: tuple[RateLimit, ...], budgets: VendorBudgets,
                 time_scale: float = 1.0):
        self.vendor, self.limits, self.budgets, self.time_scale = vendor, limits, budgets, time_scale
        self._queues: dict[tuple[str, ...], tuple[asyncio.Task, deque[asyncio.Future[Ticket]]]] = {}
        self._answered: tuple[list[tuple[Ticket, float]], asyncio.Future[None]] | None = None  # not yet told
        self._telling: asyncio.Task | None = None

    def windows(self, user_key: Any) -> list[Window]:
        return [Window(f"{self.vendor}:{lim.scope}:{'' if lim.scope == 'app' else f'{user_key}:'}"
                       f"{lim.requests}/{lim.period_s:g}s", lim.requests, lim.period_s * SAFETY / self.time_scale)
                for lim in self.limits]

    async def _call(self, method: Callable[..., T], *args: Any) -> T:
        if self.budgets.local:
            return method(*args)
        return await asyncio.get_running_loop().run_in_executor(BUDGET_THREADS, method, *args)

    async def acquire(self, user_key: Any) -> Ticket:
        """Wait for a lane of every window this user's request goes through; `release` it when answered."""
        windows = self.windows(user_key)
        if not windows:
            return Ticket(())
        keys = tuple(w.key for w in windows)
        waiter = asyncio.get_running_loop().create_future()
        queued = self._queues.get(keys)
        if queued is None or _ended(queued[0]):
            queued = self._queues[keys] = (asyncio.create_task(self._take_for(keys, windows)), deque())
        queued[1].append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # its lane came as this request was cancelled
                await asyncio.shield(self.release(waiter.result()))
            raise

    async def _take_for(self, keys: tuple[str, ...], windows: list[Window]) -> None:
        """Take lanes for this process's waiters on `windows` until none wait; a waiter that gave up before
        its lane came has the lane released (counted as a request: the lane may not be given back)."""
        queued = self._queues[keys]  # the waiter that started this task was queued before it ran
        waiters = queued[1]
        try:
            while count := sum(not waiter.done() for waiter in waiters):
                taken = await self._call(self.budgets.take, windows, count)
                if not isinstance(taken, tuple):
                    await asyncio.sleep(taken)
                    continue
                for ticket in taken:
                    while waiters and waiters[0].done():
                        waiters.popleft()
                    if waiters:
                        waiters.popleft().set_result(ticket)
                    else:
                        await self.release(ticket)
        except Exception as exc:  # the database failed: every waiter hears it, none waits forever
            self._fail(waiters, exc)
        except BaseException:  # cancelled (the loop is closing)
            self._fail(waiters, VendorUnavailable(f"{self.vendor}: stopped while waiting for the rate limit"))
            raise
        finally:
            if self._queues.get(keys) is queued:
                del self._queues[keys]

    @staticmethod
    def _fail(waiters: deque[asyncio.Future[Ticket]], exc: Exception) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(exc)

    async def release(self, ticket: Ticket) -> None:
        """The request was answered (or failed) just now: its lanes free a period from now. Told to the
        database with the other requests answered meanwhile, in one transaction."""
        if not ticket.lanes:
            return
        loop = asyncio.get_running_loop()
        if self._answered is None or self._answered[1].get_loop() is not loop:
            self._answered = ([], loop.create_future())
        if self._telling is None or _ended(self._telling):
            self._telling = asyncio.create_task(self._tell())
        answered, told = self._answered
        answered.append((ticket, time.monotonic()))
        await asyncio.shield(told)

    async def _tell(self) -> None:
        """Tell the database of the requests answered, a batch at a time, until none is left to tell."""
        while self._answered is not None:
            (answered, told), self._answered = self._answered, None
            try:
                await self._call(self.budgets.done, answered)
            except Exception as exc:  # the database failed: the requests waiting on it hear it
                told.set_exception(exc)
            else:
                told.set_result(None)

    async def hold(self, user_key: Any, seconds: float) -> None:
        """The vendor said wait: nobody, in any process, sends on the windows this user's request went through."""
        keys = [w.key for w in self.windows(user_key)]
        if keys:
            await self._call(self.budgets.hold, keys, seconds)
        else:  # a vendor without documented limits: at least this request waits
            await asyncio.sleep(seconds)


def _ended(task: asyncio.Task) -> bool:
    """The task is over, or was left behind by an event loop that ended (tests run several loops)."""
    return task.done() or task.get_loop() is not asyncio.get_running_loop()


def retry_after_s(value: str | None) -> float | None:
    """`Retry-After` in seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def rebase(url: str, origin: str | None) -> str:
    """`url` with its scheme and host replaced by `origin` (a loopback server, a proxy), path kept."""
    if not origin:
        return url
    target, parts = urlsplit(origin), urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, target.path.rstrip("/") + parts.path, parts.query, ""))


class VendorClient:
    """One vendor's API for every user: limits, retries, JSON. `origin` replaces the vendor's host. The
    limits are kept in `budgets`, shared with every process on its database (without one: this client's own,
    in memory)."""

    def __init__(self, vendor: str, limits: tuple[RateLimit, ...], *, origin: str | None = None,
                 time_scale: float = 1.0, timeout_s: float = 30.0, transport: httpx.AsyncBaseTransport | None = None,
                 check_body: Callable[[Any], None] | None = None, budgets: VendorBudgets | None = None):
        self.vendor, self.origin, self.time_scale = vendor, origin, time_scale
        self.limiter = RateLimiter(vendor, limits, budgets or VendorBudgets(), time_scale)
        self.check_body = check_body
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport,
                                         headers={"User-Agent": "SleepCoT/0.1 (self-hosted sleep coach)"})

    def url(self, url: str) -> str:
        return rebase(url, self.origin)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request_json(self, method: str, url: str, *, user_key: Any, token: str | None = None,
                           params: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
                           json: Any = None, ok_statuses: tuple[int, ...] = ()) -> Any:
        """Send with limits and retries; the decoded JSON body (None for an empty body)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        target = self.url(url)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            ticket = await self.limiter.acquire(user_key)
            try:
                response = await self._client.request(method, target, params=params, data=data, json=json,
                                                      headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                VENDOR_ERRORS.labels(self.vendor, "transport").inc()
                await self.limiter.release(ticket)  # it may have reached the vendor: counted as sent
                await self._backoff(attempt, f"{type(exc).__name__}")
                continue
            except BaseException:  # cancelled: still record the end, or the lanes stay busy for IN_FLIGHT_S
                await asyncio.shield(self.limiter.release(ticket))
                raise
            await self.limiter.release(ticket)
            status = response.status_code
            if status >= 400 and status not in ok_statuses:
                VENDOR_ERRORS.labels(self.vendor, "rate_limited" if status == 429 else f"http_{status // 100}xx").inc()
            if status == 429:
                wait = retry_after_s(response.headers.get("Retry-After"))
                await self._rate_limited(user_key, attempt, wait)
                continue
            if status >= 500:
                await self._backoff(attempt, f"HTTP {status}")
                continue
            if status == 401:
                raise Unauthorized(f"{self.vendor}: access token refused")
            if status == 410:
                raise Gone(f"{self.vendor}: {urlsplit(url).path} is gone (HTTP 410)")
            if status >= 400 and status not in ok_statuses:
                raise VendorError(f"{self.vendor}: HTTP {status} from {urlsplit(url).path}")
            body = self._decode(response, url)
            if self.check_body is not None:
                try:
                    self.check_body(body)
                except RateLimited as exc:
                    VENDOR_ERRORS.labels(self.vendor, "rate_limited").inc()
                    await self._rate_limited(user_key, attempt, exc.retry_after_s)
                    continue
            return body
        raise VendorUnavailable(f"{self.vendor}: no answer after {MAX_ATTEMPTS} attempts")

    def _decode(self, response: httpx.Response, url: str) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise PayloadError(f"{self.vendor}: {urlsplit(url).path} answered with something that is not JSON") from exc

    async def _rate_limited(self, user_key: Any, attempt: int, wait_s: float | None) -> None:
        """HTTP 429 (or Withings 601): everyone on these limits waits `Retry-After` (vendor seconds), or
        until the tightest window has surely passed when the vendor gave no time."""
        if wait_s is None:
            wait_s = min((lim.period_s for lim in self.limiter.limits), default=60.0)
        wait_s /= self.time_scale
        if wait_s > MAX_WAIT_S or attempt == MAX_ATTEMPTS:
            raise VendorUnavailable(f"{self.vendor}: rate limited (asked to wait {wait_s:.0f} s)")
        log.warning("%s: rate limited, waiting %.2f s (attempt %d)", self.vendor, wait_s, attempt)
        await self.limiter.hold(user_key, wait_s)

    async def _backoff(self, attempt: int, reason: str) -> None:
        if attempt == MAX_ATTEMPTS:
            return
        wait = BACKOFF_BASE_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.5) / self.time_scale
        log.warning("%s: %s, retrying in %.2f s (attempt %d)", self.vendor, reason, wait, attempt)
        await asyncio.sleep(wait)
