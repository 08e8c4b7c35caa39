"""Vendor budgets shared by every process: a row per rate-limit window (with the vendor's Retry-After) and
its lanes (see sleepcot/store/budgets.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vendor_budgets",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("held_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_vendor_budgets")),
    )
    op.create_table(
        "vendor_budget_lanes",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("lane", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("free_at", sa.Float(), nullable=False),
        sa.Column("busy", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", "lane", name=op.f("pk_vendor_budget_lanes")),
    )
    op.create_index("ix_vendor_budget_lanes_key_free_at", "vendor_budget_lanes", ["key", "free_at"])


def downgrade() -> None:
    op.drop_index("ix_vendor_budget_lanes_key_free_at", table_name="vendor_budget_lanes")
    op.drop_table("vendor_budget_lanes")
    op.drop_table("vendor_budgets")
