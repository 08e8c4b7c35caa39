"""The teacher client: sends many chat requests to a large teacher model at any OpenAI-compatible endpoint
(OpenAI, DashScope's compatible mode, vLLM, Ollama's /v1) for the distillation "teach" stage.

Requests run concurrently on one asyncio event loop (at most `concurrency` in flight, request starts spaced to
at most `requests_per_minute`), transient failures are retried here (429 honouring Retry-After, 5xx, timeouts,
connection errors: exponential backoff with jitter), and every reply is appended to a JSONL cache as it arrives,
so a rerun after an interruption asks only for what is missing. A wrong key or an unknown model (401, 403, 404)
stops the batch: every request would fail the same way.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import openai

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]

TRANSIENT_STATUSES = {408, 409, 429}  # and every 5xx
BATCH_STOPPING_STATUSES = {401, 403, 404}  # wrong key, no access, unknown model or path: no request can succeed
RETRY_AFTER_LIMIT_S = 300.0  # a Retry-After beyond this is treated as a plain backoff


@dataclass
class ClientStats:
    """Counts over the client's lifetime. `requests` are HTTP requests sent (retries included); `failures` are
    conversations left without a reply; `stopped_by` says what stopped a batch early (e.g. "HTTP 401")."""

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    seconds: float = 0.0
    stopped_by: str | None = None


def request_key(model: str, messages: Messages, temperature: float, max_tokens: int) -> str:
    """The cache key of one request: a SHA-256 of everything that shapes the reply."""
    canonical = json.dumps({"model": model, "messages": messages, "temperature": temperature,
                            "max_tokens": max_tokens}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class ReplyCache:
    """Request key -> reply text, persisted as a JSONL file that only grows: one {"key", "reply"} line per reply,
    flushed as it arrives. A line cut short by a crash is skipped on the next load."""

    def __init__(self, path: Path | None):
        self.path = path
        self.replies: dict[str, str] = {}
        if path is not None and path.exists():
            skipped = 0
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.replies[entry["key"]] = entry["reply"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    skipped += 1
            log.debug("teacher cache: %d replies loaded, %d unreadable lines skipped", len(self.replies), skipped)

    def get(self, key: str) -> str | None:
        return self.replies.get(key)

    def put(self, key: str, reply: str) -> None:
        self.replies[key] = reply
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps({"key": key, "reply": reply}, ensure_ascii=False) + "\n")
            file.flush()


class _Pacer:
    """Spaces request starts at least `60 / per_minute` seconds apart; `hold()` delays every later start
    (a 429's Retry-After is about the endpoint, not one request)."""

    def __init__(self, per_minute: float | None):
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.next_start = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        start = max(now, self.next_start)
        self.next_start = start + self.interval  # reserved before sleeping: no await between read and write
        if start > now:
            await asyncio.sleep(start - now)

    def hold(self, seconds: float) -> None:
        self.next_start = max(self.next_start, time.monotonic() + seconds)


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from a response's retry-after-ms or Retry-After header (seconds or an HTTP date)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(0.0, float(headers[name]) * scale)
        except (KeyError, ValueError):
            continue
    try:
        when = email.utils.parsedate_to_datetime(headers["retry-after"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _StopBatch(Exception):
    """A failure that every other request of the batch would meet too."""


class TeacherClient:
    """Asks the teacher model for one reply per conversation; see the module docstring. `api_key=None` means the
    endpoint needs none (vLLM, Ollama). `backoff_base_s` and `backoff_cap_s` shape the retry delays."""

    def __init__(self, base_url: str, model: str, api_key: str | None, *, cache_path: Path | None,
                 concurrency: int = 8, requests_per_minute: float | None = None, max_retries: int = 5,
                 timeout_s: float = 120.0, temperature: float = 0.0, max_tokens: int = 512,
                 backoff_base_s: float = 1.0, backoff_cap_s: float = 30.0):
        if concurrency < 1 or max_retries < 0:
            raise ValueError("concurrency must be at least 1 and max_retries at least 0")
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self.base_url, self.model, self.api_key = base_url, model, api_key
        self.concurrency, self.requests_per_minute = concurrency, requests_per_minute
        self.max_retries, self.timeout_s = max_retries, timeout_s
        self.temperature, self.max_tokens = temperature, max_tokens
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self.cache = ReplyCache(cache_path)
        self.stats = ClientStats()

    def complete_all(self, conversations: list[Messages], *,
                     on_done: Callable[[int, int], None] | None = None) -> list[str | None]:
        """One reply per conversation, in order; None for a request that failed for good (after retries).
        Runs its own event loop: call it from any thread with no running loop (async code: `acomplete_all`).
        `on_done(done, total)` is called as conversations get their answer (cached ones included)."""
        return asyncio.run(self.acomplete_all(conversations, on_done=on_done))

    async def acomplete_all(self, conversations: list[Messages], *,
                            on_done: Callable[[int, int], None] | None = None) -> list[str | None]:
        """`complete_all` for callers already inside an event loop."""
        started = time.monotonic()
        total = len(conversations)
        replies: list[str | None] = [None] * total
        pending: dict[str, list[int]] = {}  # identical requests in one batch are asked once
        progress = _Progress(total, on_done)
        for index, messages in enumerate(conversations):
            key = request_key(self.model, messages, self.temperature, self.max_tokens)
            cached = self.cache.get(key)
            if cached is None:
                pending.setdefault(key, []).append(index)
            else:
                replies[index] = cached
                self.stats.cache_hits += 1
                progress.advance(1)
        retries_before = self.stats.retries
        if pending:
            await self._ask_pending(conversations, pending, replies, progress)
        elapsed = time.monotonic() - started
        self.stats.seconds += elapsed
        log.info("teacher %s: %d of %d conversations answered (%d asked, %d retries, %d failed) in %.1f s",
                 self.model, total - replies.count(None), total, len(pending), self.stats.retries - retries_before,
                 replies.count(None), elapsed)
        return replies

    async def _ask_pending(self, conversations: list[Messages], pending: dict[str, list[int]],
                           replies: list[str | None], progress: _Progress) -> None:
        batch = _Batch(self, openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key or "none",
                                                timeout=self.timeout_s, max_retries=0))

        async def answer(key: str, indices: list[int]) -> None:
            reply = await batch.ask(conversations[indices[0]])
            if reply is None:
                self.stats.failures += len(indices)
            else:
                self.cache.put(key, reply)
            for index in indices:
                replies[index] = reply
            progress.advance(len(indices))

        tasks = [asyncio.ensure_future(answer(key, indices)) for key, indices in pending.items()]
        try:
            await asyncio.gather(*tasks)
        finally:  # interrupted (an on_done that raised, Ctrl-C): send nothing more; the cache keeps what came
            for task in tasks:
                task.cancel()
            await batch.openai.close()


class _Progress:
    """Counts answered conversations and reports each step to `on_done(done, total)`."""

    def __init__(self, total: int, on_done: Callable[[int, int], None] | None):
        self.total, self.on_done, self.done = total, on_done, 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.on_done is not None:
            self.on_done(self.done, self.total)


class _Batch:
    """The per-event-loop state of one `acomplete_all`: the HTTP client, the concurrency bound and the pacer."""

    def __init__(self, client: TeacherClient, openai_client: openai.AsyncOpenAI):
        self.client, self.openai = client, openai_client
        self.slots = asyncio.Semaphore(client.concurrency)
        self.pacer = _Pacer(client.requests_per_minute)
        self.stopped_by: str | None = None

    async def ask(self, messages: Messages) -> str | None:
        client = self.client
        for attempt in range(client.max_retries + 1):
            if self.stopped_by is not None:
                return None
            try:
                return await self._attempt(messages)
            except _StopBatch as exc:
                if self.stopped_by is None:  # requests already in flight meet it too: say it once
                    self.stopped_by = client.stats.stopped_by = str(exc)
                    log.error("teacher %s: %s; not sending the remaining requests", client.model, exc)
                return None
            except openai.APIStatusError as exc:
                if not (exc.status_code in TRANSIENT_STATUSES or exc.status_code >= 500):
                    log.warning("teacher %s: HTTP %d (%s), not retried", client.model, exc.status_code,
                                exc.code or exc.type)
                    return None
                reason, delay = f"HTTP {exc.status_code}", self._backoff_s(attempt)
                retry_after = _retry_after_s(exc.response.headers) if exc.status_code == 429 else None
                if retry_after is not None and retry_after <= RETRY_AFTER_LIMIT_S:
                    delay = retry_after
                    self.pacer.hold(retry_after)
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                reason, delay = type(exc).__name__, self._backoff_s(attempt)
            except openai.APIError as exc:  # an answer the client cannot read: asking again would not help
                log.warning("teacher %s: %s, not retried", client.model, type(exc).__name__)
                return None
            if attempt == client.max_retries:
                log.warning("teacher %s: %s, giving up after %d retries", client.model, reason, attempt)
                return None
            log.debug("teacher %s: %s, retry %d in %.2f s", client.model, reason, attempt + 1, delay)
            client.stats.retries += 1
            await asyncio.sleep(delay)
        return None

    async def _attempt(self, messages: Messages) -> str | None:
        client = self.client
        async with self.slots:
            await self.pacer.wait()
            if self.stopped_by is not None:
                return None
            client.stats.requests += 1
            try:
                response = await self.openai.chat.completions.create(
                    model=client.model, messages=messages, temperature=client.temperature,
                    max_tokens=client.max_tokens)
            except openai.APIStatusError as exc:
                if exc.status_code in BATCH_STOPPING_STATUSES:
                    raise _StopBatch(f"HTTP {exc.status_code} ({exc.code or exc.type})") from exc
                raise
        content = response.choices[0].message.content if response.choices else None
        if content is None:
            log.warning("teacher %s: a reply without text (finish_reason %s)", client.model,
                        response.choices[0].finish_reason if response.choices else None)
        return content

    def _backoff_s(self, attempt: int) -> float:
        """Exponential backoff with jitter: up to base * 2^attempt, capped, never less than half of it."""
        ceiling = min(self.client.backoff_cap_s, self.client.backoff_base_s * 2 ** attempt)
        return ceiling * random.uniform(0.5, 1.0)
