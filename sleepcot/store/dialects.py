"""What differs between the two databases we run on, SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert_insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which offers ON CONFLICT … DO UPDATE / DO NOTHING."""
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[session.get_bind().dialect.name]
