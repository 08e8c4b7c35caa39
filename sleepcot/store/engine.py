"""The engine for a database URL — SQLite (WAL, foreign keys on, deleted content overwritten; the file only
its owner's, like the key; its folder made) or PostgreSQL through psycopg 3 —, the short transaction every
store method runs in, and `file_lock`, which serializes processes sharing a SQLite file where PostgreSQL
would use its own locks."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # a deleted user's rows are overwritten, not left in free pages
    cursor.close()


def _owner_only(database: Path) -> None:
    """Health data: the SQLite file readable by its owner only (SQLite gives its -wal and -shm files the
    database file's permissions), whatever the umask; a file made before this is narrowed too."""
    database.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists():
            path.chmod(0o600)


POOL_SIZE = 10  # connections one process keeps open: its event loop, the vendor budgets' threads, its other threads


def connect(url: str) -> Engine:
    """An engine for `url`: SQLite (see the module docstring) or PostgreSQL through psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, pool_size=POOL_SIZE)
    database = parsed.database or ":memory:"
    if database == ":memory:":  # one shared connection, or each would see its own empty database
        engine = create_engine(parsed, poolclass=StaticPool)
    else:
        _owner_only(Path(database).expanduser())
        engine = create_engine(parsed, pool_size=POOL_SIZE)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        yield session


@contextmanager
def file_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the exclusive lock `name` among every process using this SQLite file (a lock file in a folder
    beside it; blocking: call it from a thread); nothing for PostgreSQL or an in-memory database."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    folder = Path(database).expanduser().with_name(Path(database).name + ".locks")
    folder.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
