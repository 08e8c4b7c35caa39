"""The bot under test: `bot.app.run`, exactly as `sleepcot run` runs it, on its own event loop in a
background thread, so a test or a benchmark can play its users against the loopback Bot API.

The bot's web app serves on the settings' host and port (`web_endpoint()` gives a free local one and makes
it the public URL too), and `RunningBot.web_url` / `callback_url(vendor)` say where: a test plays the browser that a vendor sends back
to `/oauth/<vendor>/callback`. `hub` injects the integrations (`integrations.sync.Hub`), e.g. one whose
vendor origins point at loopback vendor servers; by default the bot makes its own from the settings.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bot.app import run
from bot.web import OAUTH_CALLBACK_PATH
from integrations.sync import Hub
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.store import Store, UserStore


def web_endpoint(host: str = "127.0.0.1") -> dict[str, Any]:
    """Settings for a web app on a free local port that is also its public URL: pass them to Settings."""
    from loopback import closed_port

    port = closed_port()
    return {"public_url": f"http://{host}:{port}", "http_host": host, "http_port": port}


class RunningBot:
    """`bot.app.run` on its own event loop in a background thread, stopped the way Ctrl-C stops it. `start()`
    returns once the bot polls (or its webhook is set) and, when it has one, its web app listens."""

    def __init__(self, settings: Settings, store: Store, llm: LLM | None, reason: str | None, *,
                 hub: Hub | None = None) -> None:
        self.settings, self.store, self.hub = settings, store, hub
        self._args = (settings, store, llm, reason)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="sleepcot-bot", daemon=True)

    def _serve(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await run(*self._args, stop=self._stop, on_ready=self._ready.set, hub=self.hub)

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

    @property
    def web_url(self) -> str:
        """The base URL where the bot's web app listens."""
        return f"http://{self.settings.http_host}:{self.settings.http_port}"

    def callback_url(self, vendor: str) -> str:
        """Where `vendor` sends the user's browser back after the consent screen."""
        return self.web_url + OAUTH_CALLBACK_PATH.format(vendor=vendor)

    def user_store(self, telegram_id: int) -> UserStore:
        user_id = self.store.user_by_telegram_id(telegram_id)
        assert user_id is not None, f"telegram user {telegram_id} is not a user"
        return self.store.for_user(user_id)
