"""Device identity: the last identity per camera, and a history of its changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("camera_state") as batch:
        batch.add_column(sa.Column("device", sa.JSON(none_as_null=True), nullable=True))
    op.create_table(
        "device_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old", sa.String(), nullable=False),
        sa.Column("new", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_event")),
    )
    op.create_index("ix_device_event_camera_at", "device_event", ["camera", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_device_event_camera_at", table_name="device_event")
    op.drop_table("device_event")
    with op.batch_alter_table("camera_state") as batch:
        batch.drop_column("device")
