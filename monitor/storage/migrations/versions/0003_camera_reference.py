"""Reference views: the frame signature each camera's `shifted` check compares with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_reference",
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("pixels", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("camera", name=op.f("pk_camera_reference")),
    )
    op.create_index(
        "ix_camera_reference_updated_at", "camera_reference", ["updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_camera_reference_updated_at", table_name="camera_reference")
    op.drop_table("camera_reference")
