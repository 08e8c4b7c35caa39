"""Reading and writing SleepCoT's data: `Store` owns the database, `UserStore` one user's rows in it.

User isolation lives here: a `UserStore` is bound to one user id and every statement it runs is
filtered by (or writes) that id, so code holding one user's store cannot reach another user's data.
Each method runs in its own short transaction. Works on SQLite (WAL, foreign keys on) and on
PostgreSQL through psycopg 3.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    ColumnElement,
    Text,
    cast,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from sleepcot.domain import Night, NightKind, Profile, Tag
from sleepcot.store.dialects import upsert_insert
from sleepcot.store.models import (
    NIGHT_VALUE_FIELDS,
    BriefingRow,
    CredentialRow,
    InviteRow,
    NightRow,
    ProfileRow,
    TagRow,
    TurnRow,
    User,
    utcnow,
)
from sleepcot.store.outbox import Outbox, Pacer, reschedule

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 0x51EE9C07  # the advisory lock migrations take on PostgreSQL
ROLES = ("user", "assistant")


class UnknownUser(KeyError):
    """No user with this id exists (any more)."""


class _NotRedeemed(Exception):
    """The invite code was unknown, used or expired."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ":memory:"
    if database == ":memory:":  # one shared connection, or each would see its own empty database
        engine = create_engine(parsed, poolclass=StaticPool)
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        yield session


class Store:
    """The database: users, migrations, and a `UserStore` per user."""

    def __init__(self, url: str) -> None:
        self.engine = _engine(url)

    def migrate(self) -> None:
        """Bring the schema to the newest revision (does nothing when it is already there). Processes
        starting together (the bot and its workers) migrate one after the other: a PostgreSQL advisory
        lock, or a lock file beside a SQLite database."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._migration_lock(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def create_user(self, profile: Profile, telegram_id: int | None = None) -> int:
        with _transaction(self.engine) as s:
            user = User(telegram_id=telegram_id)
            s.add(user)
            s.flush()
            s.add(ProfileRow(user_id=user.id, data=profile.model_dump(mode="json")))
            return user.id

    def create_invite(self, valid_for: timedelta) -> str:
        """A new single-use invite code; only its hash is stored."""
        code = secrets.token_urlsafe(12)
        with _transaction(self.engine) as s:
            s.add(InviteRow(code_sha256=_sha256(code), expires_at=utcnow() + valid_for))
        return code

    def redeem_invite(self, code: str, profile: Profile, telegram_id: int) -> int | None:
        """Create the user if `code` is a valid, unused, unexpired invite, atomically spending the code
        (two people racing for one code: exactly one wins). Returns the new user's id, or None."""
        try:
            with _transaction(self.engine) as s:
                user = User(telegram_id=telegram_id)
                s.add(user)
                s.flush()
                spent = s.execute(
                    update(InviteRow)
                    .where(InviteRow.code_sha256 == _sha256(code), InviteRow.used_at.is_(None),
                           InviteRow.expires_at > utcnow())
                    .values(used_at=utcnow(), used_by=user.id)
                )
                if spent.rowcount != 1:  # type: ignore[attr-defined]
                    raise _NotRedeemed  # rolls the new user back
                s.add(ProfileRow(user_id=user.id, data=profile.model_dump(mode="json")))
                return user.id
        except _NotRedeemed:
            return None

    def user_by_telegram_id(self, telegram_id: int) -> int | None:
        with _transaction(self.engine) as s:
            return s.scalar(select(User.id).where(User.telegram_id == telegram_id))

    def telegram_id(self, user_id: int) -> int | None:
        """The Telegram id (= private chat id) of a user, or None."""
        with _transaction(self.engine) as s:
            return s.scalar(select(User.telegram_id).where(User.id == user_id))

    def telegram_ids(self, user_ids: list[int]) -> dict[int, int]:
        """The Telegram ids (= private chat ids) of those of `user_ids` who have one."""
        query = select(User.id, User.telegram_id).where(User.id.in_(user_ids), User.telegram_id.is_not(None))
        with _transaction(self.engine) as s:
            return dict(s.execute(query).all())

    def users_with_sources(self, user_ids: list[int]) -> list[int]:
        """Those of `user_ids` with a connected source whose grant holds (the ones a sync can fetch for)."""
        query = (select(CredentialRow.user_id).distinct()
                 .where(CredentialRow.user_id.in_(user_ids), CredentialRow.revoked_at.is_(None)))
        with _transaction(self.engine) as s:
            return sorted(s.scalars(query))

    def user_counts(self) -> tuple[int, int]:
        """How many users there are, and how many of them finished onboarding."""
        with _transaction(self.engine) as s:
            total = s.scalar(select(func.count()).select_from(User))
            onboarded = s.scalar(select(func.count()).select_from(User).where(
                User.consented_at.is_not(None), User.onboarding_step.is_(None)))
            return total, onboarded

    def user_ids(self) -> list[int]:
        with _transaction(self.engine) as s:
            return list(s.scalars(select(User.id).order_by(User.id)))

    def outbox(self, worker: str) -> Outbox:
        """The scheduled messages, as the worker named `worker` (unique per process) claims them."""
        return Outbox(self.engine, worker)

    def pacer(self, rate_per_s: float) -> Pacer:
        """Telegram's message budget, shared by every process on this database."""
        return Pacer(self.engine, rate_per_s)

    def recent_data(self, days: dict[int, date], back_days: int, tag_days: int) -> dict[int, RecentData]:
        """For many users at once (the scheduler's batches): each user's profile, main nights with local
        dates in [day - back_days, day] (without hypnograms), and tags in [day - tag_days, day], where `day`
        is that user's entry in `days`. Each user's data is read by their own id only."""
        if not days:
            return {}
        ids = list(days)
        low, high = min(days.values()), max(days.values())
        night_columns = [c for c in NightRow.__table__.c if c.name != "segments"]
        profiles = self.profiles(ids)
        with _transaction(self.engine) as s:
            nights = s.execute(select(*night_columns).where(
                NightRow.user_id.in_(ids), NightRow.kind == NightKind.MAIN.value,
                NightRow.local_date >= low - timedelta(days=back_days), NightRow.local_date <= high,
            ).order_by(NightRow.user_id, NightRow.local_date, NightRow.start_utc, NightRow.id)).all()
            tags = s.execute(select(TagRow.user_id, TagRow.local_date, TagRow.kind, TagRow.note).where(
                TagRow.user_id.in_(ids), TagRow.local_date >= low - timedelta(days=tag_days), TagRow.local_date <= high,
            ).order_by(TagRow.id)).all()
        data = {uid: RecentData(profiles[uid]) for uid in ids if uid in profiles}
        for row in nights:
            entry, day = data.get(row.user_id), days[row.user_id]
            if entry is not None and day - timedelta(days=back_days) <= row.local_date <= day:
                entry.nights.append(_night(row))
        for tag in tags:
            entry, day = data.get(tag.user_id), days[tag.user_id]
            if entry is not None and day - timedelta(days=tag_days) <= tag.local_date <= day:
                entry.tags.append(Tag(local_date=tag.local_date, kind=tag.kind, note=tag.note))
        return data

    def profiles(self, user_ids: list[int]) -> dict[int, Profile]:
        """The profiles of those of `user_ids` who exist."""
        query = select(ProfileRow.user_id, ProfileRow.data).where(ProfileRow.user_id.in_(user_ids))
        with _transaction(self.engine) as s:
            return {user_id: Profile.model_validate(data) for user_id, data in s.execute(query)}

    def wake_times(self, user_ids: list[int], since: date) -> dict[int, list[time]]:
        """Local clock times at which each user's main nights since `since` ended, oldest first."""
        query = (select(NightRow.user_id, NightRow.end_utc, NightRow.end_offset_s)
                 .where(NightRow.user_id.in_(user_ids), NightRow.kind == NightKind.MAIN.value,
                        NightRow.local_date >= since)
                 .order_by(NightRow.user_id, NightRow.end_utc))
        times: dict[int, list[time]] = {}
        with _transaction(self.engine) as s:
            for user_id, end, offset in s.execute(query):
                times.setdefault(user_id, []).append(_local(end, offset).time())
        return times

    def for_user(self, user_id: int) -> UserStore:
        with _transaction(self.engine) as s:
            if s.get(User, user_id) is None:
                raise UnknownUser(user_id)
        return UserStore(self.engine, user_id)

    def close(self) -> None:
        self.engine.dispose()


def _sha256(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _offset_s(moment: datetime) -> int:
    offset = moment.utcoffset()
    assert offset is not None, "a Night holds only aware datetimes"
    return int(offset.total_seconds())


def _night_row(user_id: int, night: Night) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "source": night.source,
        "vendor_id": night.vendor_id,
        "local_date": night.local_date,
        "kind": night.kind.value,
        "start_utc": night.start,
        "start_offset_s": _offset_s(night.start),
        "end_utc": night.end,
        "end_offset_s": _offset_s(night.end),
        **{name: getattr(night, name) for name in NIGHT_VALUE_FIELDS},
        "segments": None if night.segments is None else [s.model_dump(mode="json") for s in night.segments],
    }


def _differs(current: ColumnElement[Any], new: ColumnElement[Any]) -> ColumnElement[bool]:
    """Null-safe "the value changes"; JSON has no equality operator on PostgreSQL, so compare its text."""
    if isinstance(current.type, JSON):
        current, new = cast(current, Text), cast(new, Text)
    return current.is_distinct_from(new)


@functools.lru_cache(maxsize=256)
def _offset_zone(offset_s: int) -> timezone:
    return timezone(timedelta(seconds=offset_s))


def _local(utc: datetime, offset_s: int) -> datetime:
    return utc.astimezone(_offset_zone(offset_s))


@dataclass
class RecentData:
    """One user's recent data for the scheduler (see `Store.recent_data`)."""

    profile: Profile
    nights: list[Night] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)


def _night(row: Any) -> Night:
    """A Night from a row of `nights`. A row read without its hypnogram is built without validation: it
    was validated when it was stored (the scheduler reads hundreds of thousands of them)."""
    values = {
        "source": row.source,
        "vendor_id": row.vendor_id,
        "start": _local(row.start_utc, row.start_offset_s),
        "end": _local(row.end_utc, row.end_offset_s),
        "local_date": row.local_date,
        "kind": NightKind(row.kind),
        **{name: getattr(row, name) for name in NIGHT_VALUE_FIELDS},
    }
    segments = getattr(row, "segments", None)
    if segments is None:
        return Night.model_construct(**values)
    return Night(**values, segments=segments)


class UserStore:
    """One user's data. The only way to read or write it: every query is filtered by `user_id`."""

    def __init__(self, engine: Engine, user_id: int) -> None:
        self._engine = engine
        self.user_id = user_id

    def profile(self) -> Profile:
        with _transaction(self._engine) as s:
            data = s.scalar(select(ProfileRow.data).where(ProfileRow.user_id == self.user_id))
        if data is None:
            raise UnknownUser(self.user_id)
        return Profile.model_validate(data)

    def save_profile(self, profile: Profile) -> None:
        """Save the profile; the scheduled mornings follow it (a new briefing time, timezone or weekly day
        applies to every message not sent yet)."""
        with _transaction(self._engine) as s:
            result = s.execute(
                update(ProfileRow)
                .where(ProfileRow.user_id == self.user_id)
                .values(data=profile.model_dump(mode="json"))
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise UnknownUser(self.user_id)
            reschedule(s, self.user_id, profile)

    def onboarding_step(self) -> str | None:
        """The question the bot is waiting for this user to answer (None: none)."""
        with _transaction(self._engine) as s:
            return s.scalar(select(User.onboarding_step).where(User.id == self.user_id))

    def set_onboarding_step(self, step: str | None) -> None:
        with _transaction(self._engine) as s:
            s.execute(update(User).where(User.id == self.user_id).values(onboarding_step=step))

    def consent(self) -> None:
        with _transaction(self._engine) as s:
            s.execute(update(User).where(User.id == self.user_id).values(consented_at=utcnow()))

    def upsert_nights(self, nights: Iterable[Night]) -> int:
        """Insert new nights and update changed ones, keyed on (source, vendor id); a night given twice
        counts once, the last one winning. Returns how many rows were inserted or changed."""
        rows = list({(n.source, n.vendor_id): _night_row(self.user_id, n) for n in nights}.values())
        if not rows:
            return 0
        with _transaction(self._engine) as s:
            insert = upsert_insert(s)(NightRow.__table__)
            key = ("user_id", "source", "vendor_id")
            changing = [c for c in rows[0] if c not in key]
            current = NightRow.__table__.c
            statement = insert.on_conflict_do_update(
                index_elements=key,
                set_={c: insert.excluded[c] for c in changing},
                where=or_(*(_differs(current[c], insert.excluded[c]) for c in changing)),
            ).returning(NightRow.id)
            return len(s.execute(statement, rows).all())

    def nights(
        self, start: date | None = None, end: date | None = None, kind: NightKind | None = NightKind.MAIN
    ) -> list[Night]:
        """Nights whose local date lies in [start, end] (either bound optional), of `kind` (None: all),
        ordered by local date and start."""
        query = select(NightRow).where(NightRow.user_id == self.user_id)
        if start is not None:
            query = query.where(NightRow.local_date >= start)
        if end is not None:
            query = query.where(NightRow.local_date <= end)
        if kind is not None:
            query = query.where(NightRow.kind == kind.value)
        with _transaction(self._engine) as s:
            rows = s.scalars(query.order_by(NightRow.local_date, NightRow.start_utc, NightRow.id))
            return [_night(row) for row in rows]

    def latest_night(self, kind: NightKind = NightKind.MAIN) -> Night | None:
        query = (
            select(NightRow)
            .where(NightRow.user_id == self.user_id, NightRow.kind == kind.value)
            .order_by(NightRow.local_date.desc(), NightRow.start_utc.desc(), NightRow.id.desc())
            .limit(1)
        )
        with _transaction(self._engine) as s:
            row = s.scalar(query)
            return None if row is None else _night(row)

    def sources(self) -> dict[str, tuple[int, date]]:
        """Per source of nights: how many main nights we hold and the latest one's local date."""
        query = (
            select(NightRow.source, func.count(), func.max(NightRow.local_date))
            .where(NightRow.user_id == self.user_id, NightRow.kind == NightKind.MAIN.value)
            .group_by(NightRow.source)
        )
        with _transaction(self._engine) as s:
            return {source: (count, latest) for source, count, latest in s.execute(query)}

    def add_tag(self, tag: Tag) -> None:
        with _transaction(self._engine) as s:
            s.add(TagRow(user_id=self.user_id, local_date=tag.local_date, kind=tag.kind.value, note=tag.note))

    def tags(self, start: date | None = None, end: date | None = None) -> list[Tag]:
        query = select(TagRow).where(TagRow.user_id == self.user_id)
        if start is not None:
            query = query.where(TagRow.local_date >= start)
        if end is not None:
            query = query.where(TagRow.local_date <= end)
        with _transaction(self._engine) as s:
            rows = s.scalars(query.order_by(TagRow.local_date, TagRow.id))
            return [Tag(local_date=r.local_date, kind=r.kind, note=r.note) for r in rows]

    def save_briefing(self, local_date: date, text: str, meta: dict[str, Any]) -> None:
        """Store the briefing for a local date, replacing any earlier one for that date."""
        with _transaction(self._engine) as s:
            insert = upsert_insert(s)(BriefingRow).values(
                user_id=self.user_id, local_date=local_date, text=text, meta=meta, created_at=utcnow()
            )
            s.execute(
                insert.on_conflict_do_update(
                    index_elements=("user_id", "local_date"),
                    set_={c: insert.excluded[c] for c in ("text", "meta", "created_at")},
                )
            )

    def briefing(self, local_date: date) -> tuple[str, dict[str, Any]] | None:
        query = select(BriefingRow.text, BriefingRow.meta).where(
            BriefingRow.user_id == self.user_id, BriefingRow.local_date == local_date
        )
        with _transaction(self._engine) as s:
            row = s.execute(query).first()
        return None if row is None else (row.text, row.meta)

    def add_turn(self, role: str, text: str, *, keep: int | None = None) -> None:
        """Append a turn; with `keep`, only the newest `keep` turns are kept (the context's bound)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        with _transaction(self._engine) as s:
            s.add(TurnRow(user_id=self.user_id, role=role, text=text))
            if keep is not None:
                s.flush()
                newest = select(TurnRow.id).where(TurnRow.user_id == self.user_id).order_by(TurnRow.id.desc()).limit(keep)
                s.execute(delete(TurnRow).where(TurnRow.user_id == self.user_id, TurnRow.id.not_in(newest)))

    def recent_turns(self, limit: int = 8) -> list[tuple[str, str]]:
        """The last `limit` (role, text) turns of the conversation, oldest first."""
        query = (
            select(TurnRow.role, TurnRow.text)
            .where(TurnRow.user_id == self.user_id)
            .order_by(TurnRow.id.desc())
            .limit(limit)
        )
        with _transaction(self._engine) as s:
            rows = s.execute(query).all()
        return [(row.role, row.text) for row in reversed(rows)]

    def save_credential(self, vendor: str, ciphertext: bytes, key_id: str) -> None:
        """Store (or replace) the encrypted credential for `vendor`; the caller encrypts."""
        with _transaction(self._engine) as s:
            insert = upsert_insert(s)(CredentialRow).values(
                user_id=self.user_id, vendor=vendor, ciphertext=ciphertext, key_id=key_id, updated_at=utcnow(),
                revoked_at=None,
            )
            s.execute(insert.on_conflict_do_update(
                index_elements=("user_id", "vendor"),
                set_={c: insert.excluded[c] for c in ("ciphertext", "key_id", "updated_at", "revoked_at")},
            ))

    def update_credential(self, vendor: str, change: Callable[[bytes], tuple[bytes, str] | None]) -> bytes | None:
        """Read-modify-write of one credential under its row lock (SELECT … FOR UPDATE on PostgreSQL, so
        that several workers never refresh the same single-use token twice): `change` gets the stored
        ciphertext and returns a replacement (ciphertext, key id) or None to keep it. Returns the ciphertext
        now stored, or None when the credential is gone."""
        query = select(CredentialRow).where(CredentialRow.user_id == self.user_id, CredentialRow.vendor == vendor)
        with _transaction(self._engine) as s:
            row = s.scalars(query.with_for_update()).first()
            if row is None:
                return None
            replacement = change(bytes(row.ciphertext))
            if replacement is not None:
                row.ciphertext, row.key_id = replacement
                row.revoked_at = None
            return bytes(row.ciphertext)

    def mark_revoked(self, vendor: str) -> bool:
        """Mark the vendor's grant as revoked; True only the first time (so the user is told once)."""
        with _transaction(self._engine) as s:
            result = s.execute(
                update(CredentialRow)
                .where(CredentialRow.user_id == self.user_id, CredentialRow.vendor == vendor,
                       CredentialRow.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def revoked_vendors(self) -> set[str]:
        """The connected vendors whose grant was revoked (the user must reconnect them)."""
        query = select(CredentialRow.vendor).where(CredentialRow.user_id == self.user_id,
                                                   CredentialRow.revoked_at.is_not(None))
        with _transaction(self._engine) as s:
            return set(s.scalars(query))

    def credential(self, vendor: str) -> tuple[bytes, str] | None:
        """The encrypted credential for `vendor` and the id of the key that encrypted it."""
        query = select(CredentialRow.ciphertext, CredentialRow.key_id).where(
            CredentialRow.user_id == self.user_id, CredentialRow.vendor == vendor
        )
        with _transaction(self._engine) as s:
            row = s.execute(query).first()
        return None if row is None else (bytes(row.ciphertext), row.key_id)

    def vendors(self) -> list[str]:
        """The vendors this user has connected."""
        query = select(CredentialRow.vendor).where(CredentialRow.user_id == self.user_id).order_by(CredentialRow.vendor)
        with _transaction(self._engine) as s:
            return list(s.scalars(query))

    def delete_credential(self, vendor: str) -> bool:
        with _transaction(self._engine) as s:
            result = s.execute(delete(CredentialRow).where(CredentialRow.user_id == self.user_id,
                                                           CredentialRow.vendor == vendor))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def export(self) -> dict[str, Any]:
        """Everything we hold about the user, as JSON-ready data (connected vendors, never their tokens)."""
        with _transaction(self._engine) as s:
            briefings = s.execute(
                select(BriefingRow.local_date, BriefingRow.text, BriefingRow.meta, BriefingRow.created_at)
                .where(BriefingRow.user_id == self.user_id)
                .order_by(BriefingRow.local_date)
            ).all()
            turns = s.execute(
                select(TurnRow.role, TurnRow.text, TurnRow.created_at)
                .where(TurnRow.user_id == self.user_id)
                .order_by(TurnRow.id)
            ).all()
            vendors = s.execute(
                select(CredentialRow.vendor, CredentialRow.updated_at)
                .where(CredentialRow.user_id == self.user_id)
                .order_by(CredentialRow.vendor)
            ).all()
        return {
            "profile": self.profile().model_dump(mode="json"),
            "nights": [n.model_dump(mode="json") for n in self.nights(kind=None)],
            "tags": [t.model_dump(mode="json") for t in self.tags()],
            "briefings": [
                {
                    "local_date": b.local_date.isoformat(),
                    "text": b.text,
                    "meta": b.meta,
                    "created_at": b.created_at.isoformat(),
                }
                for b in briefings
            ],
            "turns": [{"role": t.role, "text": t.text, "created_at": t.created_at.isoformat()} for t in turns],
            "connected_vendors": [{"vendor": v.vendor, "updated_at": v.updated_at.isoformat()} for v in vendors],
        }

    def delete(self) -> None:
        """Remove the user and, through ON DELETE CASCADE, every row of theirs in every table."""
        with _transaction(self._engine) as s:
            s.execute(delete(User).where(User.id == self.user_id))
