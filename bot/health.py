"""Is this process well? The bot's web app and each worker's serve three endpoints:

- `/healthz`: alive (the event loop answers);
- `/readyz`: every part this process needs works now — the database reachable and at the newest schema, the
  model answering (or the deterministic coach, said so: still ready), the scheduler ticked within two
  ticks (when this process runs one), and for the bot Telegram's updates arriving (polling without errors,
  or the webhook registered). JSON `{"ready": …, "checks": {name: {"ok": …, "detail": …}}}`, 503 when not;
- `/metrics`: Prometheus' text format (sleepcot.metrics), with the outbox's depth read when scraped.

Each check runs in a thread under a time limit, so a database that hangs makes the check fail, not the
endpoint. The model is asked at most every LLM_CHECK_EVERY_S (Ollama's model list; nothing is generated).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sleepcot.coach.llm import LLM, LLMUnavailable
from sleepcot.store import Store

CHECK_TIMEOUT_S = 5.0
LLM_CHECK_EVERY_S = 30.0
POLL_ERROR_GRACE_S = 30.0  # polling that failed this recently is not ready
OUTBOX_DEPTH = Gauge("sleepcot_outbox_depth", "Scheduled messages waiting, by state", ["state"])
OUTBOX_STATES = ("pending", "generated")


@dataclass
class Check:
    ok: bool
    detail: str


class Telegram:
    """How updates reach the bot: polling (ready unless getUpdates failed lately) or the webhook (ready once
    Telegram accepted it)."""

    def __init__(self, mode: str, polling: Callable[[], bool]) -> None:
        self.mode = mode
        self.polling = polling  # whether the updater's polling loop still runs
        self.started = False
        self.last_error: float | None = None  # monotonic time of the last failed getUpdates

    def polling_failed(self) -> None:
        self.last_error = time.monotonic()

    def check(self) -> Check:
        if not self.started:
            return Check(False, f"{self.mode}: not started yet")
        if self.mode == "polling" and not self.polling():
            return Check(False, "polling: stopped")
        if self.last_error is not None and time.monotonic() - self.last_error < POLL_ERROR_GRACE_S:
            return Check(False, f"polling: getUpdates failed {time.monotonic() - self.last_error:.0f} s ago")
        return Check(True, "polling" if self.mode == "polling" else "webhook registered")


class Readiness:
    """What `/readyz` checks in one process. `scheduler` (anything with `last_tick`, a UTC datetime) and
    `telegram` are set once they run; a process without them does not check them."""

    def __init__(self, store: Store, llm: LLM | None, llm_reason: str | None, tick_s: float) -> None:
        self.store, self.llm, self.llm_reason, self.tick_s = store, llm, llm_reason, tick_s
        self.scheduler: object | None = None
        self.scheduler_off = False  # this process leaves scheduling to its workers
        self.telegram: Telegram | None = None
        self._llm_checked: tuple[float, Check] | None = None

    def database(self) -> Check:
        current, head = self.store.revisions()
        if current != head:
            return Check(False, f"schema at {current or 'nothing'}, this SleepCoT needs {head}: run sleepcot db-upgrade")
        return Check(True, f"reachable, schema at {head}")

    def model(self) -> Check:
        if self.llm is None:
            return Check(True, f"the deterministic coach answers ({self.llm_reason or 'no model'})")
        now = time.monotonic()
        if self._llm_checked is not None and now - self._llm_checked[0] < LLM_CHECK_EVERY_S:
            return self._llm_checked[1]
        try:
            self.llm.ping()
            check = Check(True, f"{self.llm.name} answers")
        except LLMUnavailable as exc:
            check = Check(False, str(exc)[:300])
        self._llm_checked = (now, check)
        return check

    def schedule(self) -> Check:
        if self.scheduler_off:
            return Check(True, "off here (SLEEPCOT_SCHEDULER=false): the workers schedule")
        last = getattr(self.scheduler, "last_tick", None)
        if last is None:
            return Check(False, "has not ticked yet")
        age = (datetime.now(UTC) - last).total_seconds()
        if age > 2 * self.tick_s + 1:
            return Check(False, f"last ticked {age:.0f} s ago (every {self.tick_s:g} s)")
        return Check(True, f"ticked {age:.0f} s ago")

    async def checks(self) -> dict[str, Check]:
        parts: dict[str, Callable[[], Check]] = {"database": self.database, "llm": self.model}
        if self.scheduler is not None or self.scheduler_off:
            parts["scheduler"] = self.schedule
        if self.telegram is not None:
            parts["telegram"] = self.telegram.check
        results = await asyncio.gather(*(_timed(name, check) for name, check in parts.items()))
        return dict(zip(parts, results))


async def _timed(name: str, check: Callable[[], Check]) -> Check:
    try:
        return await asyncio.wait_for(asyncio.to_thread(check), CHECK_TIMEOUT_S)
    except TimeoutError:
        return Check(False, f"no answer within {CHECK_TIMEOUT_S:g} s")
    except Exception as exc:  # the database is away, a driver error: its class and first line, no more
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return Check(False, f"{type(exc).__name__}: {first}")


def routes(readiness: Readiness) -> list[Route]:
    """The three endpoints, for a Starlette app."""

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        checks = await readiness.checks()
        ready = all(check.ok for check in checks.values())
        body = {"ready": ready, "checks": {name: asdict(check) for name, check in checks.items()}}
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(_: Request) -> Response:
        try:
            depth = await asyncio.wait_for(asyncio.to_thread(readiness.store.outbox("metrics").depth),
                                           CHECK_TIMEOUT_S)
        except Exception:  # the database is away: the other figures still count
            depth = None
        if depth is not None:
            for state in OUTBOX_STATES:
                OUTBOX_DEPTH.labels(state).set(depth.get(state, 0))
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]
