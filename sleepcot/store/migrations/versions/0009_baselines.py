"""Each user's baselines in one row, kept up to date with `nights`: what judging their latest night reads
of the nights before it (the 14- and 60-night baselines and the fortnight's nights; sleepcot.store.baselines),
in place of `recent_nights` (two months of nights, from which every morning computed the same baselines
again). The rows are made anew when each user's next night is stored (until then a briefing reads the
nights, as without a row).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "baselines",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.Column("prior", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_baselines_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_baselines")),
    )
    op.drop_table("recent_nights")


def downgrade() -> None:
    op.create_table(
        "recent_nights",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.Column("nights", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recent_nights_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_recent_nights")),
    )
    op.drop_table("baselines")
