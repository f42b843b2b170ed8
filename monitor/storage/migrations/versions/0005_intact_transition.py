"""Intact/not-intact changes per camera: the time-weighted intact rate of a period.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intact_transition",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intact_transition")),
    )
    op.create_index("ix_intact_transition_at", "intact_transition", ["at"], unique=False)
    op.create_index(
        "ix_intact_transition_camera_at", "intact_transition", ["camera", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_intact_transition_camera_at", table_name="intact_transition")
    op.drop_index("ix_intact_transition_at", table_name="intact_transition")
    op.drop_table("intact_transition")
