"""What a recorder tells us, in one vocabulary whatever its brand.

Times are POSIX seconds (UTC): each adapter converts the device's own
format (xs:dateTime, ISAPI's ISO 8601, Dahua's local "YYYY-MM-DD HH:MM:SS")
once, at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from monitor.probing.result import Reason

# Disk states, closed set. The vendors' words map onto these (ISAPI
# `smartFailed` → smart_failed, `reparing` (sic) → repairing, `formating` (sic)
# → formatting, `notexist` → not_exist); anything else is `unknown`.
DISK_STATUSES: tuple[str, ...] = (
    "ok",
    "idle",
    "unformatted",
    "error",
    "mismatch",
    "offline",
    "smart_failed",
    "repairing",
    "formatting",
    "not_exist",
    "unknown",
)
# A sleeping (idle) disk is healthy: NVRs spin down disks they are not writing.
HEALTHY_DISK_STATUSES: frozenset[str] = frozenset({"ok", "idle"})


@dataclass(frozen=True, slots=True)
class Disk:
    id: str  # the device's own id ("1", "/dev/sda", ...)
    name: str
    status: str  # one of DISK_STATUSES
    capacity_bytes: int | None  # None when the device does not say
    free_bytes: int | None
    device_status: str = ""  # the device's own word, for the technician

    @property
    def healthy(self) -> bool:
        return self.status in HEALTHY_DISK_STATUSES


@dataclass(frozen=True, slots=True)
class Channel:
    number: int  # 1-based, as the site map's `nvr.channel`
    name: str = ""
    online: bool | None = None  # the camera behind it answers the recorder; None: not said
    recording: bool | None = None  # what the device claims; the footage is the judge


@dataclass(frozen=True, slots=True, order=True)
class Segment:
    """One stretch of recorded video, [start, end) in POSIX seconds."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def local_zone() -> tzinfo:
    """The machine's own time zone: the default for an NVR without `timezone:`."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else ZoneInfo("UTC")


class RecorderError(Exception):
    """A recorder call failed; `reason` is from the probes' closed set, `http_status`
    the answer's status when the failure was an HTTP error status."""

    def __init__(self, reason: Reason, detail: str, *, http_status: int | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"
