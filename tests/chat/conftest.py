"""The chat tests' fixtures: a loopback Bot API (`telegram`) and `launch`, which starts the real bot against
it as `sleepcot run` does, admitting the people of tests/chat/people.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from cryptography.fernet import Fernet

from integrations.sync import Hub
from sleepcot.coach.llm import LLM
from sleepcot.config import Settings
from sleepcot.store import Store
from tests.chat.people import ADMIN, ANN, BEN
from tests.loopback import closed_port
from tests.loopback.bot_runner import RunningBot
from tests.loopback.telegram_server import BotAPIServer


@pytest.fixture
def telegram() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


@pytest.fixture
def launch(telegram: BotAPIServer, tmp_path) -> Iterator[Callable[..., RunningBot]]:
    """Start the bot against the loopback Bot API: `launch(llm, reason, database_url=..., hub=..., **settings)`;
    `hub` makes the bot's integrations Hub from its Settings (default: the bot makes its own)."""
    running: list[RunningBot] = []
    key = Fernet.generate_key().decode()

    def start(llm: LLM | None = None, reason: str | None = "no model in this test", *,
              database_url: str | None = None, hub: Callable[[Settings], Hub] | None = None,
              **overrides: object) -> RunningBot:
        values = dict(data_dir=tmp_path / "data", database_url=database_url or f"sqlite:///{tmp_path / 'bot.db'}",
                      telegram_token=telegram.token, telegram_api_url=telegram.url, telegram_admins=[ADMIN],
                      telegram_allowed_users=[ANN, BEN], telegram_stream_interval_s=0.2, secret_keys=key,
                      llm_max_tokens=160, scheduler=False,  # test_scheduler.py runs the scheduler
                      http_port=closed_port())  # the web app (health) on a port of its own
        values.update(overrides)
        settings = Settings(**values)
        store = Store(settings.effective_database_url)
        store.migrate()
        bot = RunningBot(settings, store, llm, reason, hub=hub(settings) if hub else None).start()
        running.append(bot)
        return bot

    yield start
    for bot in running:
        bot.stop()
        bot.store.close()
