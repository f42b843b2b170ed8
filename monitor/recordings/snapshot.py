"""The immutable storage picture the exporter, the API and the coverage maths read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.recordings.integrity import ChannelIntegrity, StorageForecast
from monitor.recordings.model import Channel, Disk
from site_map.coverage import ChannelStorage


@dataclass(frozen=True, slots=True)
class NvrStatus:
    """One NVR as the last pass found it."""

    nvr: str
    kind: str
    up: bool
    checked_at: float
    seconds: float
    reason: str | None = None  # why it could not be read (the probes' closed set)
    detail: str = ""
    disks: tuple[Disk, ...] = ()
    channels: tuple[Channel, ...] = ()
    forecast: StorageForecast | None = None
    # Cameras whose own search failed this pass (the NVR answered otherwise).
    failed_channels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordingSnapshot:
    """The latest storage picture; swapped in whole after each pass."""

    finished_at: float | None = None
    passes: int = 0
    interval_seconds: float | None = None  # the configured time between passes
    nvrs: Mapping[str, NvrStatus] = field(default_factory=dict)
    channels: Mapping[str, ChannelIntegrity] = field(default_factory=dict)  # by camera id

    def storage(self) -> dict[str, ChannelStorage]:
        """The coverage maths' input: recorded and expected seconds per camera."""
        return {
            camera: ChannelStorage(c.recorded_seconds, c.expected_seconds)
            for camera, c in self.channels.items()
        }
