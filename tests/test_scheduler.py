"""The scheduler with a controllable clock, on SQLite and on a real PostgreSQL: users in several timezones
get their briefing once, at their local minute, across both daylight-saving changes (the skipped and the
repeated hour included); late nights get a "no data yet" note and then the briefing; the weekly summary
comes on the chosen day; changed settings move the next message. Messages go, for real, through a
python-telegram-bot `Bot` to the loopback Bot API, which enforces Telegram's 30 messages/s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Bot

from bot.handlers import Coach, day_label
from bot.scheduler import Scheduler
from bot.texts import say
from integrations.simulator import Persona, SimulatorAdapter
from integrations.sync import Hub, connect_simulator
from loopback.telegram_server import BotAPIServer, SentMessage
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Language, NightKind, Profile
from sleepcot.store import Store, UserStore
from sleepcot.store.models import OutboxRow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Clock:
    """The time the scheduler sees; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def telegram() -> Iterator[BotAPIServer]:
    with BotAPIServer(rate_limit_per_s=30) as server:
        yield server


@pytest.fixture
def settings(telegram: BotAPIServer, tmp_path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, telegram_token=telegram.token,
                    telegram_api_url=telegram.url, secret_keys=Fernet.generate_key().decode())


@asynccontextmanager
async def scheduler_for(settings: Settings, store: Store, clock: Clock) -> AsyncIterator[Scheduler]:
    """The scheduler as `sleepcot run` makes it, with no model (deterministic briefings) and `clock`."""
    hub = Hub(settings, Vault.from_settings(settings))
    api = settings.telegram_api_url
    try:
        async with Bot(settings.telegram_token.get_secret_value(), base_url=f"{api}/bot",
                       base_file_url=f"{api}/file/bot") as bot:
            yield Scheduler(store, settings, hub, Coach(None, "no model in this test", asyncio.Semaphore(1)), bot,
                            clock=clock)
    finally:
        await hub.aclose()


def add_user(store: Store, settings: Settings, telegram_id: int, profile: Profile,
             persona: Persona | None = Persona.HEALTHY) -> UserStore:
    """An onboarded user; with `persona`, the simulated wearable connected (its nights come at each sync)."""
    user = store.for_user(store.create_user(profile, telegram_id=telegram_id))
    user.consent()
    if persona is not None:
        connect_simulator(user, Vault.from_settings(settings), persona, seed=telegram_id)
    return user


async def simulate(scheduler: Scheduler, clock: Clock, start: datetime, end: datetime,
                   step: timedelta | None = None) -> None:
    """Tick from `start` to `end`, doing all that is due at each tick: every `step`, or (None) at each
    moment something is next due (a minute later at least), which is where a tick every few seconds would
    find it."""
    clock.now = start
    while clock.now < end:
        await scheduler.run_until_idle()
        if step is not None:
            clock.now += step
            continue
        upcoming = next_due(scheduler.store, clock.now)
        clock.now = max(clock.now + timedelta(minutes=1), upcoming or end)


def next_due(store: Store, now: datetime) -> datetime | None:
    """The earliest moment after `now` at which an outbox row has something due."""
    c = OutboxRow.__table__.c
    with Session(store.engine) as s:
        moments = [s.scalar(select(func.min(c.next_attempt_at)).where(c.state == "pending", c.next_attempt_at > now)),
                   s.scalar(select(func.min(c.due_at)).where(c.state.in_(("pending", "generated")), c.due_at > now))]
    return min((m for m in moments if m is not None), default=None)


def rows(store: Store, user_id: int, kind: str) -> dict[date, OutboxRow]:
    with Session(store.engine) as s:
        found = s.scalars(select(OutboxRow).where(OutboxRow.user_id == user_id, OutboxRow.kind == kind))
        return {row.local_date: row for row in found}


def briefings_for(messages: list[SentMessage], day: date, language: Language = Language.EN) -> list[SentMessage]:
    title = say(language, "briefing_title", name="👋", day=day_label(day, language))
    return [m for m in messages if m.method == "sendMessage" and m.text.startswith(title)]


# --- on time, once, across daylight-saving changes -------------------------------------------------------

# (telegram id, zone, briefing time, the day of a change in that zone, the UTC instant expected that day)
DST_USERS = [
    (11, "America/New_York", time(7, 30), date(2026, 3, 8), datetime(2026, 3, 8, 11, 30, tzinfo=UTC)),
    # 02:30 does not exist on 8 March: RFC 5545 reads it with the offset before the gap (03:30 EDT)
    (12, "America/New_York", time(2, 30), date(2026, 3, 8), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    # 01:30 happens twice on 1 November: the first one (EDT)
    (13, "America/New_York", time(1, 30), date(2026, 11, 1), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    # Cuba changes its clocks at midnight: 00:30 is skipped on 8 March and repeated on 1 November
    (14, "America/Havana", time(0, 30), date(2026, 3, 8), datetime(2026, 3, 8, 5, 30, tzinfo=UTC)),
    (15, "America/Havana", time(0, 30), date(2026, 11, 1), datetime(2026, 11, 1, 4, 30, tzinfo=UTC)),
    (16, "Europe/Berlin", time(7, 0), date(2026, 3, 29), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),
    (17, "Europe/Berlin", time(2, 30), date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    # Lord Howe Island moves by half an hour, in the southern hemisphere's seasons
    (18, "Australia/Lord_Howe", time(6, 15), date(2026, 4, 5), datetime(2026, 4, 4, 19, 45, tzinfo=UTC)),
    (19, "Australia/Lord_Howe", time(2, 15), date(2026, 10, 4), datetime(2026, 10, 3, 15, 45, tzinfo=UTC)),
    (20, "Asia/Kolkata", time(8, 0), date(2026, 3, 8), datetime(2026, 3, 8, 2, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize("change", sorted({row[3] for row in DST_USERS}), ids=str)
def test_each_user_gets_one_briefing_a_day_at_their_local_minute_across_dst(store, settings, telegram, change):
    users = {tid: add_user(store, settings, tid, Profile(timezone=zone, briefing_time=clock_time, weekly_day=None))
             for tid, zone, clock_time, day, _ in DST_USERS if day == change}
    clock = Clock(datetime.combine(change - timedelta(days=1), time(0), tzinfo=UTC) - timedelta(hours=15))
    end = datetime.combine(change + timedelta(days=2), time(0), tzinfo=UTC) + timedelta(hours=15)

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await simulate(scheduler, clock, clock.now, end)

    asyncio.run(run())

    for tid, zone, clock_time, day, expected in DST_USERS:
        if day != change:
            continue
        user, tz = users[tid], ZoneInfo(zone)
        sent = rows(store, user.user_id, "briefing")
        messages = telegram.user(tid).messages()
        assert sent[day].state == "sent"
        assert sent[day].sent_at == expected, f"{zone} {clock_time}: sent {sent[day].sent_at}, expected {expected}"
        assert len(briefings_for(messages, day)) == 1
        for other in (day - timedelta(days=1), day + timedelta(days=1)):  # the days around it: plain local time
            assert sent[other].sent_at.astimezone(tz).time() == clock_time, (zone, other)
            assert len(briefings_for(messages, other)) == 1
        assert all(m.method == "sendMessage" for m in messages)  # nothing else: no notes, no weekly summary
        assert len(messages) == len([row for row in sent.values() if row.state == "sent"])

