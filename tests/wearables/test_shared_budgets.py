"""Vendor budgets shared by every process on one database (sleepcot/store/budgets.py): worker processes that
sync their own users against one loopback vendor together stay within the vendor's app-wide limit (the
server counts every request beyond it), lose no night, and a vendor's Retry-After stops all of them. On
SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from integrations.sync import Hub, sync_all, sync_users
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Profile
from sleepcot.store import Store, UserStore
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
