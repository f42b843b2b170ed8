"""The last storage pass's finding per NVR (up, disks), kept across restarts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nvr_status",
        sa.Column("nvr", sa.String(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("up", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("disks", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("failed_channels", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("nvr", name=op.f("pk_nvr_status")),
    )


def downgrade() -> None:
    op.drop_table("nvr_status")
