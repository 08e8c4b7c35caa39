"""Benchmark: the first sync of 1,000 users spread over five vendors, against loopback vendor servers that
enforce each vendor's documented rate limits (sliding windows, app-wide and per token) with 429 / status
601 beyond them.

The real limits are minutes and days long (WHOOP: 100 requests a minute for the whole app), so both the
servers and our client run with every window divided by `--time-scale` (10: a minute lasts 6 s). It is
kept low enough that the limits, not this machine's CPU (which also runs the loopback servers), bound the
run: on 2 cores the whole sync costs about 30 s of processing, which overlaps the limits' waits. The baseline, computed in the same run from the requests each vendor
actually served: the least time those limits allow, i.e. for every window of N requests per T seconds,
floor((requests - 1) / N) * T, the largest over all windows of all vendors. Reported: wall time, that
minimum, their ratio, nights stored against nights served (none may be lost), throttled answers.
Usage: .venv/bin/python -m bench.sync [--users 1000] [--nights 28] [--time-scale 10]. Last line: one JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from integrations.sync import Hub, sync_users
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Profile
from sleepcot.store import Store
from tests.loopback.vendor_apis import GoogleHealthAPI, OuraAPI, PolarAPI, WhoopAPI, WithingsAPI
from tests.loopback.vendor_server import VendorServer

TODAY = date(2026, 11, 20)
TIMEZONES = ("Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Sydney", "America/Los_Angeles")


def minimum_s(server: VendorServer, time_scale: float) -> float:
    """The least time the vendor's limits allow for the requests it served."""
    served = server.data_requests
    per_user = served / max(1, len(server.accounts))
    least = 0.0
    for requests, period_s, scope in server.api.limits:
        count = served if scope == "app" else per_user
        least = max(least, math.floor(max(0, count - 1) / requests) * period_s / time_scale)
    return least


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--nights", type=int, default=28)  # Polar serves 28 days
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the recorded examples' oddities are logged once per night

    apis = [OuraAPI(), WhoopAPI(), WithingsAPI(), PolarAPI(), GoogleHealthAPI()]
    PolarAPI.today = TODAY
    servers = {api.name: VendorServer(api, time_scale=args.time_scale).start() for api in apis}
    vault = Vault([Fernet.generate_key()])
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), public_url="https://coach.example.org",
                            vendor_origins={name: s.url for name, s in servers.items()},
                            **{f"{name}_client_{part}": value for name, s in servers.items()
                               for part, value in zip(("id", "secret"), s.api.client)})
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        nights = [TODAY - timedelta(days=i) for i in range(args.nights)]
        users = []
        for i in range(args.users):
            server = servers[apis[i % len(apis)].name]
            user = store.for_user(store.create_user(Profile(timezone=TIMEZONES[i % len(TIMEZONES)])))
            account = server.add_account(nights)
            account.registered = True  # Polar: done when the user connected
            token = server.token_for(account)
            user.save_credential(server.api.name, *vault.encrypt({"token": token}))
            users.append(user)

        async def run() -> dict:
            hub = Hub(settings, vault, time_scale=args.time_scale)
            try:
                return await sync_users(users, hub, concurrency=args.concurrency,
                                        now=datetime(2026, 11, 20, 12, 0).astimezone())
            finally:
                await hub.aclose()

        started = time.perf_counter()
        reports = asyncio.run(run())
        wall = time.perf_counter() - started
        stored = sum(len(store.for_user(u.user_id).nights(kind=None)) for u in users)
        failed = sum(len(r.failed) for r in reports.values())
    for server in servers.values():
        server.stop()

    least = max(minimum_s(s, args.time_scale) for s in servers.values())
    figures = {
        "users": args.users,
        "vendors": len(servers),
        "time_scale": args.time_scale,
        "wall_s": round(wall, 2),
        "minimum_by_limits_s": round(least, 2),
        "ratio_vs_minimum": round(wall / least, 3) if least else None,
        "requests": sum(s.data_requests for s in servers.values()),
        "throttled": sum(s.throttled for s in servers.values()),
        "nights_expected": args.users * args.nights,
        "nights_stored": stored,
        "lost": args.users * args.nights - stored,
        "failed_syncs": failed,
        "per_vendor_minimum_s": {name: round(minimum_s(s, args.time_scale), 2) for name, s in servers.items()},
    }
    for name, value in figures.items():
        print(f"{name:>22}: {value}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
