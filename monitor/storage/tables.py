"""Database tables of the monitor's persistent state (SQLAlchemy 2 declarative models).

Every time is a timezone-aware UTC timestamp (`DateTime(timezone=True)`); the
store converts to and from unix seconds at its API boundary. The schema is
created and changed only by the Alembic migrations in `migrations/versions/`;
a test checks that the head revision matches these models exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, LargeBinary, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint and index names, so migrations can refer to them.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON(none_as_null=True),
        str: String(),
    }


class CameraStateRow(Base):
    """The latest state of one camera (one row per camera, upserted every cycle)."""

    __tablename__ = "camera_state"

    camera: Mapped[str] = mapped_column(primary_key=True)
    online: Mapped[bool]
    # Derived from `online` and the last probe; kept for plain-SQL reporting.
    intact: Mapped[bool]
    # When `online` last changed (or the first probe).
    since: Mapped[datetime]
    consecutive_failures: Mapped[int]
    consecutive_successes: Mapped[int]
    # Start of the last probe, and the first stage that failed in it (if any).
    probed_at: Mapped[datetime | None]
    failed_stage: Mapped[str | None]
    failure_reason: Mapped[str | None]
    # The whole last probe result, as written by `monitor.storage.codec`.
    last_probe: Mapped[dict[str, Any] | None]
    # End of the poll cycle that last saved this row.
    updated_at: Mapped[datetime]
    # The identity the device last reported (kept while it does not answer).
    device: Mapped[dict[str, Any] | None]


class StateTransitionRow(Base):
    """Append-only history of online/offline changes: the source of outage intervals."""

    __tablename__ = "state_transition"
    __table_args__ = (
        Index("ix_state_transition_camera_at", "camera", "at"),
        Index("ix_state_transition_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera: Mapped[str]
    at: Mapped[datetime]
    online: Mapped[bool]
    # For a change to offline: the failing stage and its reason.
    stage: Mapped[str | None]
    reason: Mapped[str | None]


class IntactTransitionRow(Base):
    """Append-only history of intact/not-intact changes: the time-weighted intact rate."""

    __tablename__ = "intact_transition"
    __table_args__ = (
        Index("ix_intact_transition_camera_at", "camera", "at"),
        Index("ix_intact_transition_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera: Mapped[str]
    at: Mapped[datetime]
    intact: Mapped[bool]
    # For a change to not intact: the failing stage and its reason.
    stage: Mapped[str | None]
    reason: Mapped[str | None]


class DeviceEventRow(Base):
    """Append-only history of identity changes: a swapped device, new firmware."""

    __tablename__ = "device_event"
    __table_args__ = (Index("ix_device_event_camera_at", "camera", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera: Mapped[str]
    at: Mapped[datetime]
    # manufacturer | model | firmware | serial
    field: Mapped[str]
    old: Mapped[str]
    new: Mapped[str]


class CameraReferenceRow(Base):
    """The view each camera should show: the signature its `shifted` check compares with."""

    __tablename__ = "camera_reference"
    __table_args__ = (Index("ix_camera_reference_updated_at", "updated_at"),)

    camera: Mapped[str] = mapped_column(primary_key=True)
    # When the frame was taken, and when this row last changed (for reloads).
    taken_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # "first" (the first good frame) or "accepted" (an operator accepted a new view).
    origin: Mapped[str]
    height: Mapped[int]
    width: Mapped[int]
    # Grayscale pixels, row-major, height × width bytes.
    pixels: Mapped[bytes] = mapped_column(LargeBinary)


class PollCycleRow(Base):
    """One completed poll cycle over all cameras, with its counts."""

    __tablename__ = "poll_cycle"
    __table_args__ = (Index("ix_poll_cycle_finished_at", "finished_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    cameras: Mapped[int]
    online: Mapped[int]
    intact: Mapped[int]
    # Cameras whose last probe failed at some stage (before hysteresis).
    failed: Mapped[int]


class MonitorRunRow(Base):
    """One run of the monitor process, so unmonitored time can be reported."""

    __tablename__ = "monitor_run"
    __table_args__ = (Index("ix_monitor_run_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime]
    # NULL while the run is going on.
    stopped_at: Mapped[datetime | None]
    # False when the run ended without a stop mark (crash, kill): `stopped_at`
    # is then the end of its last poll cycle, set when the next run starts.
    clean_stop: Mapped[bool]


metadata: MetaData = Base.metadata


class RecordingIntervalRow(Base):
    """A stretch of footage found on a recorder for one camera's channel (merged)."""

    __tablename__ = "recording_interval"
    __table_args__ = (Index("ix_recording_interval_camera_start", "camera", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera: Mapped[str]
    start: Mapped[datetime]
    end: Mapped[datetime]


class RecordingCheckRow(Base):
    """How far each camera's footage has been searched, so searches stay incremental."""

    __tablename__ = "recording_check"

    camera: Mapped[str] = mapped_column(primary_key=True)
    # Footage up to here is known (the end of the last successful search).
    checked_until: Mapped[datetime]
    # The last search over the whole retention window (not only the new time).
    full_check_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NvrStatusRow(Base):
    """What the last storage pass found of each NVR, so a restart shows it at once."""

    __tablename__ = "nvr_status"

    nvr: Mapped[str] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime]
    up: Mapped[bool]
    seconds: Mapped[float]
    # Why it could not be read (the probes' closed set) and a short detail.
    reason: Mapped[str | None]
    detail: Mapped[str]
    # {"disks": [{id, name, status, capacity_bytes, free_bytes, device_status}, ...]}
    disks: Mapped[dict[str, Any] | None]
    # {camera: why its search failed}
    failed_channels: Mapped[dict[str, Any] | None]


camera_state: Table = CameraStateRow.__table__  # type: ignore[assignment]
state_transition: Table = StateTransitionRow.__table__  # type: ignore[assignment]
poll_cycle: Table = PollCycleRow.__table__  # type: ignore[assignment]
device_event: Table = DeviceEventRow.__table__  # type: ignore[assignment]
camera_reference: Table = CameraReferenceRow.__table__  # type: ignore[assignment]
monitor_run: Table = MonitorRunRow.__table__  # type: ignore[assignment]
intact_transition: Table = IntactTransitionRow.__table__  # type: ignore[assignment]
recording_interval: Table = RecordingIntervalRow.__table__  # type: ignore[assignment]
recording_check: Table = RecordingCheckRow.__table__  # type: ignore[assignment]
nvr_status: Table = NvrStatusRow.__table__  # type: ignore[assignment]
