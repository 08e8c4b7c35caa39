"""Who may use the bot and what a link can do: a deleted user's id is never reused (SQLite AUTOINCREMENT; a
PostgreSQL sequence never reuses one), a /connect link is a single-use nonce stored with its user, a
credential no key opens is marked so its user is told once, and the operator's blocked accounts; and the
outbox counts the parts of a long message already delivered.

On SQLite the users table is copied into a new one; `Store.migrate` turns foreign keys off around the
migration (SQLite's own recipe for such changes), or dropping the old table would cascade to every row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _users_autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": on}):
            pass


def upgrade() -> None:
    _users_autoincrement(True)
    op.create_table(
        "oauth_states",
        sa.Column("nonce_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=40), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_oauth_states_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("nonce_sha256", name=op.f("pk_oauth_states")),
    )
    op.create_table(
        "blocked",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_blocked")),
    )
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("unreadable_at", UTC_DATETIME, nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("parts_sent")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("unreadable_at")
    op.drop_table("blocked")
    op.drop_table("oauth_states")
    _users_autoincrement(False)
