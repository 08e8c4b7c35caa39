"""What the tests read straight from the database, past the store's API: a user's rows in every table, and
when they consented."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from sleepcot.store.models import Base, InviteRow, User


def rows_of_user(engine: Engine, user_id: int) -> dict[str, int]:
    """How many rows of each table that holds user data belong to the user (every table but the shared
    send and vendor budgets, and the Telegram ids the operator blocked, which outlive the users they
    removed)."""
    owners = {User.__tablename__: User.id, InviteRow.__tablename__: InviteRow.used_by}
    counts = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            owner = owners.get(table.name, table.c.get("user_id"))
            if owner is None:
                assert table.name in ("send_pacing", "vendor_budgets", "vendor_budget_lanes", "blocked"), \
                    f"{table.name} holds no user's data: say so here"
                continue
            counts[table.name] = connection.scalar(select(func.count()).select_from(table).where(owner == user_id))
    return counts


def consented_at(engine: Engine, user_id: int) -> datetime | None:
    """When the user accepted the terms (None: not yet), as the users table holds it."""
    with engine.connect() as connection:
        return connection.scalar(select(User.consented_at).where(User.id == user_id))
