"""The database: its migrations (one process at a time), the scheduler's outbox and send pacing, and a
`UserStore` per user."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from sleepcot.store.engine import connect, file_lock, transaction
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

    def revisions(self) -> tuple[str | None, str]:
        """The schema revision the database is at (None: not migrated) and the newest this code knows; raises
        the driver's error when the database cannot be reached."""
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        return current, ScriptDirectory(str(MIGRATIONS)).get_current_head()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (does nothing when it is already there). Processes
        starting together (the bot and its workers) migrate one after the other: a PostgreSQL advisory
        lock, or a lock file beside a SQLite database (`file_lock`)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with file_lock(self.engine, "migrate"), self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # a table copied during a migration must not cascade when the old one is dropped
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # (before any transaction: it is ignored in one)
                connection.commit()
            try:
                with connection.begin():
                    if not sqlite:
                        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                        raise RuntimeError(f"the migration left {len(broken)} rows pointing nowhere; rolled back")
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()

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
