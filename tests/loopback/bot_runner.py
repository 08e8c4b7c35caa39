"""The bot under test: `bot.app.run`, exactly as `sleepcot run` runs it, on its own event loop in a
background thread, so a test or a benchmark can play its users against the loopback Bot API."""

from __future__ import annotations

import asyncio
import threading

from bot.app import run
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.store import Store, UserStore


class RunningBot:
    """`bot.app.run` on its own event loop in a background thread, stopped the way Ctrl-C stops it."""

    def __init__(self, settings: Settings, store: Store, llm: LLM | None, reason: str | None) -> None:
        self.settings, self.store = settings, store
        self._args = (settings, store, llm, reason)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="sleepcot-bot", daemon=True)

    def _serve(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await run(*self._args, stop=self._stop, on_ready=self._ready.set)

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by start() or stop()
            self._error = exc
            self._ready.set()

    def start(self) -> RunningBot:
        self._thread.start()
        assert self._ready.wait(60), "the bot did not start"
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(60)
        assert not self._thread.is_alive(), "the bot did not stop"
        if self._error:
            raise self._error

    def user_store(self, telegram_id: int) -> UserStore:
        user_id = self.store.user_by_telegram_id(telegram_id)
        assert user_id is not None, f"telegram user {telegram_id} is not a user"
        return self.store.for_user(user_id)
