"""Paid broadcasts, an operator's option: with SLEEPCOT_TELEGRAM_PAID_BROADCAST every scheduled message is
sent with allow_paid_broadcast, so the shared send budget may go past Telegram's free 30 a second; without
it, a budget above that is refused at start. The real `Delivery` through a python-telegram-bot `Bot` to the
loopback Bot API, which holds unpaid sends to 30 a second and paid ones to 1,000."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session
from telegram import Bot

from bot.delivery import Delivery
from sleepcot.config import Settings
from sleepcot.domain import Profile
from sleepcot.store import Store
from sleepcot.store.models import OutboxRow
from tests.loopback.telegram_server import BotAPIServer

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
USERS = 150


def due_briefings(store: Store, users: int) -> None:
    """`users` users, each with a briefing written and due now."""
    ids = [store.create_user(Profile(), telegram_id=5000 + i, consented=True) for i in range(users)]
    with store.engine.begin() as connection:
        connection.execute(insert(OutboxRow), [
            {"user_id": user_id, "local_date": NOW.date(), "kind": "briefing", "state": "generated", "attempts": 0,
             "payload": {"html": f"Good morning, {user_id}.", "language": "en"}, "due_at": NOW, "created_at": NOW,
             "generated_at": NOW} for user_id in ids])


async def deliver_all(store: Store, telegram: BotAPIServer, rate: float, paid: bool) -> None:
    async with Bot(telegram.token, base_url=f"{telegram.url}/bot") as bot:
        delivery = Delivery(store, store.outbox("A"), store.pacer(rate), bot, lambda: NOW, timedelta(minutes=5),
                            paid_broadcast=paid)
        while await delivery.batch():
            pass


def test_paid_broadcasts_go_past_the_free_limit_and_are_never_throttled(store: Store) -> None:
    due_briefings(store, USERS)
    with BotAPIServer(rate_limit_per_s=30) as telegram:
        asyncio.run(deliver_all(store, telegram, rate=300, paid=True))
        chats = [m.chat_id for m in telegram.all_messages()]
        assert sorted(chats) == list(range(5000, 5000 + USERS))  # each user once
        assert telegram.paid_broadcasts == USERS and telegram.throttled == 0
        # at 300 a second a free budget would have met Telegram's 30 within the first second
        assert max(_per_second(telegram.delivered_at)) > 30


def test_at_a_paid_rate_the_database_is_not_written_once_per_message(store: Store) -> None:
    """At hundreds of messages a second, a transaction per message for the pace and two for the outbox
    would keep the database busy for nothing (and on SQLite, writers queue for its one lock): the budget is
    taken a block of slots at a time, and the outbox records what sends at once did together (how many
    depends on how busy the database is: here, at 300 a second, most are recorded alone)."""
    due_briefings(store, USERS)
    pacing, transactions = [], []

    def statement(_conn, _cursor, sql: str, *_args) -> None:
        if sql.lstrip().upper().startswith("UPDATE SEND_PACING "):
            pacing.append(sql)

    def commit(connection) -> None:
        transactions.append(connection)

    event.listen(store.engine, "before_cursor_execute", statement)
    event.listen(store.engine, "commit", commit)
    try:
        with BotAPIServer(rate_limit_per_s=30) as telegram:
            asyncio.run(deliver_all(store, telegram, rate=300, paid=True))
            assert sorted(m.chat_id for m in telegram.all_messages()) == list(range(5000, 5000 + USERS))
            assert telegram.throttled == 0
    finally:
        event.remove(store.engine, "before_cursor_execute", statement)
        event.remove(store.engine, "commit", commit)
    # blocks of up to 15 slots (at 300 a second, a twentieth of a second's worth; fewer when fewer sends wait,
    # as on a busy machine); before, one UPDATE a message at least
    assert len(pacing) <= USERS / 2
    assert len(transactions) < 2.5 * USERS  # before: one a message for the pace, two for the outbox, and more
    with Session(store.engine) as s:  # and every message is recorded as sent
        assert s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "sent")) == USERS


def test_unpaid_sends_stay_within_the_free_limit(store: Store) -> None:
    due_briefings(store, 60)
    with BotAPIServer(rate_limit_per_s=30) as telegram:
        asyncio.run(deliver_all(store, telegram, rate=Settings().telegram_broadcast_rate, paid=False))
        assert len(telegram.all_messages()) == 60 and telegram.paid_broadcasts == 0
        assert telegram.throttled == 0  # the shared budget kept below what Telegram allows


def test_a_budget_above_the_free_limit_needs_paid_broadcasts() -> None:
    with pytest.raises(ValidationError, match="SLEEPCOT_TELEGRAM_PAID_BROADCAST=true"):
        Settings(telegram_broadcast_rate=100)
    assert Settings(telegram_broadcast_rate=100, telegram_paid_broadcast=True).telegram_broadcast_rate == 100


def _per_second(times: list[float]) -> list[int]:
    """How many messages arrived in the second after each one."""
    return [sum(1 for t in times[i:] if t < start + 1) for i, start in enumerate(times)]
