"""What a probe found: immutable results with a stage and a reason from closed sets."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    """Layers of a camera probe, in the order they run."""

    TCP = "tcp"
    ONVIF = "onvif"
    VIDEO = "video"
    QUALITY = "quality"


STAGE_ORDER: tuple[Stage, ...] = (Stage.TCP, Stage.ONVIF, Stage.VIDEO, Stage.QUALITY)

# The image fault that leaves a camera intact but not covering its site.
SHIFTED = "shifted"


class Reason(StrEnum):
    """Why a stage failed (the design's closed set)."""

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    AUTH_FAILED = "auth_failed"
    CLOCK_SKEW = "clock_skew"
    PROTOCOL_ERROR = "protocol_error"
    NO_VIDEO = "no_video"
    VIDEO_FAULT = "video_fault"


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: Stage
    ok: bool
    seconds: float
    reason: Reason | None = None
    # Human-readable detail for technicians. Never contains a secret: probers
    # build it from exception types and status codes, not from request bodies.
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage.value,
            "ok": self.ok,
            "reason": self.reason.value if self.reason else None,
            "seconds": round(self.seconds, 6),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> StageResult:
        reason = data.get("reason")
        return cls(
            stage=Stage(str(data["stage"])),
            ok=bool(data["ok"]),
            seconds=float(data.get("seconds") or 0.0),  # type: ignore[arg-type]
            reason=Reason(str(reason)) if reason else None,
            detail=str(data.get("detail") or ""),
        )


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "manufacturer": self.manufacturer,
            "model": self.model,
            "firmware": self.firmware,
            "serial": self.serial,
            "hardware": self.hardware,
        }


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One layered probe of one device.

    `stages` holds every stage that ran, in order; the first failed stage is
    the last one (later stages are not attempted).
    """

    target: str
    started_at: float  # unix seconds
    stages: tuple[StageResult, ...]
    device: DeviceIdentity | None = None
    clock_offset_seconds: float | None = None  # device clock − monitor clock
    image_faults: tuple[str, ...] = ()
    # Decoded-frame facts kept for the quality stage; never stored in full.
    snapshot_bytes: int = 0
    measures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.stages) and all(s.ok for s in self.stages)

    @property
    def failure(self) -> StageResult | None:
        return next((s for s in self.stages if not s.ok), None)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)

    def stage(self, stage: Stage) -> StageResult | None:
        return next((s for s in self.stages if s.stage == stage), None)

    def passed(self, stage: Stage) -> bool:
        result = self.stage(stage)
        return result is not None and result.ok

    @property
    def answers_onvif(self) -> bool:
        """Online means: answers ONVIF with valid credentials."""
        return self.passed(Stage.TCP) and self.passed(Stage.ONVIF)

    @property
    def video_ok(self) -> bool:
        """Video fetched and no image fault, a moved view apart.

        A camera whose view was knocked away still works (it is intact
        equipment); it just no longer watches its site, which the effective
        coverage counts (see `shifted`).
        """
        if not self.passed(Stage.VIDEO):
            return False
        if any(fault != SHIFTED for fault in self.image_faults):
            return False
        quality = self.stage(Stage.QUALITY)
        return quality is None or quality.ok or self.shifted

    @property
    def shifted(self) -> bool:
        return SHIFTED in self.image_faults
