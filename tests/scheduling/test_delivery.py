"""Each message once, outside the one window Telegram cannot tell us about (issue 17, item 6): a long message
whose second part fails is continued, not repeated; a worker kept waiting by a 429 past its lease sends
nothing once another worker has taken the message over; and a delivery whose recording fails for a moment
is recorded, not sent again. The real `Delivery` through a python-telegram-bot `Bot` to the loopback Bot
API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from telegram import Bot

from bot.delivery import Delivery
from bot.render import split_html
from sleepcot.domain import Profile
from sleepcot.store import Store
from sleepcot.store.models import OutboxRow
from tests.loopback.telegram_server import BotAPIServer

CHAT = 4242
REPEAT = "Sent again because"
LEASE = timedelta(seconds=3)
LONG = "\n\n".join(f"<b>Part {i}</b> " + f"word{i} " * 500 for i in range(2))  # two messages' worth


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def telegram():
    with BotAPIServer() as server:
        yield server


def due_message(store: Store, clock: Clock, html: str) -> int:
    """A user whose message (written already) is due now; returns the outbox row's id."""
    user_id = store.create_user(Profile(), telegram_id=CHAT, consented=True)
    with Session(store.engine) as s, s.begin():
        row = OutboxRow(user_id=user_id, local_date=clock.now.date(), kind="briefing", state="generated",
                        payload={"html": html, "language": "en"}, due_at=clock.now, generated_at=clock.now)
        s.add(row)
        s.flush()
        return row.id


def row(store: Store, row_id: int) -> OutboxRow:
    with Session(store.engine) as s:
        return s.scalars(select(OutboxRow).where(OutboxRow.id == row_id)).one()


async def deliver(telegram: BotAPIServer, store: Store, clock: Clock, *workers: str, stagger_s: float = 0.0,
                  fault: tuple = ()) -> None:
    """Each worker's delivery round, started `stagger_s` apart (the clock moved past the lease between);
    `fault`: the next calls once the bot is up fail so (`BotAPIServer.fail_next`'s arguments)."""
    async with Bot(telegram.token, base_url=f"{telegram.url}/bot") as bot:
        if fault:
            telegram.fail_next(*fault)
        async def one(index: int, worker: str) -> None:
            if index:
                await asyncio.sleep(stagger_s * index)
                clock.now += LEASE * 2
            await Delivery(store, store.outbox(worker), store.pacer(30), bot, clock, LEASE).batch()

        await asyncio.gather(*(one(index, worker) for index, worker in enumerate(workers)))


def test_a_long_message_whose_second_part_fails_is_continued_not_repeated(store, telegram):
    clock = Clock()
    row_id = due_message(store, clock, LONG)
    first, second = split_html(LONG)

    def choreography() -> None:  # part 1 arrives; part 2 is lost on the way, nobody knows whether it arrived
        taken = telegram.hold_next("sendMessage", after=True)
        assert taken.arrived.wait(30)
        lost = telegram.hold_next("sendMessage")
        taken.release()
        assert lost.arrived.wait(30)
        lost.drop()

    thread = threading.Thread(target=choreography)
    thread.start()
    asyncio.run(deliver(telegram, store, clock, "A"))
    thread.join(30)
    assert row(store, row_id).state == "generated" and row(store, row_id).parts_sent == 1
    clock.now += timedelta(minutes=1)  # the retry is due
    asyncio.run(deliver(telegram, store, clock, "A"))
    texts = [m.text for m in telegram.user(CHAT).messages()]
    assert len(texts) == 2 and texts[0].startswith("Part 0") and texts[1].startswith("Part 1")
    assert REPEAT in texts[1] and REPEAT not in texts[0]  # only the part that may have arrived says so
    assert row(store, row_id).state == "sent"


def test_a_send_held_by_a_429_past_its_lease_stops_when_another_worker_took_it_over(store, telegram):
    clock = Clock()
    row_id = due_message(store, clock, "Good morning, Ann.")
    too_many = (1, 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
                         "parameters": {"retry_after": 2}})
    asyncio.run(deliver(telegram, store, clock, "A", "B", stagger_s=0.5, fault=too_many))  # B claims while A waits
    messages = telegram.user(CHAT).messages()
    assert len(messages) == 1, [m.text for m in messages]
    assert REPEAT in messages[0].text  # A had started sending it: B cannot know it did not arrive
    assert row(store, row_id).state == "sent" and row(store, row_id).claimed_by == "B"


def test_a_delivery_whose_recording_fails_for_a_moment_is_recorded_not_sent_again(store, telegram):
    clock = Clock()
    row_id = due_message(store, clock, "Good morning, Ann.")
    failures = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def busy(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE outbox") and "sent_at" in statement and len(failures) < 2:
            failures.append(statement)
            raise OperationalError(statement, parameters, Exception("database is locked"))

    asyncio.run(deliver(telegram, store, clock, "A"))
    clock.now += LEASE * 2  # another round, after the lease: nothing is left to send
    asyncio.run(deliver(telegram, store, clock, "B"))
    assert len(failures) == 2
    assert len(telegram.user(CHAT).messages()) == 1
    assert row(store, row_id).state == "sent"
