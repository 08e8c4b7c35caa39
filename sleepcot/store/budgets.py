"""Vendor rate limits shared by every process on one database (the Telegram budget's `Pacer` does the same
for sends): N worker processes, the bot's /sync and the scheduler together stay within each vendor's
documented limits, app-wide and per token, and a vendor's Retry-After stops all of them.

A window of N requests per T seconds is N *lanes*. A request takes a free lane of every window it goes
through, in one short transaction; the lane is busy while the request is in flight and frees T after the
vendor ANSWERED (the vendor counted the request at some moment before its answer reached us, so no two
requests of one lane reach the vendor less than T apart, whatever the network's or the event loop's delays,
and so no T-long stretch sees more than N). Bursts are kept: N requests go at once, the next N as soon as
the first ones' T has passed, which is what a sliding window allows; spacing requests T/N apart would
lose ~1/N of a window per burst and more when requests arrive unevenly. A lane whose request never
reported back (its process died) frees `in_flight_s` + T after it was taken.

Every taker first locks the window's row in `vendor_budgets` (an upsert: on PostgreSQL a row lock, in key
order so takers never deadlock; on SQLite the first write takes the database's one write lock, held for a
few statements), reads the time from the database (one clock for every process and machine), then picks
lanes: as many as the process has requests waiting for those windows (up to the free ones), so a burst of
N requests is a few transactions, not N of them queued on one row lock. `done` is told when each answer
came, so its lanes free T after that moment however long the call waited for a thread or a connection.
The row also holds `held_until`: the vendor said 429, nobody sends on this window until then.
Without an engine the same tables live in an in-memory SQLite database of this process (tests, one-off
commands): limits then hold within the process only.

Why not pyrate-limiter (4.6, which the issue suggested): its SQLite bucket wants a raw `sqlite3`
connection and its Postgres bucket a psycopg pool, beside our SQLAlchemy engines and outside our
migrations; it stamps a request when it is *allowed*, not when the vendor answered, so client-side
delays let a later window's requests reach the vendor early (the 429s the single-process benchmark saw);
and it has no shared "hold everything until" for Retry-After. Keeping it exact would mean wrapping every
part of it; the lanes below are ~100 lines on tables we already migrate and back up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from sleepcot.store.models import VendorBudgetLaneRow, VendorBudgetRow

IN_FLIGHT_S = 120.0  # a request not reported back after this long is over (its process died)


@dataclass(frozen=True)
class Window:
    """N `requests` per `period_s` (seconds as the caller waits them: scaled, margin included) under `key`."""

    key: str
    requests: int
    period_s: float


@dataclass(frozen=True)
class Ticket:
    """The lanes one request took: (window key, lane, period_s, the lane's free_at while in flight)."""

    lanes: tuple[tuple[str, int, float, float], ...]


# Plain SQL, the same on SQLite (3.35+) and PostgreSQL but for the clock, prepared once: a budget is taken
# per request. `{now}`: epoch seconds by the database's clock (read after the row lock is taken).
_NOW = {"postgresql": "extract(epoch FROM clock_timestamp())::float8",
        "sqlite": "(julianday('now') - 2440587.5) * 86400.0"}
_LOCK = ("INSERT INTO vendor_budgets (key, held_until) VALUES (:key, 0) ON CONFLICT (key) "
         "DO UPDATE SET held_until = vendor_budgets.held_until RETURNING held_until, {now}")
_FREE = text("SELECT lane FROM vendor_budget_lanes WHERE key = :key AND lane < :n AND free_at <= :now "
             "ORDER BY free_at LIMIT :count")
_COUNT = text("SELECT count(*) FROM vendor_budget_lanes WHERE key = :key AND lane < :n")
_EARLIEST = text("SELECT min(CASE WHEN busy AND free_at > :soon THEN :soon ELSE free_at END) "
                 "FROM vendor_budget_lanes WHERE key = :key AND lane < :n")
_TAKE = text("INSERT INTO vendor_budget_lanes (key, lane, free_at, busy) VALUES (:key, :lane, :free_at, true) "
             "ON CONFLICT (key, lane) DO UPDATE SET free_at = :free_at, busy = true")
_DONE = ("UPDATE vendor_budget_lanes SET free_at = {now} - :ago_s + :period_s, busy = false "
         "WHERE key = :key AND lane = :lane AND free_at = :busy_free_at")
_HOLD = ("UPDATE vendor_budgets SET held_until = CASE WHEN held_until > {now} + :seconds THEN held_until "
         "ELSE {now} + :seconds END WHERE key = :key")


class VendorBudgets:
    """See the module docstring. `take(windows, count)`: up to `count` Tickets (send one request per ticket
    now, then tell `done` when it was answered), or the seconds to wait before asking again.
    `hold(keys, seconds)`: nobody sends on those windows until then. Blocking calls (run them in a thread),
    except when `local` (in-memory: microseconds)."""

    def __init__(self, engine: Engine | None = None, in_flight_s: float = IN_FLIGHT_S) -> None:
        self.local = engine is None
        if engine is None:
            engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
            tables = [VendorBudgetRow.__table__, VendorBudgetLaneRow.__table__]
            VendorBudgetRow.metadata.create_all(engine, tables=tables)
        self.engine, self.in_flight_s = engine, in_flight_s
        now = _NOW[engine.dialect.name]
        self._lock_sql, self._done_sql, self._hold_sql = (text(sql.format(now=now)) for sql in (_LOCK, _DONE, _HOLD))

    def _lock(self, c: Connection, windows: Iterable[str]) -> tuple[float, float]:
        """Lock the windows' rows (made if new), in key order, until the transaction ends: the latest
        `held_until` among them and the time, read once they are locked."""
        held, now = 0.0, 0.0
        for key in sorted(windows):
            until, now = c.execute(self._lock_sql, {"key": key}).one()
            held = max(held, float(until))
        return held, float(now)

    def take(self, windows: Sequence[Window], count: int = 1) -> tuple[Ticket, ...] | float:
        """Lanes for up to `count` requests through all of `windows` (at least one), or the wait."""
        with self.engine.begin() as c:
            held, now = self._lock(c, (w.key for w in windows))
            wait = held - now
            free = []
            for window in windows:
                lanes, free_in = self._free_lanes(c, window, now, count)
                wait = max(wait, free_in)
                free.append(lanes)
            if wait > 0:
                return wait
            busy_until = now + self.in_flight_s
            tickets = tuple(Ticket(tuple((window.key, lanes[i], window.period_s, busy_until + window.period_s)
                                         for window, lanes in zip(windows, free, strict=True)))
                            for i in range(min(len(lanes) for lanes in free)))
            c.execute(_TAKE, [{"key": key, "lane": lane, "free_at": free_at}
                              for ticket in tickets for key, lane, _, free_at in ticket.lanes])
            return tickets

    @staticmethod
    def _free_lanes(c: Connection, window: Window, now: float, count: int) -> tuple[list[int], float]:
        """Up to `count` lanes of `window` free now and 0, or none and the seconds until one may be (a busy
        lane frees no sooner than a period from now)."""
        mine = {"key": window.key, "n": window.requests}
        lanes = list(c.execute(_FREE, {**mine, "now": now, "count": count}).scalars())
        if len(lanes) < count:
            made = c.execute(_COUNT, mine).scalar_one()  # new lanes are numbered 0.. in the order they are made
            lanes += range(made, min(window.requests, made + count - len(lanes)))
        if lanes:
            return lanes, 0.0
        return [], float(c.execute(_EARLIEST, {**mine, "soon": now + window.period_s}).scalar_one()) - now

    def done(self, answered: Sequence[tuple[Ticket, float]]) -> None:
        """Requests ended (answered, or failed after maybe reaching the vendor), each at its moment (this
        process's `time.monotonic()`): their lanes free a period after that, unless another taker took them
        over already (the request outlived `in_flight_s`)."""
        now = time.monotonic()
        with self.engine.begin() as c:
            c.execute(self._done_sql, [{"key": key, "lane": lane, "period_s": period_s, "busy_free_at": busy_free_at,
                                        "ago_s": max(0.0, now - moment)}
                                       for ticket, moment in answered
                                       for key, lane, period_s, busy_free_at in ticket.lanes])

    def hold(self, keys: Iterable[str], seconds: float) -> None:
        """The vendor said wait `seconds`: no request on these windows before then, in any process."""
        keys = sorted(set(keys))
        with self.engine.begin() as c:
            self._lock(c, keys)
            c.execute(self._hold_sql, [{"key": key, "seconds": seconds} for key in keys])
