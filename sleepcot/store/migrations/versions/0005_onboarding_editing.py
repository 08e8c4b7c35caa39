"""The pending onboarding question as (step, editing): a setting edited from /settings is marked by its own
column instead of an "edit:" prefix on the step's name.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = "edit:"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("onboarding_editing", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE users SET onboarding_editing = :yes, onboarding_step = substr(onboarding_step, :start) "
                       "WHERE onboarding_step LIKE :prefix").bindparams(yes=True, start=len(PREFIX) + 1,
                                                                        prefix=PREFIX + "%"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE users SET onboarding_step = :prefix || onboarding_step "
                       "WHERE onboarding_editing AND onboarding_step IS NOT NULL").bindparams(prefix=PREFIX))
    with op.batch_alter_table("users") as batch:
        batch.drop_column("onboarding_editing")
