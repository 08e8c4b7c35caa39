"""Benchmark: the first sync of 1,000 users spread over five vendors by `--workers` processes (3: as
`sleepcot run --worker` processes would), each syncing its share of the users, all on one database (a SQLite
file, or `--database URL`, e.g. PostgreSQL: an empty one), against loopback vendor servers (in this
process) that enforce each vendor's documented rate limits (sliding windows, app-wide and per token) with
429 / status 601 beyond them and count every request beyond them. The workers share the vendors' budgets
through the database (sleepcot/store/budgets.py); none may go over a limit.

The real limits are minutes and days long (WHOOP: 100 requests a minute for the whole app), so both the
servers and our client run with every window divided by `--time-scale` (10: a minute lasts 6 s). It is
kept low enough that the limits, not this machine's CPU (which also runs the loopback servers), bound the
run: on 2 cores the three workers together use about 40 s of CPU, which overlaps the limits' waits. The
baseline, computed in the same run from the requests each vendor actually served: the least time those
limits allow, i.e. for every window of N requests per T seconds, floor((requests - 1) / N) * T, the
largest over all windows of all vendors. Wall time runs from the moment every worker is ready (imported,
connected) until the last one is done. Reported: wall time, that minimum, their ratio, nights stored
against nights served (none may be lost), throttled answers (requests beyond a limit), failed syncs.
Usage: .venv/bin/python -m bench.sync [--users 1000] [--nights 28] [--time-scale 10] [--workers 3]
[--database URL]. Last line: one JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import subprocess
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


def settings_for(data_dir: str, origins: dict[str, str], clients: dict[str, list[str]]) -> Settings:
    return Settings(data_dir=Path(data_dir), public_url="https://coach.example.org", vendor_origins=origins,
                    **{f"{name}_client_{part}": value for name, client in clients.items()
                       for part, value in zip(("id", "secret"), client)})


def worker(config_path: str) -> None:
    """One worker process: sync the users named in the config once told to start (a line on stdin); print
    the number of failed syncs as JSON."""
    logging.basicConfig(level=logging.ERROR)
    config = json.loads(Path(config_path).read_text())
    settings = settings_for(config["data_dir"], config["origins"], config["clients"])
    vault = Vault([config["key"].encode()])
    store = Store(config["database"])
    users = [store.for_user(user_id) for user_id in config["user_ids"]]

    async def run() -> dict:
        hub = Hub(settings, vault, engine=store.engine, time_scale=config["time_scale"])
        try:
            return await sync_users(users, hub, concurrency=config["concurrency"],
                                    now=datetime.fromisoformat(config["now"]))
        finally:
            await hub.aclose()

    print("ready", flush=True)
    sys.stdin.readline()
    reports = asyncio.run(run())
    print(json.dumps({"failed": sum(len(r.failed) for r in reports.values())}), flush=True)
    store.close()


def run_workers(configs: list[Path]) -> tuple[float, int]:
    """Start one worker per config, start them all at once when all are ready; wall time and failed syncs."""
    processes = [subprocess.Popen([sys.executable, "-m", "bench.sync", "--as-worker", str(config)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
                 for config in configs]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a worker did not start")
    started = time.perf_counter()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    failed = 0
    for process in processes:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(f"a worker failed (exit {process.wait()})")
        failed += json.loads(line)["failed"]
    wall = time.perf_counter() - started
    for process in processes:
        process.wait()
    return wall, failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--nights", type=int, default=28)  # Polar serves 28 days
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=100, help="users synced at once by each worker")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--database", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--as-worker", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_worker:
        worker(args.as_worker)
        return
    logging.basicConfig(level=logging.ERROR)  # the recorded examples' oddities are logged once per night

    apis = [OuraAPI(), WhoopAPI(), WithingsAPI(), PolarAPI(), GoogleHealthAPI()]
    PolarAPI.today = TODAY
    servers = {api.name: VendorServer(api, time_scale=args.time_scale).start() for api in apis}
    key = Fernet.generate_key()
    vault = Vault([key])
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store(database)
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
        configs = []
        for shard in range(args.workers):
            config = Path(tmp) / f"worker{shard}.json"
            config.write_text(json.dumps({
                "data_dir": tmp, "database": database, "key": key.decode(), "time_scale": args.time_scale,
                "concurrency": args.concurrency, "now": datetime(2026, 11, 20, 12, 0).astimezone().isoformat(),
                "origins": {name: s.url for name, s in servers.items()},
                "clients": {name: list(s.api.client) for name, s in servers.items()},
                "user_ids": [u.user_id for u in users[shard::args.workers]]}))
            configs.append(config)
        wall, failed = run_workers(configs)
        stored = sum(len(store.for_user(u.user_id).nights(kind=None)) for u in users)
        store.close()
    for server in servers.values():
        server.stop()

    least = max(minimum_s(s, args.time_scale) for s in servers.values())
    figures = {
        "users": args.users,
        "vendors": len(servers),
        "workers": args.workers,
        "database": store.engine.dialect.name,
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
