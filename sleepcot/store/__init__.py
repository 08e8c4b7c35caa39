"""Persistence for SleepCoT: `Store` (the database, its migrations and its users) and `UserStore`
(one user's data, the only way to reach it). SQLite for one machine, PostgreSQL for several workers."""

from sleepcot.store.repository import Store, UnknownUser, UserStore

__all__ = ["Store", "UnknownUser", "UserStore"]
