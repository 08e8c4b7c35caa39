"""The outbox: every scheduled message as a row that workers claim, fill and mark, so that each one is
generated once and sent once however many workers run and wherever one of them crashes.

A claim is one UPDATE over rows picked with `FOR UPDATE SKIP LOCKED` (PostgreSQL: concurrent workers take
different rows and never wait on each other; SQLite has one writer at a time, which gives the same
result). A claim lasts `lease`; a crashed worker's rows are taken over when it ends. Every later change is
conditional on the worker still holding the claim, so a worker that lost it changes nothing; `claimed_by`
keeps the name of the last worker that claimed the row.

`Pacer` is Telegram's message budget shared by all processes: each send takes the next free slot.

This is the operator's view across users (like `Store.user_ids`); what a worker does for one user goes
through that user's `UserStore`.
"""

from __future__ import annotations

import time as clock
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, exists, func, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sleepcot.domain import Profile
from sleepcot.schedule import DayPlan, local_instant
from sleepcot.store.dialects import upsert_insert
from sleepcot.store.models import BriefingRow, CredentialRow, NightRow, OutboxRow, SendPacingRow, User

BRIEFING, NO_DATA, WEEKLY = "briefing", "no_data", "weekly"
NO_NIGHT = "no_night"  # why a briefing waits: its last sync found no night yet
ACTIVE_NIGHTS_DAYS = 14  # a user without a connected source is planned for while their nights are this recent
WEEKLY_BEFORE_DUE = timedelta(minutes=10)  # the weekly summary is written this long before it is due
_outbox = OutboxRow.__table__
_c = _outbox.c
_NOT_STARTED = (_c.state == "pending", _c.attempts == 0, _c.kind.in_((BRIEFING, WEEKLY)))  # may be planned again


@dataclass(frozen=True)
class Job:
    """A claimed outbox row. `maybe_sent`: an earlier attempt started sending it and never recorded the
    outcome, so Telegram may already have delivered it (its part `parts_sent`, the first not known to have
    arrived)."""

    id: int
    user_id: int
    local_date: date
    kind: str
    due_at: datetime
    attempts: int
    payload: dict[str, Any] | None
    maybe_sent: bool
    parts_sent: int = 0


@dataclass(frozen=True)
class Generated:
    """A job's finished message; for a briefing also what the briefings table keeps (text, meta)."""

    job: Job
    payload: dict[str, Any]
    briefing: tuple[str, dict[str, Any]] | None = None


def _job(row: Any) -> Job:
    return Job(row.id, row.user_id, row.local_date, row.kind, row.due_at, row.attempts, row.payload,
               row.sending_since is not None, row.parts_sent)


_JOB_COLUMNS = (_c.id, _c.user_id, _c.local_date, _c.kind, _c.due_at, _c.attempts, _c.payload, _c.sending_since,
                _c.parts_sent)


class Outbox:
    """The outbox as seen by one worker, `worker` being its unique name."""

    def __init__(self, engine: Engine, worker: str) -> None:
        self.engine, self.worker = engine, worker

    # -- planning -------------------------------------------------------------------------------------

    def users_to_plan(self, today: date, window: int) -> Iterator[list[int]]:
        """Users who should get briefings and have no morning under way (planned, being written, or waiting
        to be sent): they agreed to the terms, have a Telegram chat, and a connected source or recent nights.
        A user's next morning is planned once the last one is done, sent or given up, hours before the
        next one's first sync (not while a morning's briefings are written: planning 10,000 users' next
        mornings then would take the CPU from writing theirs). They come in order, one list for each
        `window` consecutive user ids (a list may be short, or empty).

        Each window's query looks only at its own ids, in `users` and in the outbox alike. PostgreSQL's
        statistics lag behind an outbox that grows by thousands of rows in a morning; planned for an outbox
        it believes empty, an anti-join over all users reads the whole outbox once per user. Bounded to a
        window, the worst plan is a window's rows once per user of the window."""
        with Session(self.engine) as s:
            last = s.scalar(select(func.max(User.id)))
        source = exists().where(CredentialRow.user_id == User.id, CredentialRow.revoked_at.is_(None))
        recent = exists().where(NightRow.user_id == User.id,
                                NightRow.local_date >= today - timedelta(days=ACTIVE_NIGHTS_DAYS))
        for low in range(1, (last or 0) + 1, window):
            ids = (low, low + window - 1)
            under_way = exists().where(_c.user_id == User.id, _c.user_id.between(*ids), _c.kind == BRIEFING,
                                       _c.state.in_(("pending", "generated")))
            query = (select(User.id)
                     .where(User.id.between(*ids), User.consented_at.is_not(None), User.telegram_id.is_not(None),
                            or_(source, recent), ~under_way)
                     .order_by(User.id))
            with Session(self.engine) as s:
                yield list(s.scalars(query))

    def last_planned(self, user_ids: Iterable[int]) -> dict[int, date]:
        """The latest local date each user has a briefing row for."""
        query = (select(_c.user_id, func.max(_c.local_date))
                 .where(_c.user_id.in_(list(user_ids)), _c.kind == BRIEFING).group_by(_c.user_id))
        with Session(self.engine) as s:
            return dict(s.execute(query).all())

    def plan(self, plans: dict[int, DayPlan], now: datetime) -> int:
        """Add each user's planned morning (a briefing row, and a weekly one on their weekly day). Rows that
        exist already are left alone, so planning twice, or by two workers at once, plans once."""
        rows = []
        for user_id, plan in plans.items():
            rows.append(dict(user_id=user_id, local_date=plan.day, kind=BRIEFING, due_at=plan.due_at,
                             next_attempt_at=plan.sync_at))
            if plan.weekly:  # generated once the briefing's sync has had its chance
                rows.append(dict(user_id=user_id, local_date=plan.day, kind=WEEKLY, due_at=plan.due_at,
                                 next_attempt_at=plan.due_at - WEEKLY_BEFORE_DUE))
        return self._insert_new([{**row, "state": "pending", "attempts": 0, "created_at": now} for row in rows])

    def refresh_statistics(self) -> None:
        """After many rows were added at once (a morning's planning): PostgreSQL's planner statistics of the
        outbox brought up to date now, not when autovacuum gets to it (a minute or more later), so the next
        ticks' queries are planned for the outbox as it is. Planned for an outbox it still believed nearly
        empty, "who has no morning under way?" read a window's index entries once per user: 19,000 a
        briefing with two workers."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.execute(text("ANALYZE outbox"))

    def unplan(self, user_ids: list[int]) -> None:
        """Forget these users' mornings not started yet, for the next round to plan them again."""
        with Session(self.engine) as s, s.begin():
            s.execute(delete(_outbox).where(_c.user_id.in_(user_ids), *_NOT_STARTED))

    def _insert_new(self, rows: list[dict[str, Any]]) -> int:
        """Insert those of `rows` (all stamped with one `created_at`) that are not there yet, by user, local
        date and kind; returns how many were. The INSERT is prepared once and run for each row (psycopg
        pipelines them): one statement with every row's values in it would take longer to convert for
        the server than to run."""
        if not rows:
            return 0
        with Session(self.engine) as s, s.begin():
            statement = upsert_insert(s)(_outbox).on_conflict_do_nothing(index_elements=("user_id", "local_date", "kind"))
            s.connection().execute(statement, rows)
            return s.scalar(select(func.count()).where(_c.user_id.in_({row["user_id"] for row in rows}),
                                                       _c.kind.in_({row["kind"] for row in rows}),
                                                       _c.created_at == rows[0]["created_at"]))

    def late_briefings(self, now: datetime, stale_after: timedelta, limit: int) -> list[Job]:
        """Briefings due by now whose last sync found no night, and which have no "no data yet" note yet
        (one still being written, or whose worker died writing it, is not late: it is taken over)."""
        notes = _outbox.alias("notes")
        noted = exists().where(notes.c.user_id == _c.user_id, notes.c.local_date == _c.local_date,
                               notes.c.kind == NO_DATA)
        query = (select(*_JOB_COLUMNS)
                 .where(_c.kind == BRIEFING, _c.state == "pending", _c.reason == NO_NIGHT, _c.due_at <= now,
                        _c.due_at > now - stale_after, ~noted)
                 .order_by(_c.due_at, _c.id).limit(limit))
        with Session(self.engine) as s:
            return [_job(row) for row in s.execute(query)]

    def add_notes(self, notes: dict[Job, dict[str, Any]], now: datetime) -> int:
        """A "no data yet" note (its payload ready) for each late briefing, due at once; once per morning."""
        return self._insert_new([dict(user_id=job.user_id, local_date=job.local_date, kind=NO_DATA, state="generated",
                                      payload=payload, due_at=job.due_at, attempts=0, created_at=now,
                                      generated_at=now) for job, payload in notes.items()])

    # -- claims ---------------------------------------------------------------------------------------

    def _claim(self, condition: ColumnElement[bool], order: tuple, now: datetime, limit: int, lease: timedelta,
               **changes: Any) -> list[Job]:
        free = or_(_c.claimed_until.is_(None), _c.claimed_until < now)
        picked = select(_c.id).where(condition, free).order_by(*order).limit(limit).with_for_update(skip_locked=True)
        statement = (update(_outbox).where(_c.id.in_(picked.scalar_subquery()))
                     .values(claimed_by=self.worker, claimed_until=now + lease, **changes)
                     .returning(*_JOB_COLUMNS))
        with Session(self.engine) as s, s.begin():
            jobs = [_job(row) for row in s.execute(statement)]
        return sorted(jobs, key=lambda job: (job.due_at, job.id))

    def claim_pending(self, now: datetime, limit: int, lease: timedelta) -> list[Job]:
        """Rows waiting for their night (or a weekly summary) whose next attempt is due; counts the attempt."""
        return self._claim(and_(_c.state == "pending", _c.next_attempt_at <= now), (_c.next_attempt_at, _c.id),
                           now, limit, lease, attempts=_c.attempts + 1)

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Job]:
        """Generated messages whose time has come, oldest first."""
        return self._claim(and_(_c.state == "generated", _c.due_at <= now), (_c.due_at, _c.id), now, limit, lease)

    # -- changes by the claim's holder ----------------------------------------------------------------

    def _mine(self, job: Job) -> ColumnElement[bool]:
        return and_(_c.id == job.id, _c.claimed_by == self.worker)

    def _change(self, job: Job, **values: Any) -> bool:
        return self._changes([(job, values)])[0]

    def _changes(self, changes: list[tuple[Job, dict[str, Any]]]) -> list[bool]:
        """Each job's change, if this worker still holds its claim, in one transaction; True where it held."""
        with Session(self.engine) as s, s.begin():
            return [s.execute(update(_outbox).where(self._mine(job)).values(**values)).rowcount == 1  # type: ignore[attr-defined]
                    for job, values in changes]

    def generated(self, done: list[Generated], now: datetime) -> list[int]:
        """Record finished messages (and briefings) in one transaction; a late one (its due time passed) is
        due now, after the "no data yet" note that went before it, which it makes unnecessary if still
        unsent. Returns the ids of the rows still held (the others were taken over; their work is dropped)."""
        if not done:
            return []
        with Session(self.engine) as s, s.begin():
            s.execute(update(_outbox)
                      .where(_c.id == bindparam("job_id"), _c.claimed_by == self.worker, _c.state == "pending")
                      .values(state="generated", payload=bindparam("message"), generated_at=now, claimed_until=None,
                              next_attempt_at=None, reason=None, due_at=case((_c.due_at < now, now), else_=_c.due_at)),
                      [{"job_id": item.job.id, "message": item.payload} for item in done])
            held = set(s.scalars(select(_c.id).where(_c.id.in_([item.job.id for item in done]),
                                                     _c.claimed_by == self.worker, _c.generated_at == now)))
            briefings = [item for item in done if item.job.id in held and item.briefing is not None]
            if briefings:
                statement = upsert_insert(s)(BriefingRow)
                s.execute(statement.on_conflict_do_update(
                    index_elements=("user_id", "local_date"),
                    set_={c: statement.excluded[c] for c in ("text", "meta", "created_at")}),
                    [{"user_id": item.job.user_id, "local_date": item.job.local_date, "text": item.briefing[0],
                      "meta": item.briefing[1], "created_at": now} for item in briefings])
            for item in briefings:
                if item.job.due_at < now:  # late: its note, if not on its way yet, is no longer needed
                    s.execute(update(_outbox).where(
                        _c.user_id == item.job.user_id, _c.local_date == item.job.local_date, _c.kind == NO_DATA,
                        _c.state == "generated", _c.sending_since.is_(None),
                        or_(_c.claimed_until.is_(None), _c.claimed_until < now))
                        .values(state="skipped", reason="superseded", payload=None))
        return sorted(held)

    def retry(self, job: Job, at: datetime, reason: str) -> bool:
        """Nothing to send yet (`reason`: NO_NIGHT, or why writing failed): try again at `at`, by whichever
        worker is free then."""
        return self._change(job, next_attempt_at=at, reason=reason[:40], claimed_until=None)

    def skip(self, job: Job, reason: str) -> bool:
        """This message will not be sent (`reason`: no_data, late_off, expired, blocked, rejected, ...)."""
        return self._change(job, state="skipped", reason=reason[:40], payload=None, claimed_until=None)

    def start_sending(self, jobs: Sequence[Job], now: datetime, lease: timedelta) -> list[bool]:
        """Written before the messages go to Telegram (and their claims renewed for the send), in one
        transaction. False for a job whose claim was lost, so this worker must not send it."""
        return self._changes([(job, {"sending_since": now, "claimed_until": now + lease}) for job in jobs])

    def renew(self, job: Job, now: datetime, lease: timedelta) -> bool:
        """Extend the claim of a send that is taking long (a wait Telegram asked for); False: the claim was
        lost (another worker took the row over), so this worker must not send any more of it."""
        return self._change(job, claimed_until=now + lease)

    def part_sent(self, job: Job, parts: int, now: datetime, lease: timedelta) -> bool:
        """Telegram took the first `parts` parts of a long message: a retry starts after them. Renews the
        claim; False: it was lost."""
        return self._change(job, parts_sent=parts, sending_since=None, claimed_until=now + lease)

    def not_sent(self, job: Job, at: datetime) -> bool:
        """The send certainly failed before Telegram took the message: send again from `at`."""
        return self._change(job, sending_since=None, due_at=at, claimed_until=None)

    def in_doubt(self, job: Job, at: datetime) -> bool:
        """The send failed in a way that may have delivered it: send again (marked as a repeat) from `at`."""
        return self._change(job, due_at=at, claimed_until=None)

    def sent(self, delivered: Sequence[tuple[Job, int | None]], now: datetime) -> list[bool]:
        """Delivered (each job with its last message's id), in one transaction: record them and drop the
        message text from the outbox (the briefings table keeps it)."""
        return self._changes([(job, {"state": "sent", "message_id": message_id, "sent_at": now, "payload": None,
                                     "claimed_until": None}) for job, message_id in delivered])

    def release(self) -> int:
        """Give back this worker's claims on rows it has not started sending (a clean shutdown)."""
        with Session(self.engine) as s, s.begin():
            result = s.execute(update(_outbox).where(_c.claimed_by == self.worker, _c.claimed_until.is_not(None),
                                                     _c.sending_since.is_(None))
                               .values(claimed_until=None))
            return result.rowcount  # type: ignore[attr-defined]

    def depth(self) -> dict[str, int]:
        """How many messages wait in each unfinished state (pending, generated…), for /metrics."""
        with Session(self.engine) as s:
            rows = s.execute(select(_c.state, func.count()).where(_c.state.not_in(("sent", "skipped")))
                             .group_by(_c.state)).all()
        return {state: count for state, count in rows}

    def prune(self, before: date) -> int:
        """Forget finished rows of local dates before `before`."""
        with Session(self.engine) as s, s.begin():
            result = s.execute(delete(_outbox).where(_c.local_date < before, _c.state.in_(("sent", "skipped"))))
            return result.rowcount  # type: ignore[attr-defined]


def reschedule(s: Session, user_id: int, profile: Profile) -> None:
    """After the user changed their settings: mornings not started yet are planned again from the new
    profile (the scheduler re-plans them), and messages not sent yet move to the new briefing time."""
    s.execute(delete(_outbox).where(_c.user_id == user_id, *_NOT_STARTED))
    unsent = s.execute(select(_c.id, _c.local_date, _c.kind).where(
        _c.user_id == user_id, _c.state.in_(("pending", "generated")), _c.sending_since.is_(None),
        _c.kind.in_((BRIEFING, WEEKLY)))).all()
    for row in unsent:
        due = local_instant(row.local_date, profile.briefing_time, profile.tz)
        s.execute(update(_outbox).where(_c.id == row.id).values(due_at=due))


class Pacer:
    """Sends spaced `1 / rate` seconds apart across every process sharing the database: `slots(n)` takes
    the next `n` free moments (epoch seconds, `interval` apart: wait until each, then send) in one atomic
    UPDATE; `hold(seconds)` pushes every later slot back (Telegram said 429: retry after)."""

    CHANNEL = "telegram"

    def __init__(self, engine: Engine, rate_per_s: float) -> None:
        self.engine, self.rate, self.interval = engine, rate_per_s, 1.0 / rate_per_s
        with Session(engine) as s, s.begin():
            s.execute(upsert_insert(s)(SendPacingRow).values(channel=self.CHANNEL, next_slot=0.0)
                      .on_conflict_do_nothing(index_elements=("channel",)))

    def slots(self, count: int = 1) -> list[float]:
        now = clock.time()
        column = SendPacingRow.next_slot
        statement = (update(SendPacingRow).where(SendPacingRow.channel == self.CHANNEL)
                     .values(next_slot=case((column > now, column), else_=now) + count * self.interval)
                     .returning(column))
        with Session(self.engine) as s, s.begin():
            first = s.execute(statement).scalar_one() - count * self.interval
        return [first + n * self.interval for n in range(count)]

    def hold(self, seconds: float) -> None:
        until = clock.time() + seconds
        column = SendPacingRow.next_slot
        with Session(self.engine) as s, s.begin():
            s.execute(update(SendPacingRow).where(SendPacingRow.channel == self.CHANNEL)
                      .values(next_slot=case((column > until, column), else_=until)))
