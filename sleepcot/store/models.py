"""The database schema as SQLAlchemy 2 ORM models: one table per kind of user data.

Every child table references `users.id` with ON DELETE CASCADE, so deleting a user removes all their
rows. Timestamps are stored in UTC; a night also keeps the UTC offsets of its start and end so its local
clock times come back exactly. Constraint names follow `NAMING_CONVENTION`, so the hand-written
migrations name them identically on every backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column
from sqlalchemy.sql import false
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC and always read back aware in UTC (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def user_fk() -> MappedColumn[int]:
    """The owning user's id; the row goes when the user does."""
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class User(Base):
    """A person using SleepCoT. `onboarding_step` names the question the bot is waiting for an answer to
    (None: nothing pending) and `onboarding_editing` whether it is a setting edited from /settings rather
    than a step of onboarding; `consented_at` is when they accepted the terms."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted user's id is never given to someone else

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    consented_at: Mapped[datetime | None]
    onboarding_step: Mapped[str | None] = mapped_column(String(40))
    onboarding_editing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ProfileRow(Base):
    """The user's Profile as JSON (`Profile.model_dump(mode="json")`)."""

    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict[str, Any]]


class NightRow(Base):
    __tablename__ = "nights"
    __table_args__ = (
        UniqueConstraint("user_id", "source", "vendor_id"),
        Index(None, "user_id", "local_date"),
        CheckConstraint("kind IN ('main', 'nap')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = user_fk()
    source: Mapped[str] = mapped_column(String(40))
    vendor_id: Mapped[str] = mapped_column(String(200))
    local_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(8))
    start_utc: Mapped[datetime]
    start_offset_s: Mapped[int]
    end_utc: Mapped[datetime]
    end_offset_s: Mapped[int]

    time_in_bed_s: Mapped[int]
    total_sleep_s: Mapped[int]
    latency_s: Mapped[int | None]
    awake_s: Mapped[int | None]
    deep_s: Mapped[int | None]
    light_s: Mapped[int | None]
    rem_s: Mapped[int | None]
    awakenings: Mapped[int | None]
    efficiency_pct: Mapped[float | None] = mapped_column(Float)
    hr_avg_bpm: Mapped[float | None] = mapped_column(Float)
    hr_lowest_bpm: Mapped[float | None] = mapped_column(Float)
    hrv_rmssd_ms: Mapped[float | None] = mapped_column(Float)
    resp_rate_bpm: Mapped[float | None] = mapped_column(Float)
    spo2_avg_pct: Mapped[float | None] = mapped_column(Float)
    spo2_min_pct: Mapped[float | None] = mapped_column(Float)
    skin_temp_dev_c: Mapped[float | None] = mapped_column(Float)
    score: Mapped[int | None]

    segments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class BaselineRow(Base):
    """What judging a user's latest main night reads of the nights before it (`analysis.Prior`, as JSON):
    their baselines and the fortnight's nights; and their recent wake times (sleepcot.store.baselines keeps
    both up to date with `nights`)."""

    __tablename__ = "baselines"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    latest: Mapped[date]  # the latest main night's local date
    prior: Mapped[dict[str, Any]] = mapped_column(JSON)
    # [local date (ISO), minute of the local day it ended] of the recent main nights, in the order they
    # ended: what planning the user's mornings reads (None: made by a version before 0010)
    wakes: Mapped[list[list[Any]] | None] = mapped_column(JSON, nullable=True)


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = (Index(None, "user_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = user_fk()
    local_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))


class BriefingRow(Base):
    __tablename__ = "briefings"
    __table_args__ = (UniqueConstraint("user_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = user_fk()
    local_date: Mapped[date]
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TurnRow(Base):
    """One message of the conversation with the coach."""

    __tablename__ = "conversation_turns"
    __table_args__ = (
        Index(None, "user_id", "id"),
        CheckConstraint("role IN ('user', 'assistant')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = user_fk()
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxRow(Base):
    """One scheduled message for a user's local date — a briefing, its "no data yet" note, a weekly
    summary — and where it stands: pending (waiting for the night; syncs at `next_attempt_at`) ->
    generated (`payload` is the message; due at `due_at`) -> sent, or skipped (`reason` says why).

    A worker works on a row only while it holds the claim (`claimed_by` until `claimed_until`); every change
    it makes is conditional on still holding it. `sending_since` is written before the message goes to
    Telegram and `sent_at` after, so a row with the first and not the second may have been delivered.
    `parts_sent` counts the parts of a long message Telegram has taken, so a retry never repeats them."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date", "kind"),
        Index(None, "state", "next_attempt_at"),
        Index(None, "state", "due_at"),
        Index(None, "user_id", "kind", "state"),  # "has this user a morning under way?" (planning)
        CheckConstraint("state IN ('pending', 'generated', 'sent', 'skipped')", name="state"),
        CheckConstraint("kind IN ('briefing', 'no_data', 'weekly')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = user_fk()
    local_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any] | None]
    due_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    sending_since: Mapped[datetime | None]
    parts_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    generated_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class SendPacingRow(Base):
    """Telegram's message budget, shared by every process of the bot: the next free send slot, in epoch
    seconds, per `channel` (one: "telegram")."""

    __tablename__ = "send_pacing"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Float)


class CredentialRow(Base):
    """A vendor's OAuth tokens, encrypted by the caller; `key_id` names the key that encrypted them.
    `revoked_at` is set when the vendor refused the grant; the user must reconnect. `unreadable_at` is set
    when no configured key opens it (the operator's keys changed): the user is told once, and it clears
    when the credential is read again."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("user_id", "vendor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = user_fk()
    vendor: Mapped[str] = mapped_column(String(40))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    revoked_at: Mapped[datetime | None]
    unreadable_at: Mapped[datetime | None]


class InviteRow(Base):
    """A single-use invite made by the operator; only the code's SHA-256 is stored. Once redeemed it
    belongs to the user who redeemed it and goes with them."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class OAuthStateRow(Base):
    """A /connect link not yet used: the SHA-256 of the nonce its `state` carries, whose link it is, for
    which vendor, until when. Taken (deleted) by the first callback that presents it, so a link works
    once; it goes with its user, so nobody inherits it."""

    __tablename__ = "oauth_states"

    nonce_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = user_fk()
    vendor: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime]


class BlockedRow(Base):
    """A Telegram account the operator blocked: their data was removed and the bot no longer answers them."""

    __tablename__ = "blocked"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    blocked_at: Mapped[datetime] = mapped_column(default=utcnow)


class VendorBudgetRow(Base):
    """One rate-limit window of a vendor, shared by every process (sleepcot/store/budgets.py): its `key`
    (vendor, scope, user where per token, the limit) and until when the vendor told us to wait (epoch
    seconds, the database's clock). Taking a budget locks this row, so its lanes change one taker at a time."""

    __tablename__ = "vendor_budgets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    held_until: Mapped[float] = mapped_column(Float)


class VendorBudgetLaneRow(Base):
    """A lane of a window of N requests per T seconds (at most N lanes): one request at a time, the next one
    T after the vendor answered the last. `free_at`: when the lane may send again (epoch seconds); while a
    request is in flight, the latest moment it could free (`busy`)."""

    __tablename__ = "vendor_budget_lanes"
    __table_args__ = (Index("ix_vendor_budget_lanes_key_free_at", "key", "free_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    lane: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    free_at: Mapped[float] = mapped_column(Float)
    busy: Mapped[bool] = mapped_column(Boolean)
