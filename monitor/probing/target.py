"""What a prober needs to reach one device, and the client kept for it across cycles."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.probing.result import DeviceIdentity

if TYPE_CHECKING:
    from onvif import ONVIFCamera


@dataclass(frozen=True, slots=True)
class Target:
    """A device address and login. The password never shows in repr or logs."""

    id: str
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(slots=True)
class ProbeWork:
    """Facts one stage hands to the next during a single probe."""

    clock_offset_seconds: float | None = None
    device: DeviceIdentity | None = None
    image: bytes | None = None
    frame: Any = None  # decoded numpy image, for the quality stage
    measures: dict[str, float] = field(default_factory=dict)
    image_faults: tuple[str, ...] = ()


@dataclass(slots=True)
class QualityState:
    """What the quality stage remembers of a camera between cycles."""

    enabled: bool = True
    thresholds: Any = None  # monitor.quality.thresholds.Thresholds; None = defaults
    sample_every: int = 1  # analyse every Nth video frame
    frozen_after_seconds: float = 10.0  # a previous frame younger than this is not compared
    reference: Any = None  # signature (numpy array) of the view the camera should show
    reference_is_new: bool = False  # taken this cycle, not yet stored
    reference_taken_at: float = 0.0
    previous: Any = None  # signature of the last analysed frame
    previous_at: float = 0.0
    last_faults: tuple[str, ...] = ()
    frames_seen: int = 0

    def due(self) -> bool:
        """Whether the next frame is one to analyse (every `sample_every`-th)."""
        return self.enabled and self.frames_seen % self.sample_every == 0


@dataclass(slots=True)
class DeviceSession:
    """The per-device client, kept across cycles so sockets and parsed WSDL are reused.

    Built lazily by the ONVIF prober; reset after every failed probe, since a
    failure may leave the client in a bad state (a half-read connection, a
    clock shift or addresses that no longer hold).
    """

    target: Target
    camera: ONVIFCamera | None = None
    profile_token: str | None = None
    snapshot_uri: str | None = None
    xaddrs_known: bool = False
    digest: Any = None  # aiohttp.DigestAuthMiddleware for the snapshot URL
    # Image analysis: kept across cycles and across client resets.
    quality: QualityState = field(default_factory=lambda: QualityState())

    async def reset(self) -> None:
        camera, self.camera = self.camera, None
        self.profile_token = None
        self.snapshot_uri = None
        self.xaddrs_known = False
        self.digest = None
        if camera is not None:
            # A broken client must not break the next probe.
            with contextlib.suppress(Exception):
                await camera.close()
