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
from sqlalchemy import event, func, select, text, update
from sqlalchemy.orm import Session
from telegram import Bot

from bot.presenting import Coach, day_label
from bot.scheduler import Scheduler
from bot.texts import say
from integrations.simulator import Persona, SimulatorAdapter
from integrations.sync import Hub, connect_simulator
from sleepcot.config import Settings
from sleepcot.crypto import Vault
from sleepcot.domain import Language, Night, Profile
from sleepcot.store import Store, UserStore
from sleepcot.store.models import BaselineRow, OutboxRow, ProfileRow
from tests.loopback.telegram_server import BotAPIServer, SentMessage

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
    # briefings written in a thread of the test's process (the writer processes start in the real
    # workers of test_scheduler_workers.py and the deployment's smoke test)
    return Settings(data_dir=tmp_path / "data", database_url=database_url, telegram_token=telegram.token,
                    telegram_api_url=telegram.url, secret_keys=Fernet.generate_key().decode(), writer_processes=1)


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



@pytest.mark.parametrize(("zone", "clock_time", "day", "expected"), [
    ("America/New_York", time(2, 30), date(2026, 3, 8), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    ("America/New_York", time(1, 30), date(2026, 11, 1), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
], ids=["skipped-hour", "repeated-hour"])
def test_ticking_every_minute_through_the_change_sends_once(store, settings, telegram, zone, clock_time, day,
                                                            expected):
    user = add_user(store, settings, 31, Profile(timezone=zone, briefing_time=clock_time, weekly_day=None))
    midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    clock = Clock(midnight - timedelta(hours=3))

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await simulate(scheduler, clock, clock.now, midnight + timedelta(hours=5), step=timedelta(minutes=1))

    asyncio.run(run())
    assert rows(store, user.user_id, "briefing")[day].sent_at == expected
    assert len(briefings_for(telegram.user(31).messages(), day)) == 1


# --- late nights, the weekly summary, changed settings -------------------------------------------------------


def store_nights(user: UserStore, persona: Persona, seed: int, today: date, days: list[date]) -> None:
    """Nights arriving the way an uploaded export brings them (no connected source)."""
    nights = SimulatorAdapter(persona, seed, today, tz=user.profile().timezone).fetch_nights(min(days), max(days))
    user.upsert_nights([n for n in nights if n.local_date in days])


def test_a_late_night_gets_a_note_then_the_briefing_and_a_missing_one_only_the_note(store, settings, telegram):
    day = date(2026, 11, 20)
    past = [day - timedelta(days=i) for i in range(1, 11)]
    late = add_user(store, settings, 41, Profile(timezone="Europe/Berlin", briefing_time=time(7, 0)), persona=None)
    quiet = add_user(store, settings, 42, Profile(timezone="Europe/Berlin", briefing_time=time(7, 0),
                                                  late_briefing=False), persona=None)
    never = add_user(store, settings, 43, Profile(timezone="Europe/Berlin", briefing_time=time(7, 0)), persona=None)
    for user, seed in ((late, 1), (quiet, 2), (never, 3)):
        store_nights(user, Persona.HEALTHY, seed, day, past)
    clock = Clock(datetime(2026, 11, 19, 12, 0, tzinfo=UTC))
    zone = ZoneInfo("Europe/Berlin")

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 20, 9, 0, tzinfo=zone))
            for user, seed in ((late, 1), (quiet, 2)):  # the night arrives at 09:00, two hours late
                store_nights(user, Persona.HEALTHY, seed, day, [day])
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 20, 18, 0, tzinfo=zone))

    asyncio.run(run())
    label = day_label(day, Language.EN)
    for tid, user in ((41, late), (42, quiet), (43, never)):
        texts = [m.text for m in telegram.user(tid).messages() if label in m.text]
        notes = [t for t in texts if "No night from your wearable has arrived yet" in t]
        assert len(notes) == 1, (tid, texts)
        note_row = rows(store, user.user_id, "no_data")[day]
        assert note_row.sent_at == datetime(2026, 11, 20, 7, 0, tzinfo=zone)  # at the briefing time
        briefing = rows(store, user.user_id, "briefing")[day]
        briefings = briefings_for(telegram.user(tid).messages(), day)
        if tid == 41:  # the briefing follows at the first sync after the night came, after the note
            assert briefing.state == "sent" and len(briefings) == 1
            assert datetime(2026, 11, 20, 9, 0, tzinfo=zone) <= briefing.sent_at <= datetime(2026, 11, 20, 10, 0, tzinfo=zone)
            assert texts.index(notes[0]) < texts.index(briefings[0].text)
            assert "follows as soon as it does" in notes[0]
        else:  # late briefings turned off, or the night never came: the note was all
            assert briefings == [] and briefing.state == "skipped"
            assert briefing.reason == ("late_off" if tid == 42 else "no_data")
    assert "/today" in next(t for t in (m.text for m in telegram.user(42).messages()) if "No night" in t)


def test_the_weekly_summary_comes_once_on_the_chosen_day(store, settings, telegram):
    sunday = date(2026, 11, 22)
    user = add_user(store, settings, 51, Profile(timezone="Asia/Shanghai", briefing_time=time(8, 0), weekly_day=6,
                                                 language=Language.ZH), persona=Persona.EVENING_ALCOHOL)
    clock = Clock(datetime(2026, 11, 18, 0, 0, tzinfo=UTC))

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 25, 0, 0, tzinfo=UTC))

    asyncio.run(run())
    photos = [m for m in telegram.user(51).messages() if m.method == "sendPhoto"]
    assert len(photos) == 1 and photos[0].photo.startswith(PNG_MAGIC)
    assert day_label(sunday, Language.ZH) in photos[0].text and ("每周" in photos[0].text or "本周" in photos[0].text)
    weekly = rows(store, user.user_id, "weekly")
    assert list(weekly) == [sunday] and weekly[sunday].state == "sent"
    assert weekly[sunday].payload is None  # the chart and text leave the outbox once sent
    briefing_sent = rows(store, user.user_id, "briefing")[sunday].sent_at
    assert weekly[sunday].sent_at == briefing_sent == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    messages = telegram.user(51).messages()
    assert messages.index(photos[0]) == messages.index(briefings_for(messages, sunday, Language.ZH)[0]) + 1


def test_changed_settings_move_the_next_briefing(store, settings, telegram):
    user = add_user(store, settings, 61, Profile(timezone="Europe/London", briefing_time=time(7, 0), weekly_day=None))
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 21, 6, 50, tzinfo=UTC))
            # already synced and written for 07:00; the user moves it to 08:15 and to New York
            assert rows(store, user.user_id, "briefing")[date(2026, 11, 21)].state == "generated"
            user.save_profile(user.profile().model_copy(update={"briefing_time": time(8, 15),
                                                                "timezone": "America/New_York"}))
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 23, 0, 0, tzinfo=UTC))

    asyncio.run(run())
    sent = rows(store, user.user_id, "briefing")
    new_york = ZoneInfo("America/New_York")
    assert sent[date(2026, 11, 21)].sent_at == datetime(2026, 11, 21, 8, 15, tzinfo=new_york)
    assert sent[date(2026, 11, 22)].sent_at == datetime(2026, 11, 22, 8, 15, tzinfo=new_york)
    assert len(telegram.user(61).messages()) == 2


def test_settings_changed_while_the_morning_is_planned_are_the_ones_it_follows(store, settings, telegram):
    """The scheduler has read a user's settings and is about to plan their morning when the user changes
    the briefing time: the morning planned from the old time is dropped and the briefing comes at the new."""
    user = add_user(store, settings, 62, Profile(timezone="Europe/London", briefing_time=time(7, 0), weekly_day=None))
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    changed: list[time] = []

    def change_first(conn, cursor, statement, *args) -> None:
        if not changed and statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            changed.append(time(9, 40))
            user.save_profile(user.profile().model_copy(update={"briefing_time": changed[0]}))

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 21, 12, 0, tzinfo=UTC))

    event.listen(store.engine, "before_cursor_execute", change_first)
    try:
        asyncio.run(run())
    finally:
        event.remove(store.engine, "before_cursor_execute", change_first)
    assert changed, "the scheduler never planned"
    sent = rows(store, user.user_id, "briefing")[date(2026, 11, 21)]
    assert sent.sent_at == datetime(2026, 11, 21, 9, 40, tzinfo=ZoneInfo("Europe/London"))
    assert len(telegram.user(62).messages()) == 1


def test_a_morning_due_when_it_is_planned_is_written_at_once_not_at_the_next_tick(store, settings, telegram):
    """A user who joins at 08:50 with a briefing at 09:00 (or a worker back after a restart): their morning
    is due to sync as soon as it is planned, so it is synced and written right away, not a tick later
    (here an hour)."""
    user = add_user(store, settings, 73, Profile(timezone="Europe/London", briefing_time=time(9, 0), weekly_day=None))
    clock = Clock(datetime(2026, 11, 20, 8, 50, tzinfo=UTC))

    async def run() -> OutboxRow:
        async with scheduler_for(settings.model_copy(update={"scheduler_tick_s": 3600}), store, clock) as scheduler:
            scheduler.start()
            try:
                for _ in range(300):
                    await asyncio.sleep(0.1)
                    planned = rows(store, user.user_id, "briefing")
                    if planned and planned[date(2026, 11, 20)].state != "pending":
                        break
            finally:
                await scheduler.stop()
            return rows(store, user.user_id, "briefing")[date(2026, 11, 20)]

    assert asyncio.run(run()).state == "generated"  # written, and waiting for 09:00


# Minutes past 06:00 at which a user's last fortnight of nights ended: the median is 06:10.
WAKE_MINUTES = [10, 7, 13, 10, 4, 16, 10, 9, 11, 10, 8, 12, 10, 10]


@pytest.mark.parametrize("baselines_row", ["kept", "made before revision 0010"])
def test_the_first_sync_of_a_morning_comes_soon_after_the_user_usually_wakes(store, settings, baselines_row):
    """Nights that ended around 06:10 these last two weeks (and at 10:00 a month ago, too long ago to
    count), a briefing at 09:00: the next morning's first sync is at 06:25, when the vendor has the night,
    whether the wake times come from the user's baselines row or, for a row an older version made, from
    the nights themselves."""
    zone = ZoneInfo("Europe/Berlin")
    user = add_user(store, settings, 72, Profile(timezone="Europe/Berlin", briefing_time=time(9, 0), weekly_day=None),
                    persona=None)
    today = date(2026, 11, 20)
    ends = [(today - timedelta(days=13 - i), time(6, minute)) for i, minute in enumerate(WAKE_MINUTES)]
    ends += [(today - timedelta(days=30 + i), time(10, 0)) for i in range(5)]
    user.upsert_nights([Night(source="test", vendor_id=day.isoformat(), end=datetime.combine(day, end, tzinfo=zone),
                              start=datetime.combine(day, end, tzinfo=zone) - timedelta(hours=8),
                              time_in_bed_s=8 * 3600, total_sleep_s=7 * 3600) for day, end in ends])
    if baselines_row != "kept":
        with Session(store.engine) as s, s.begin():
            s.execute(update(BaselineRow).values(wakes=None))
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    assert Scheduler(store, settings, None, None, None, clock=clock).plan() == 1
    planned = rows(store, user.user_id, "briefing")[date(2026, 11, 21)]
    assert planned.next_attempt_at == datetime(2026, 11, 21, 6, 25, tzinfo=zone)
    assert planned.due_at == datetime(2026, 11, 21, 9, 0, tzinfo=zone)


# --- Telegram answering badly ------------------------------------------------------------------------------


def test_a_blocked_user_a_429_and_a_dropped_connection_lose_nothing(store, settings, telegram):
    zone = ZoneInfo("Europe/Paris")
    users = {tid: add_user(store, settings, tid, Profile(timezone="Europe/Paris", briefing_time=time(7, 0),
                                                         weekly_day=None)) for tid in range(71, 77)}
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 21, 6, 59, tzinfo=zone))
            telegram.fail_next(1, 403, {"ok": False, "error_code": 403,
                                        "description": "Forbidden: bot was blocked by the user"})
            telegram.fail_next(1, 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                        "parameters": {"retry_after": 1}})
            telegram.fail_next(1, None)  # the connection drops after the request went out
            await simulate(scheduler, clock, clock.now, datetime(2026, 11, 21, 9, 0, tzinfo=zone))

    asyncio.run(run())
    day = date(2026, 11, 21)
    states = {tid: rows(store, user.user_id, "briefing")[day] for tid, user in users.items()}
    blocked = [tid for tid, row in states.items() if row.state == "skipped"]
    assert len(blocked) == 1 and states[blocked[0]].reason == "blocked"
    for tid, row in states.items():
        if tid in blocked:
            continue
        briefings = briefings_for(telegram.user(tid).messages(), day)
        assert row.state == "sent" and len(briefings) == 1, tid
    repeats = [tid for tid in users if tid not in blocked
               and "Sent again because" in briefings_for(telegram.user(tid).messages(), day)[0].text]
    assert len(repeats) == 1  # the dropped one: it may have arrived, so its second copy says so
    assert states[repeats[0]].sent_at > datetime(2026, 11, 21, 7, 0, tzinfo=zone)


# --- a user's data that no longer reads -------------------------------------------------------------------


def test_an_invalid_profile_row_skips_that_user_and_plans_everyone_else(store, settings, telegram, monkeypatch,
                                                                        caplog):
    monkeypatch.setattr("bot.scheduler.PLAN_BATCH", 1)  # the broken user fills a whole batch of their own
    zone = ZoneInfo("Europe/Madrid")
    users = {tid: add_user(store, settings, tid, Profile(timezone="Europe/Madrid", briefing_time=time(7, 0),
                                                         weekly_day=None)) for tid in (81, 82, 83)}
    broken = users[81].user_id
    with Session(store.engine) as s, s.begin():  # as a hand edit, or a value an older version allowed, leaves it
        s.execute(update(ProfileRow).where(ProfileRow.user_id == broken)
                  .values(data={"timezone": "Mars/Olympus_Mons", "briefing_time": "25:61"}))
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

    async def run() -> None:
        async with scheduler_for(settings, store, clock) as scheduler:
            await asyncio.wait_for(simulate(scheduler, clock, clock.now, datetime(2026, 11, 21, 9, 0, tzinfo=zone)),
                                   timeout=120)

    with caplog.at_level("WARNING"):
        asyncio.run(run())
    day = date(2026, 11, 21)
    for tid in (82, 83):
        assert rows(store, users[tid].user_id, "briefing")[day].state == "sent", tid
        assert len(briefings_for(telegram.user(tid).messages(), day)) == 1, tid
    assert rows(store, broken, "briefing") == {} and telegram.user(81).messages() == []
    skipped = [r.getMessage() for r in caplog.records if "does not read" in r.getMessage()]
    assert skipped and all(f"user {broken} " in line and "Mars" not in line for line in skipped)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_after_planning_many_mornings_postgresql_knows_how_many_rows_the_outbox_holds(store, settings, monkeypatch):
    """A morning's planning adds thousands of outbox rows at once. PostgreSQL's planner statistics are
    brought up to date then, not a minute or more later by autovacuum: planned for an outbox it believed
    nearly empty, "who has no morning under way?" read a window's index entries once per user at every
    tick (19,000 a briefing in bench.briefings with two workers, 580 once the statistics were fresh)."""
    monkeypatch.setattr("bot.scheduler.PLAN_BATCH", 4)  # ten users: a round that adds more than a batch
    for tid in range(200, 210):
        add_user(store, settings, tid, Profile(timezone="Europe/Berlin", weekly_day=None))
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

    async def plan() -> int:
        async with scheduler_for(settings, store, clock) as scheduler:
            return scheduler.plan()

    assert asyncio.run(plan()) == 10
    with store.engine.connect() as connection:
        believed = connection.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'outbox'::regclass"))
    assert believed == 10
