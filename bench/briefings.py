"""Benchmark: 10,000 users whose briefings are due in the same minute, served by real `sleepcot run --worker`
processes, on SQLite and on PostgreSQL, with one and with two workers.

Each configuration gets a fresh database: the users (eight timezones, each user's briefing time set to the
same UTC minute, a couple of minutes ahead) with `--nights` simulated nights already stored, as a sync
would have left them (their baselines rows included). The workers start first, as in a running
deployment: the users' mornings become due (all users agree to the terms at once) when every worker is
ready and its writer processes have had `WARM_S` to start. The workers plan every user's morning, write
every briefing on the deterministic path (no model; each worker's writer processes, one per core) and
deliver them to a loopback Bot API that enforces Telegram's 30 messages/s (429 beyond).

Measured per configuration:
- generation: from the first morning planned to the last briefing written (the outbox's own timestamps;
  goal: 10 s or less), against the baseline measured in the same run — the one-user-at-a-time path
  `/today` takes (analyze_latest, write_briefing, save_briefing) timed on a sample and scaled to all users;
- delivery: messages per second at the loopback Bot API from the first to the last (goal: at least 95% of
  30/s), how many 429s, and how many users got no briefing or two (goal: none). With `--paid-rate R` the
  workers send paid broadcasts at R a second (the loopback holds those to Telegram's 1,000): delivery is
  then judged against R. Delivery is waited for while messages keep arriving (a run stops 30 s after the
  last one, or when all have arrived);
- the database's own load, on PostgreSQL (its cumulative statistics, from the moment the mornings are due
  until the workers have stopped; the bench's own polling, a few small queries a second, included):
  transactions and rows read and written per briefing, deadlocks, the tables read whole (sequential scans:
  how many, how many rows), the three indexes most read (entries), and how many sessions were waiting for
  a lock (row locks: the claims skip locked rows, the send budget and vendor budgets queue on theirs),
  sampled four times a second: the most at once and the mean.

Usage: .venv/bin/python -m bench.briefings [--users 10000] [--nights 60] [--workers 1,2]
[--databases sqlite,postgresql] [--paid-rate R]. PostgreSQL comes from SLEEPCOT_TEST_POSTGRES_URL
(scripts/postgres-test-server.sh starts one); without it only SQLite runs. The last line printed is one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.analysis.latest import analyze_latest
from sleepcot.coach.briefing import write_briefing
from sleepcot.domain import NIGHT_VALUE_FIELDS, Profile
from sleepcot.store import Store, baselines
from sleepcot.store.models import NightRow, OutboxRow, ProfileRow, User
from tests.loopback import closed_port
from tests.loopback.telegram_server import BotAPIServer

SLEEPCOT = Path(sys.executable).parent / "sleepcot"
TIMEZONES = ("UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
             "America/Sao_Paulo", "Asia/Tokyo")
LIMIT_PER_S = 30
GOAL_GENERATION_S = 10.0
GOAL_DELIVERY_RATIO = 0.95
SEEDS = 3
BASELINE_SAMPLE = 300
LEAD = timedelta(minutes=2)  # how far ahead of the seeding's end the briefings are due
FIRST_TELEGRAM_ID = 100_000
SEED_BLOCK = 1_000  # users seeded per transaction
QUIET_S = 30  # delivery is over when no message has arrived for this long (or all have)
WARM_S = 5  # a ready worker's writer processes import for a couple of seconds


def templates(today_by_zone: dict[str, date], count: int) -> dict[tuple[str, int], list[dict]]:
    """Night rows (without hypnograms) per (timezone, variant), from the simulator's personas."""
    made = {}
    for zone, today in today_by_zone.items():
        for variant in range(len(Persona) * SEEDS):
            persona = list(Persona)[variant % len(Persona)]
            nights = SimulatorAdapter(persona, variant, today, tz=zone).fetch_nights(today - timedelta(days=count - 1), today)
            made[zone, variant] = [{
                "source": "simulator", "vendor_id": n.vendor_id, "local_date": n.local_date, "kind": n.kind.value,
                "start_utc": n.start, "start_offset_s": int(n.start.utcoffset().total_seconds()),
                "end_utc": n.end, "end_offset_s": int(n.end.utcoffset().total_seconds()), "segments": None,
                **{name: getattr(n, name) for name in NIGHT_VALUE_FIELDS}} for n in nights]
    return made


def seed(store: Store, users: int, nights_each: int) -> None:
    """The users (not yet agreed to the terms: no morning is planned for them until `release`), their
    profiles and nights up to the local date of the coming briefing (`retime` sets it), a block of users at
    a time (100,000 users' nights at once would not fit in memory)."""
    now = datetime.now(UTC)
    due = now + LEAD + timedelta(minutes=1)
    today_by_zone = {zone: due.astimezone(ZoneInfo(zone)).date() for zone in TIMEZONES}
    nights = templates(today_by_zone, nights_each)
    for first in range(0, users, SEED_BLOCK):
        block = range(first, min(users, first + SEED_BLOCK))
        with store.engine.begin() as connection:
            connection.execute(insert(User), [{"id": i + 1, "telegram_id": FIRST_TELEGRAM_ID + i, "created_at": now,
                                               "consented_at": None} for i in block])
            connection.execute(insert(ProfileRow), [{
                "user_id": i + 1,
                "data": Profile(timezone=TIMEZONES[i % len(TIMEZONES)], weekly_day=None).model_dump(mode="json")}
                for i in block])
            connection.execute(insert(NightRow), [{**night, "user_id": i + 1} for i in block
                                                  for night in nights[TIMEZONES[i % len(TIMEZONES)],
                                                                      i % (len(Persona) * SEEDS)]])
        with Session(store.engine) as s, s.begin():  # what storing the nights through a sync leaves
            baselines.refresh(s, [i + 1 for i in block])


def retime(store: Store, users: int) -> datetime:
    """Move every briefing to one UTC minute, `LEAD` from now (seeding took a while)."""
    due = (datetime.now(UTC) + LEAD).replace(second=0, microsecond=0)
    statement = text("UPDATE profiles SET data = json_set(data, '$.briefing_time', :clock) WHERE user_id = :user"
                     if store.engine.dialect.name == "sqlite" else
                     "UPDATE profiles SET data = jsonb_set(data::jsonb, '{briefing_time}', to_jsonb(CAST(:clock AS text)))::json"
                     " WHERE user_id = :user")
    with store.engine.begin() as connection:
        connection.execute(statement, [{"clock": due.astimezone(ZoneInfo(TIMEZONES[i % len(TIMEZONES)])).time().isoformat(),
                                        "user": i + 1} for i in range(users)])
    return due


def release(store: Store) -> None:
    """Every user agrees to the terms at once: their mornings are due."""
    with store.engine.begin() as connection:
        connection.execute(update(User).values(consented_at=datetime.now(UTC)))


def wait_ready(ports: list[int]) -> None:
    """Until every worker's /readyz says ready (its scheduler has ticked), then `WARM_S` more."""
    deadline = time.monotonic() + 120
    for port in ports:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not become ready within 2 minutes")
            time.sleep(0.5)
    time.sleep(WARM_S)


def baseline_per_user_s(store: Store, users: int) -> float:
    """The one-user-at-a-time path (what /today does): seconds per user, on a sample."""
    sample = range(1, users + 1, max(1, users // BASELINE_SAMPLE))
    started = time.perf_counter()
    for user_id in sample:
        user = store.for_user(user_id)
        analysis = analyze_latest(user)
        reply = write_briefing(analysis, None, unavailable_reason="benchmark")
        user.save_briefing(analysis.night.local_date, reply.text, reply.as_dict())
    elapsed = time.perf_counter() - started
    with store.engine.begin() as connection:  # leave the workers a clean table
        connection.execute(text("DELETE FROM briefings"))
    return elapsed / len(sample)


def database(kind: str, tmp: Path, postgres: str | None) -> tuple[str, Callable[[], None]]:
    """A fresh database: a SQLite file, or a new schema on the PostgreSQL server (and how to drop it)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.db'}", lambda: None
    server = make_url(postgres)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    url = server.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    return url, drop


class DatabaseLoad:
    """PostgreSQL's counters over a run: the database's transactions and deadlocks, the run's schema's
    tables' rows read and written and sequential scans; and the sessions waiting for a lock, sampled."""

    COUNTERS = text("SELECT xact_commit + xact_rollback, deadlocks FROM pg_stat_database "
                    "WHERE datname = current_database()")
    TABLES = text("SELECT relname, seq_scan, seq_tup_read, coalesce(idx_tup_fetch, 0), "
                  "n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE schemaname = current_schema()")
    INDEXES = text("SELECT indexrelname, idx_tup_read FROM pg_stat_user_indexes WHERE schemaname = current_schema()")
    WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'")

    def __init__(self, store: Store) -> None:
        self.store, self.waiting = store, []
        self.on = store.engine.dialect.name == "postgresql"
        self.start = self._counters() if self.on else None

    def _counters(self) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]], dict[str, int]]:
        with self.store.engine.connect() as connection:  # a new transaction: statistics as they are now
            return (tuple(connection.execute(self.COUNTERS).one()),
                    {table: tuple(counts) for table, *counts in connection.execute(self.TABLES)},
                    dict(connection.execute(self.INDEXES).all()))

    def sample(self) -> None:
        if self.on:
            with self.store.engine.connect() as connection:
                self.waiting.append(connection.scalar(self.WAITING))

    def figures(self, briefings: int) -> dict | None:
        """Once the workers have stopped (their statistics are flushed when they exit)."""
        if not self.on:
            return None
        time.sleep(1)  # PostgreSQL publishes a backend's statistics at most once a second
        (before, tables_before, indexes_before), (after, tables_after, indexes_after) = self.start, self._counters()
        indexes = sorted(((read - indexes_before.get(index, 0), index) for index, read in indexes_after.items()),
                         reverse=True)
        transactions, deadlocks = (b - a for a, b in zip(before, after, strict=True))
        tables = {table: [b - a for a, b in zip(tables_before.get(table, (0, 0, 0, 0)), counts, strict=True)]
                  for table, counts in tables_after.items()}
        return {"transactions_per_briefing": round(transactions / briefings, 1),
                "rows_read_per_briefing": round(sum(seq + idx for _, seq, idx, _ in tables.values()) / briefings, 1),
                "rows_written_per_briefing": round(sum(written for *_, written in tables.values()) / briefings, 1),
                "deadlocks": deadlocks,
                "sequential_scans": {table: {"scans": scans, "rows": rows}
                                     for table, (scans, rows, _, _) in sorted(tables.items()) if scans},
                "index_entries_read": {index: read for read, index in indexes[:3] if read},
                "lock_waiters_max": max(self.waiting, default=0),
                "lock_waiters_mean": round(sum(self.waiting) / max(1, len(self.waiting)), 2)}


def run_config(kind: str, workers: int, users: int, nights: int, paid_rate: float | None, tmp: Path,
               postgres: str | None) -> dict:
    url, drop = database(kind, tmp, postgres)
    store = Store(url)
    store.migrate()
    budget = paid_rate or LIMIT_PER_S  # what delivery is judged against
    try:
        seed(store, users, nights)
        per_user = baseline_per_user_s(store, users)
        due = retime(store, users)
        with BotAPIServer(rate_limit_per_s=LIMIT_PER_S) as telegram:
            env = {key: value for key, value in os.environ.items() if not key.startswith("SLEEPCOT_")}
            env.update(SLEEPCOT_DATABASE_URL=url, SLEEPCOT_DATA_DIR=str(tmp / "data"),
                       SLEEPCOT_TELEGRAM_TOKEN=telegram.token, SLEEPCOT_TELEGRAM_API_URL=telegram.url,
                       SLEEPCOT_SECRET_KEYS=Fernet.generate_key().decode(), SLEEPCOT_SCHEDULER_TICK_S="1",
                       SLEEPCOT_LLM_BACKEND="none")
            if paid_rate:
                env.update(SLEEPCOT_TELEGRAM_PAID_BROADCAST="true", SLEEPCOT_TELEGRAM_BROADCAST_RATE=str(paid_rate))
            logs = [open(tmp / f"{kind}-{workers}-{n}.log", "w") for n in range(workers)]
            ports = [closed_port() for _ in logs]  # each worker's health endpoints
            processes = [subprocess.Popen([str(SLEEPCOT), "run", "--worker"], stdout=log, stderr=subprocess.STDOUT,
                                          env={**env, "SLEEPCOT_HTTP_PORT": str(port)})
                         for log, port in zip(logs, ports, strict=True)]
            try:
                wait_ready(ports)
                load = DatabaseLoad(store)
                release(store)
                generated = wait_generated(store, users, due, load)
                while datetime.now(UTC) < due:
                    time.sleep(0.25)
                    load.sample()
                arrived, quiet_since = 0, time.monotonic()
                while arrived < users and time.monotonic() - quiet_since < QUIET_S:
                    time.sleep(0.25)
                    load.sample()
                    if len(telegram.all_messages()) > arrived:
                        arrived, quiet_since = len(telegram.all_messages()), time.monotonic()
                time.sleep(2)  # a late duplicate would show now
            finally:
                for process in processes:
                    process.send_signal(signal.SIGTERM)
                for process in processes:
                    process.wait(60)
            chats = [m.chat_id for m in telegram.all_messages()]
            times = telegram.delivered_at
            rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
            return {"database": kind, "workers": workers, "users": users, "nights": nights,
                    "generation_s": round(generated, 2),
                    "baseline_generation_s": round(per_user * users, 1),
                    "generation_speedup": round(per_user * users / generated, 1),
                    "delivery_per_s": round(rate, 2), "delivery_of_limit": round(rate / budget, 3),
                    "paid_broadcasts": telegram.paid_broadcasts,
                    "lost": users - len(set(chats)), "duplicates": len(chats) - len(set(chats)),
                    "throttled": telegram.throttled, "database_load": load.figures(users)}
    finally:
        store.close()
        drop()


def wait_generated(store: Store, users: int, due: datetime, load: DatabaseLoad) -> float:
    """Seconds from the first morning planned to the last briefing written, once all are written."""
    c = OutboxRow.__table__.c
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with store.engine.connect() as connection:
            done = connection.scalar(select(func.count()).where(
                c.kind == "briefing", c.generated_at.is_not(None), c.due_at <= due + timedelta(minutes=1)))
            if done >= users:
                first, last = connection.execute(select(func.min(c.created_at), func.max(c.generated_at)).where(
                    c.kind == "briefing", c.generated_at.is_not(None))).one()
                return (last - first).total_seconds()
        time.sleep(0.25)
        load.sample()
    raise RuntimeError("the briefings were not all written within 10 minutes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=60)
    parser.add_argument("--paid-rate", type=float, default=None)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    postgres = os.environ.get("SLEEPCOT_TEST_POSTGRES_URL")
    kinds = [k for k in args.databases.split(",") if k == "sqlite" or postgres]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for workers in (int(w) for w in args.workers.split(",")):
                result = run_config(kind, workers, args.users, args.nights, args.paid_rate, Path(tmp), postgres)
                print(json.dumps(result), flush=True)
                results.append(result)
    print(json.dumps({
        "users": args.users, "limit_per_s": args.paid_rate or LIMIT_PER_S, "results": results,
        "goals": {"generation_s": GOAL_GENERATION_S, "delivery_of_limit": GOAL_DELIVERY_RATIO, "lost": 0},
        "skipped": [] if postgres else ["postgresql: SLEEPCOT_TEST_POSTGRES_URL not set"],
    }))


if __name__ == "__main__":
    main()
