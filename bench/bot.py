"""Benchmark: many simulated users messaging the bot at once through the loopback Bot API.

The real PTB Application (`bot.app.run`) polls a loopback Bot API that enforces Telegram's ~30 messages/s
(429 + retry_after beyond it). Measured in one run:
- handler latency (message pushed -> reply delivered), p50 and p99, for /today (sync, analysis, briefing)
  on the deterministic path (no model) and with the embedded model (one model call at a time, the default);
- delivery: every user sends /help at once; replies delivered per second, against the same burst sent by a
  bare PTB bot with the same AIORateLimiter (the baseline) and against the 30/s limit; 429s, lost replies;
- a flood: one user sends 1,000 messages while the others send /help; their /help p99 against the same
  burst without the flood, measured just before it.
Usage: .venv/bin/python -m bench.bot [--users 200] [--model-users 8] [--flood 1000]. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet
from telegram.ext import ExtBot

from bot.app import rate_limiter
from integrations.simulator import Persona, persona_profile
from integrations.sync import Hub, connect_simulator, sync_users
from sleepcot.coach.llm import LLM, EmbeddedLLM, smollm2_gguf
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.store import Store
from tests.loopback import closed_port
from tests.loopback.bot_runner import RunningBot
from tests.loopback.telegram_server import BotAPIServer

LIMIT_PER_S = 30
FIRST_ID = 10_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seed_users(store: Store, vault: Vault, count: int) -> list[int]:
    """Users who finished onboarding, with a simulated wearable and its nights already synced."""
    personas = list(Persona)
    telegram_ids, users = [], []
    for i in range(count):
        persona = personas[i % len(personas)]
        user = store.for_user(store.create_user(persona_profile(persona), telegram_id=FIRST_ID + i))
        user.consent()
        connect_simulator(user, vault, persona, i)
        users.append(user)
        telegram_ids.append(FIRST_ID + i)
    asyncio.run(sync_users(users, Hub(Settings(), vault)))
    return telegram_ids


def latencies(server: BotAPIServer, telegram_ids: list[int], text: str) -> list[float]:
    """Every user sends `text` at the same moment; seconds until each one's reply arrived."""
    results: dict[int, float] = {}
    start = threading.Barrier(len(telegram_ids))

    def one(telegram_id: int) -> None:
        user = server.user(telegram_id)
        user.wait_for_messages(0)  # mark what was already there
        start.wait()
        sent = time.monotonic()
        user.send(text)
        user.wait_for_messages(1, timeout=900)
        results[telegram_id] = time.monotonic() - sent

    threads = [threading.Thread(target=one, args=(tid,)) for tid in telegram_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return list(results.values())


def delivery_rate(server: BotAPIServer, before: int) -> float:
    stamps = server.delivered_at[before:]
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def bare_ptb_burst(server: BotAPIServer, telegram_ids: list[int]) -> float:
    """The baseline: the same burst sent straight from a PTB bot with the same rate limiter, no handlers."""
    before = len(server.delivered_at)

    async def burst() -> None:
        bot = ExtBot(server.token, base_url=f"{server.url}/bot", rate_limiter=rate_limiter())
        async with bot:
            await asyncio.gather(*(bot.send_message(tid, "<b>SleepCoT</b> baseline") for tid in telegram_ids))

    asyncio.run(burst())
    return delivery_rate(server, before)


def flood(server: BotAPIServer, telegram_ids: list[int], messages: int) -> dict[str, float]:
    """The others' /help p99 while the first user floods, against the same burst just before without it."""
    flooder, others = telegram_ids[0], telegram_ids[1:]
    calm = percentile(latencies(server, others, "/help"), 0.99)
    user = server.user(flooder)
    before = len(user.messages())
    sender = threading.Thread(target=lambda: [user.send("/help") for _ in range(messages)])
    sender.start()
    flooded = percentile(latencies(server, others, "/help"), 0.99)
    sender.join()
    return {"flood_messages": messages, "help_p99_calm_s": round(calm, 3), "help_p99_flooded_s": round(flooded, 3),
            "flooded_vs_calm": round(flooded / calm, 2), "flooder_answers": len(user.messages()) - before}


def run_bot(server: BotAPIServer, data: Path, name: str, llm: LLM | None, count: int,
            key: str) -> tuple[RunningBot, list[int]]:
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / name}.db", telegram_token=server.token, scheduler=False,
                        telegram_api_url=server.url, telegram_stream_interval_s=0, secret_keys=key,
                        http_port=closed_port())
    store = Store(settings.effective_database_url)
    store.migrate()
    ids = seed_users(store, Vault.from_settings(settings), count)
    return RunningBot(settings, store, llm, None if llm else "benchmark: deterministic path").start(), ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200, help="users in the deterministic and delivery runs")
    parser.add_argument("--model-users", type=int, default=8, help="users in the embedded-model run")
    parser.add_argument("--flood", type=int, default=1000, help="messages the flooding user sends")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="sleepcot-bench-"))
    key = Fernet.generate_key().decode()
    figures: dict[str, object] = {"users": args.users, "model_users": args.model_users, "limit_per_s": LIMIT_PER_S}

    with BotAPIServer(rate_limit_per_s=LIMIT_PER_S) as server:
        bot, ids = run_bot(server, data, "deterministic", None, args.users, key)
        waited = latencies(server, ids, "/today")
        figures["deterministic_p50_s"] = round(statistics.median(waited), 3)
        figures["deterministic_p99_s"] = round(percentile(waited, 0.99), 3)
        before = len(server.delivered_at)
        answered = latencies(server, ids, "/help")  # a light handler: the rate limit is what bounds it
        figures["delivered_per_s"] = round(delivery_rate(server, before), 1)
        figures["lost"] = args.users - len(answered)
        figures.update(flood(server, ids, args.flood))
        bot.stop()
        figures["baseline_bare_ptb_per_s"] = round(bare_ptb_burst(server, ids), 1)
        figures["throttled_429"] = server.throttled

        if args.model_users:  # 0: the deterministic and delivery runs only
            llm = EmbeddedLLM(smollm2_gguf())
            bot, ids = run_bot(server, data, "model", llm, args.model_users, key)
            waited = latencies(server, ids, "/today")
            figures["model_p50_s"] = round(statistics.median(waited), 3)
            figures["model_p99_s"] = round(percentile(waited, 0.99), 3)
            bot.stop()

    figures["delivered_vs_limit"] = round(figures["delivered_per_s"] / LIMIT_PER_S, 3)
    figures["delivered_vs_bare_ptb"] = round(figures["delivered_per_s"] / figures["baseline_bare_ptb_per_s"], 3)
    for name, value in figures.items():
        print(f"{name:>26}: {value}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
