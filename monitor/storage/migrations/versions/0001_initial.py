"""Initial schema: camera states, state transitions, poll cycles, monitor runs.

Revision ID: 0001
Revises:
Create Date: 2025-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_state",
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("consecutive_successes", sa.Integer(), nullable=False),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_stage", sa.String(), nullable=True),
        sa.Column("failure_reason", sa.String(), nullable=True),
        sa.Column("last_probe", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("camera", name=op.f("pk_camera_state")),
    )
    op.create_table(
        "state_transition",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_transition")),
    )
    op.create_index("ix_state_transition_camera_at", "state_transition", ["camera", "at"])
    op.create_index("ix_state_transition_at", "state_transition", ["at"])
    op.create_table(
        "poll_cycle",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cameras", sa.Integer(), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("intact", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_cycle")),
    )
    op.create_index("ix_poll_cycle_finished_at", "poll_cycle", ["finished_at"])
    op.create_table(
        "monitor_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clean_stop", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_run")),
    )
    op.create_index("ix_monitor_run_started_at", "monitor_run", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_monitor_run_started_at", table_name="monitor_run")
    op.drop_table("monitor_run")
    op.drop_index("ix_poll_cycle_finished_at", table_name="poll_cycle")
    op.drop_table("poll_cycle")
    op.drop_index("ix_state_transition_at", table_name="state_transition")
    op.drop_index("ix_state_transition_camera_at", table_name="state_transition")
    op.drop_table("state_transition")
    op.drop_table("camera_state")
