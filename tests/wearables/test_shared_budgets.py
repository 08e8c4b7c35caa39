"""Vendor budgets shared by every process on one database (sleepcot/store/budgets.py): worker processes that
sync their own users against one loopback vendor together stay within the vendor's app-wide limit (the
server counts every request beyond it), lose no night, and a vendor's Retry-After stops all of them; one
process's waiting requests take their lanes together, free them a period after the answer, and neither
leak lanes when given up nor hang when the database fails. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from integrations.base import RateLimit
from integrations.http import RateLimiter
from integrations.sync import Hub, sync_all, sync_users
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Profile
from sleepcot.store import Store, UserStore
from sleepcot.store.budgets import Ticket, VendorBudgets, Window
from tests.loopback.vendor_apis import WhoopAPI
from tests.loopback.vendor_server import VendorServer

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, 0).astimezone()
NIGHTS = [TODAY - timedelta(days=i) for i in range(7)]
TIME_SCALE = 30.0  # WHOOP's 100 requests a minute: 100 in 2 s


@pytest.fixture
def whoop() -> Iterator[VendorServer]:
    server = VendorServer(WhoopAPI(), time_scale=TIME_SCALE).start()
    try:
        yield server
    finally:
        server.stop()


def _settings(tmp_path, server: VendorServer) -> dict:
    return {"data_dir": str(tmp_path), "public_url": "https://coach.example.org",
            "vendor_origins": {"whoop": server.url}, "whoop_client_id": server.api.client[0],
            "whoop_client_secret": server.api.client[1]}


def _users(store: Store, vault: Vault, server: VendorServer, count: int) -> list[UserStore]:
    users = []
    for _ in range(count):
        user = store.for_user(store.create_user(Profile(timezone="Europe/Berlin")))
        user.save_credential("whoop", *vault.encrypt({"token": server.token_for(server.add_account(NIGHTS))}))
        users.append(user)
    return users


def _worker(database_url: str, key: bytes, settings: dict, user_ids: list[int], start, reports) -> None:
    """A `sleepcot run --worker` process, as far as syncing goes: its own Store, Vault and Hub."""
    store = Store(database_url)

    async def run() -> list[str]:
        hub = Hub(Settings(**settings), Vault([key]), engine=store.engine, time_scale=TIME_SCALE)
        try:
            found = await sync_users([store.for_user(i) for i in user_ids], hub, concurrency=20, now=NOW)
        finally:
            await hub.aclose()
        return [reason for report in found.values() for _, reason in report.failed]

    start.wait()
    reports.put(asyncio.run(run()))
    store.close()


def test_three_worker_processes_together_stay_within_the_vendors_app_wide_limit(tmp_path, database_url, whoop):
    store = Store(database_url)
    store.migrate()
    key = Fernet.generate_key()
    users = _users(store, Vault([key]), whoop, 70)  # two requests each
    context = multiprocessing.get_context("spawn")
    start, reports = context.Barrier(3), context.Queue()
    shares = [[u.user_id for u in users[i::3]] for i in range(3)]
    processes = [context.Process(target=_worker, args=(database_url, key, _settings(tmp_path, whoop), share,
                                                       start, reports)) for share in shares]
    for process in processes:
        process.start()
    failures = [reports.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)

    assert failures == [[], [], []]
    assert whoop.data_requests > 100  # more than one minute's worth: the limit was what paced them
    assert whoop.throttled == 0  # and not one request went beyond it
    assert sum(len(user.nights(kind=None)) for user in users) == len(users) * len(NIGHTS)  # none lost
    window = 60 / TIME_SCALE
    times = sorted(moment for moment, path in whoop.request_times if "oauth" not in path)
    assert times[100] - times[0] >= window  # the 101st a minute (scaled) after the first
    store.close()


def test_a_vendors_retry_after_holds_every_process(tmp_path, database_url, whoop):
    """One worker is told 429 with Retry-After: 60 (2 s, scaled); another, on its own connection to the same
    database and starting its sync only then, sends nothing to the vendor before those 2 s are over."""
    store = Store(database_url)
    store.migrate()
    vault = Vault([Fernet.generate_key()])
    first, second = _users(store, vault, whoop, 2)
    whoop.fail_next(1, 429, {"message": "Too Many Requests"}, {"Retry-After": "60"})
    hold_s = 60 / TIME_SCALE
    settings = Settings(**_settings(tmp_path, whoop))
    other = Store(database_url)  # the other process's engine

    async def run() -> list:
        hubs = [Hub(settings, vault, engine=store.engine, time_scale=TIME_SCALE),
                Hub(settings, vault, engine=other.engine, time_scale=TIME_SCALE)]
        try:
            told = asyncio.create_task(sync_all(first, hubs[0], now=NOW))
            with store.engine.connect() as connection:  # until the first worker has recorded the vendor's word
                while not connection.execute(text("SELECT max(held_until) FROM vendor_budgets")).scalar():
                    await asyncio.sleep(0.01)
                    connection.rollback()
            started = time.monotonic()
            reports = await asyncio.gather(told, sync_all(other.for_user(second.user_id), hubs[1], now=NOW))
            return [started, *reports]
        finally:
            for hub in hubs:
                await hub.aclose()

    started, *reports = asyncio.run(run())
    told_at = min(moment for moment, path in whoop.request_times if "oauth" not in path)
    assert started - told_at < hold_s / 2  # the second worker began well inside the hold
    later = sorted(moment for moment, path in whoop.request_times if "oauth" not in path)[1:]
    assert later and min(later) - told_at >= hold_s * 0.95  # nobody sent before the vendor's time was up
    assert [r.failed for r in reports] == [[], []]
    assert len(first.nights(kind=None)) == len(second.nights(kind=None)) == len(NIGHTS)
    other.close()
    store.close()


def _limiter(store: Store, requests: int, period_s: float) -> RateLimiter:
    return RateLimiter("whoop", (RateLimit(requests, period_s, "app", "test"),), VendorBudgets(store.engine))


def test_a_burst_of_waiting_requests_takes_its_lanes_in_a_few_transactions(store):
    """A hundred requests of one process waiting for one app-wide window of 100 all go at once, and the
    database is asked for their lanes a few times, not a hundred times one after another on one row lock."""
    limiter = _limiter(store, 100, 60.0)
    locks = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda *args: locks.append(1) if "INSERT INTO vendor_budgets " in args[2] else None)

    async def burst() -> list[Ticket]:
        return await asyncio.gather(*(limiter.acquire("user") for _ in range(100)))

    tickets = asyncio.run(burst())
    lanes = [lane for ticket in tickets for _, lane, _, _ in ticket.lanes]
    assert sorted(lanes) == list(range(100))  # each lane once
    assert len(locks) <= 10


def test_a_lane_frees_a_period_after_the_answer_however_late_the_database_hears_of_it(store):
    """The vendor answered; the process told the database 0.6 s later (its threads busy): the lane frees
    1 s after the answer, not 1 s after the database heard."""
    budgets = VendorBudgets(store.engine)
    window = [Window("whoop:app:1/1s", 1, 1.0)]
    (ticket,) = budgets.take(window)
    answered = time.monotonic()
    time.sleep(0.6)
    budgets.done([(ticket, answered)])
    wait = budgets.take(window)
    assert isinstance(wait, float) and 0.2 < wait <= 0.45


def test_requests_given_up_while_waiting_for_a_lane_leave_the_budget_as_they_found_it(store):
    """Twenty requests wait for a window of 2 lanes a second and are given up at different moments (a
    /today that stopped waiting); the two lanes are free again a second after their answers, not busy for
    the two minutes a lost request holds one."""
    limiter = _limiter(store, 2, 1.0)

    async def run() -> float:
        first = [await limiter.acquire("user") for _ in range(2)]
        waiting = [asyncio.create_task(limiter.acquire("user")) for _ in range(20)]
        for task in waiting:
            await asyncio.sleep(0.01)
            task.cancel()
        for ticket in first:
            await limiter.release(ticket)
        await asyncio.gather(*waiting, return_exceptions=True)
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(limiter.acquire("user"), limiter.acquire("user")), 5)
        return time.monotonic() - started

    assert asyncio.run(run()) < 1.5


def test_a_request_waiting_for_its_lane_hears_when_the_database_fails(tmp_path):
    """The budgets' tables are gone (a database restored from a broken backup): the request fails with the
    database's error at once instead of waiting forever."""
    store = Store(f"sqlite:///{tmp_path / 'data' / 'sleepcot.db'}")  # never migrated: no budget tables
    limiter = _limiter(store, 100, 60.0)

    async def run() -> None:
        await asyncio.wait_for(asyncio.gather(*(limiter.acquire("user") for _ in range(5))), 5)

    with pytest.raises(OperationalError):
        asyncio.run(run())
    store.close()
