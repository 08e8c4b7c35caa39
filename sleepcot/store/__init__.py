"""Persistence for SleepCoT: `Store` (the database, its migrations, its users and invites, the scheduler's
batch reads) and `UserStore` (one user's data, the only way to reach it). SQLite for one machine, PostgreSQL
for several workers. One module each: engine (connections, transactions), database (migrations, the outbox,
a store per user), accounts (users, invites), batch (reads across users), user (`UserStore`), history (a
history question's one query), rows (nights to rows and back), models (the tables), outbox (the scheduler's
queue and send pacing)."""

from sleepcot.store.accounts import Accounts
from sleepcot.store.batch import BatchReads
from sleepcot.store.user import Pending, UnknownUser, UserStore

__all__ = ["Pending", "Store", "UnknownUser", "UserStore"]


class Store(Accounts, BatchReads):
    """The database: migrations, users and invites, batch reads for the scheduler, and a `UserStore` per user."""
