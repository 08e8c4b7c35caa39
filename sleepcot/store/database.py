"""The database: its migrations (one process at a time), the scheduler's outbox and send pacing, and a
`UserStore` per user."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from sleepcot.store.engine import connect, transaction
from sleepcot.store.models import User
from sleepcot.store.outbox import Outbox, Pacer
from sleepcot.store.user import UnknownUser, UserStore

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 0x51EE9C07  # the advisory lock migrations take on PostgreSQL


class Database:
    """The database itself: its engine, its migrations, the outbox and send pacing, and one `UserStore` per
    user (the only way to reach a user's rows)."""

    def __init__(self, url: str) -> None:
        self.engine = connect(url)

    def migrate(self) -> None:
        """Bring the schema to the newest revision (does nothing when it is already there). Processes
        starting together (the bot and its workers) migrate one after the other: a PostgreSQL advisory
        lock, or a lock file beside a SQLite database."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._migration_lock(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def outbox(self, worker: str) -> Outbox:
        """The scheduled messages, as the worker named `worker` (unique per process) claims them."""
        return Outbox(self.engine, worker)

    def pacer(self, rate_per_s: float) -> Pacer:
        """Telegram's message budget, shared by every process on this database."""
        return Pacer(self.engine, rate_per_s)

    def for_user(self, user_id: int) -> UserStore:
        with transaction(self.engine) as s:
            if s.get(User, user_id) is None:
                raise UnknownUser(user_id)
        return UserStore(self.engine, user_id)

    def close(self) -> None:
        self.engine.dispose()
