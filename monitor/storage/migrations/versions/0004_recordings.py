"""Recorded footage per camera channel, and how far it has been searched.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recording_interval",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_interval")),
    )
    op.create_index(
        "ix_recording_interval_camera_start",
        "recording_interval",
        ["camera", "start"],
        unique=False,
    )
    op.create_table(
        "recording_check",
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("checked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("camera", name=op.f("pk_recording_check")),
    )


def downgrade() -> None:
    op.drop_table("recording_check")
    op.drop_index("ix_recording_interval_camera_start", table_name="recording_interval")
    op.drop_table("recording_interval")
