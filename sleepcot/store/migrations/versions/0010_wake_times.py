"""Each user's recent wake times in their baselines row, kept up to date with `nights` like the rest of it,
so planning a morning reads one row instead of three weeks of nights (sleepcot.store.baselines). Rows made
before it have none: planning reads those users' nights until their next night is stored.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("baselines") as table:
        table.add_column(sa.Column("wakes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("baselines") as table:
        table.drop_column("wakes")
