"""HTTP to the vendors' APIs, shared by every user of one vendor: their documented rate limits honoured
before we send (a sliding-window log per limit, app-wide or per user token), `Retry-After` honoured when
the vendor answers 429 anyway, retries with exponential backoff and jitter on 5xx and timeouts, and JSON
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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from integrations.base import PayloadError, RateLimit
from sleepcot.metrics import VENDOR_ERRORS

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 0.5
MAX_WAIT_S = 900.0  # a vendor asking us to wait longer than this is treated as unavailable for now
SAFETY = 1.02  # wait 2% past a window's end: our clock and the vendor's never agree exactly


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


class SlidingWindow:
    """At most `requests` sends in any `period_s` window: a log of recent send times. Waiters queue in
    arrival order. `hold(seconds)` stops everyone until then (a vendor said Retry-After)."""

    def __init__(self, requests: int, period_s: float, clock: Callable[[], float] = time.monotonic):
        self.requests, self.period_s, self.clock = requests, period_s, clock
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._held_until = 0.0

    def hold(self, seconds: float) -> None:
        self._held_until = max(self._held_until, self.clock() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.period_s * SAFETY:
                    self._sent.popleft()
                wait = self._held_until - now
                if len(self._sent) >= self.requests:
                    wait = max(wait, self._sent[0] + self.period_s * SAFETY - now)
                if wait <= 0:
                    self._sent.append(now)
                    return
                await asyncio.sleep(wait)


class RateLimiter:
    """Every limit of one vendor: app-wide windows shared by all users, per-user windows keyed by user."""

    def __init__(self, limits: tuple[RateLimit, ...], time_scale: float = 1.0):
        self.limits, self.time_scale = limits, time_scale
        self._app = [SlidingWindow(lim.requests, lim.period_s / time_scale) for lim in limits if lim.scope == "app"]
        self._per_user: dict[Any, list[SlidingWindow]] = {}

    def _windows(self, user_key: Any) -> list[SlidingWindow]:
        if user_key not in self._per_user:
            self._per_user[user_key] = [SlidingWindow(lim.requests, lim.period_s / self.time_scale)
                                        for lim in self.limits if lim.scope == "user"]
        return self._app + self._per_user[user_key]

    async def acquire(self, user_key: Any) -> None:
        for window in self._windows(user_key):
            await window.acquire()

    def hold(self, user_key: Any, seconds: float) -> None:
        """The vendor said wait: nobody sends on the windows this user's request went through."""
        for window in self._windows(user_key):
            window.hold(seconds)


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
    """One vendor's API for every user: limits, retries, JSON. `origin` replaces the vendor's host."""

    def __init__(self, vendor: str, limits: tuple[RateLimit, ...], *, origin: str | None = None,
                 time_scale: float = 1.0, timeout_s: float = 30.0, transport: httpx.AsyncBaseTransport | None = None,
                 check_body: Callable[[Any], None] | None = None):
        self.vendor, self.origin, self.time_scale = vendor, origin, time_scale
        self.limiter = RateLimiter(limits, time_scale)
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
            await self.limiter.acquire(user_key)
            try:
                response = await self._client.request(method, target, params=params, data=data, json=json,
                                                      headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                VENDOR_ERRORS.labels(self.vendor, "transport").inc()
                await self._backoff(attempt, f"{type(exc).__name__}")
                continue
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
        self.limiter.hold(user_key, wait_s)

    async def _backoff(self, attempt: int, reason: str) -> None:
        if attempt == MAX_ATTEMPTS:
            return
        wait = BACKOFF_BASE_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.5) / self.time_scale
        log.warning("%s: %s, retrying in %.2f s (attempt %d)", self.vendor, reason, wait, attempt)
        await asyncio.sleep(wait)
