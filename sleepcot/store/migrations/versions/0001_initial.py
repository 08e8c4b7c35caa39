"""Initial schema: users, profiles, nights, tags, briefings, conversation turns, outbox, credentials.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
    )
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        user_fk("profiles"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_profiles")),
    )
    op.create_table(
        "nights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.String(length=200), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("start_utc", UTC_DATETIME, nullable=False),
        sa.Column("start_offset_s", sa.Integer(), nullable=False),
        sa.Column("end_utc", UTC_DATETIME, nullable=False),
        sa.Column("end_offset_s", sa.Integer(), nullable=False),
        sa.Column("time_in_bed_s", sa.Integer(), nullable=False),
        sa.Column("total_sleep_s", sa.Integer(), nullable=False),
        sa.Column("latency_s", sa.Integer(), nullable=True),
        sa.Column("awake_s", sa.Integer(), nullable=True),
        sa.Column("deep_s", sa.Integer(), nullable=True),
        sa.Column("light_s", sa.Integer(), nullable=True),
        sa.Column("rem_s", sa.Integer(), nullable=True),
        sa.Column("awakenings", sa.Integer(), nullable=True),
        sa.Column("efficiency_pct", sa.Float(), nullable=True),
        sa.Column("hr_avg_bpm", sa.Float(), nullable=True),
        sa.Column("hr_lowest_bpm", sa.Float(), nullable=True),
        sa.Column("hrv_rmssd_ms", sa.Float(), nullable=True),
        sa.Column("resp_rate_bpm", sa.Float(), nullable=True),
        sa.Column("spo2_avg_pct", sa.Float(), nullable=True),
        sa.Column("spo2_min_pct", sa.Float(), nullable=True),
        sa.Column("skin_temp_dev_c", sa.Float(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=True),
        sa.CheckConstraint("kind IN ('main', 'nap')", name=op.f("ck_nights_kind")),
        user_fk("nights"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nights")),
        sa.UniqueConstraint("user_id", "source", "vendor_id", name=op.f("uq_nights_user_id_source_vendor_id")),
    )
    op.create_index(op.f("ix_nights_user_id_local_date"), "nights", ["user_id", "local_date"])
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        user_fk("tags"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
    )
    op.create_index(op.f("ix_tags_user_id_local_date"), "tags", ["user_id", "local_date"])
    op.create_table(
        "briefings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        user_fk("briefings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefings")),
        sa.UniqueConstraint("user_id", "local_date", name=op.f("uq_briefings_user_id_local_date")),
    )
    op.create_table(
        "conversation_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_conversation_turns_role")),
        user_fk("conversation_turns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_turns")),
    )
    op.create_index(op.f("ix_conversation_turns_user_id_id"), "conversation_turns", ["user_id", "id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("state IN ('pending', 'generated', 'sent')", name=op.f("ck_outbox_state")),
        user_fk("outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("user_id", "local_date", "kind", name=op.f("uq_outbox_user_id_local_date_kind")),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=40), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        user_fk("credentials"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("user_id", "vendor", name=op.f("uq_credentials_user_id_vendor")),
    )


def downgrade() -> None:
    for table in ("credentials", "outbox", "conversation_turns", "briefings", "tags", "nights", "profiles", "users"):
        op.drop_table(table)
