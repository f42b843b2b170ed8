"""Faults a simulated device can carry, and the faults file that assigns them.

A faults file is YAML mapping a camera or NVR id of the site map to a fault::

    cam-0001: offline
    cam-0002: hang
    cam-0003: auth_fail
    cam-0004: {clock_skew: 3600}
    cam-0005: no_snapshot
    cam-0006: {video: blur}
    cam-0007: [auth_fail, {clock_skew: -28800}]
    nvr-north-1: {recording_gaps: 0.1}

A device may carry several faults (a list). Every mistake is an error naming
the file, the line and the device: a fault is never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from site_map.model import SiteMap

# Faults given by name alone.
FLAG_FAULTS: tuple[str, ...] = ("offline", "hang", "auth_fail", "no_snapshot")
# Image faults a camera's snapshots can show (the design's `video:` list).
VIDEO_FAULTS: tuple[str, ...] = (
    "black",
    "frozen",
    "blur",
    "occluded",
    "color_cast",
    "dark",
    "bright",
    "shifted",
)
DISK_FAULTS: tuple[str, ...] = ("error",)
# Faults with a value, as `{name: value}`.
VALUE_FAULTS: tuple[str, ...] = ("clock_skew", "video", "recording_gaps", "disk")

# A clock more than ten years off is a typo, not a fault worth simulating.
MAX_CLOCK_SKEW = 10 * 365 * 86400.0

EXPECTED = (
    "expected one of: offline, hang, auth_fail, no_snapshot, clock_skew: SECONDS, "
    "video: " + "|".join(VIDEO_FAULTS) + ", recording_gaps: FRACTION, disk: error"
)


class FaultError(ValueError):
    """A fault or a faults file is wrong; the message names the file and the device."""


@dataclass(frozen=True, slots=True)
class Fault:
    """What is wrong with one simulated device (all off: a healthy device)."""

    offline: bool = False  # nothing listens: connection refused
    hang: bool = False  # accepts and reads, never answers, never closes
    auth_fail: bool = False  # the device's password is not the site map's
    no_snapshot: bool = False  # ONVIF answers, the snapshot URL answers 500
    clock_skew: float = 0.0  # device clock minus real time, seconds
    video: str | None = None  # image fault drawn into the snapshots (VIDEO_FAULTS)
    recording_gaps: float = 0.0  # NVR: fraction of the expected recording missing
    disk: str | None = None  # NVR: disk fault (DISK_FAULTS)

    @property
    def active(self) -> bool:
        """True when anything at all is wrong."""
        return self != HEALTHY

    def describe(self) -> str:
        """A short human-readable list, e.g. ``auth_fail, clock_skew: 3600``."""
        parts: list[str] = [name for name in FLAG_FAULTS if getattr(self, name)]
        if self.clock_skew:
            parts.append(f"clock_skew: {self.clock_skew:g}")
        if self.video:
            parts.append(f"video: {self.video}")
        if self.recording_gaps:
            parts.append(f"recording_gaps: {self.recording_gaps:g}")
        if self.disk:
            parts.append(f"disk: {self.disk}")
        return ", ".join(parts) if parts else "healthy"


HEALTHY = Fault()
_FIELD_NAMES = frozenset(f.name for f in fields(Fault))


def _number(name: str, value: object) -> float:
    # bool is an int in Python; `clock_skew: yes` is a mistake, not 1 second.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"{name} needs a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise FaultError(f"{name} needs a finite number, got {value!r}")
    return number


def _value_fault(name: str, value: object) -> tuple[str, object]:
    if name in FLAG_FAULTS:
        # `{offline: true}` is accepted as a spelling of `offline`.
        if value is True:
            return name, True
        raise FaultError(f"{name} takes no value (write it alone, or as '{name}: true')")
    if name == "clock_skew":
        seconds = _number("clock_skew", value)
        if abs(seconds) > MAX_CLOCK_SKEW:
            raise FaultError(f"clock_skew {seconds:g} s is more than ten years")
        return name, seconds
    if name == "video":
        if not isinstance(value, str) or value not in VIDEO_FAULTS:
            raise FaultError(
                f"unknown video fault {value!r} (expected one of: {', '.join(VIDEO_FAULTS)})"
            )
        return name, value
    if name == "recording_gaps":
        fraction = _number("recording_gaps", value)
        if not 0.0 <= fraction <= 1.0:
            raise FaultError(f"recording_gaps must be a fraction from 0 to 1, got {value!r}")
        return name, fraction
    if name == "disk":
        if not isinstance(value, str) or value not in DISK_FAULTS:
            raise FaultError(
                f"unknown disk fault {value!r} (expected one of: {', '.join(DISK_FAULTS)})"
            )
        return name, value
    raise FaultError(f"unknown fault '{name}' ({EXPECTED})")


def parse_fault(value: object) -> Fault:
    """Parse one device's fault: a name, a ``{name: value}`` mapping, or a list of these."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise FaultError("empty fault list")
    found: dict[str, object] = {}
    for item in items:
        pairs: list[tuple[str, object]]
        if isinstance(item, str):
            name = item.strip()
            if name in VALUE_FAULTS:
                raise FaultError(f"{name} needs a value, e.g. '{{{name}: ...}}'")
            if name not in FLAG_FAULTS:
                raise FaultError(f"unknown fault '{name}' ({EXPECTED})")
            pairs = [(name, True)]
        elif isinstance(item, Mapping):
            if not item:
                raise FaultError("empty fault mapping")
            pairs = []
            for key, sub in item.items():
                if not isinstance(key, str):
                    raise FaultError(f"unknown fault {key!r} ({EXPECTED})")
                pairs.append(_value_fault(key.strip(), sub))
        elif item is None:
            raise FaultError(f"no fault given ({EXPECTED})")
        else:
            raise FaultError(f"unknown fault {item!r} ({EXPECTED})")
        for name, parsed in pairs:
            if name in found and found[name] != parsed:
                raise FaultError(f"fault '{name}' given twice with different values")
            found[name] = parsed
    assert set(found) <= _FIELD_NAMES
    return Fault(**found)  # type: ignore[arg-type]


def _key_lines(text: str) -> dict[str, int]:
    """Line (1-based) of each top-level key, for error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines.setdefault(str(key_node.value), key_node.start_mark.line + 1)
    return lines


def load_faults(path: str | Path | None, site_map: SiteMap) -> dict[str, Fault]:
    """Read a faults file; every key must be a camera or NVR of the site map.

    Returns ``{device id: Fault}``. No file (``None``) means no faults.
    Raises `FaultError` with ``FILE:LINE: ...`` messages.
    """
    if path is None:
        return {}
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FaultError(f"{name}: cannot read faults file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FaultError(f"{name}: the faults file is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise FaultError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FaultError(f"{name}: a faults file maps device ids to faults, e.g. 'cam-1: offline'")

    lines = _key_lines(text)
    cameras = {c.id for c in site_map.cameras}
    nvrs = {n.id for n in site_map.nvrs}
    faults: dict[str, Fault] = {}
    for raw_id, value in data.items():
        device_id = str(raw_id)
        line = lines.get(device_id)
        where = f"{name}:{line}" if line is not None else name
        if device_id not in cameras and device_id not in nvrs:
            raise FaultError(
                f"{where}: unknown device '{device_id}': not a camera or NVR of the site map"
            )
        try:
            fault = parse_fault(value)
        except FaultError as exc:
            raise FaultError(f"{where}: device '{device_id}': {exc}") from None
        if device_id in cameras and (fault.disk is not None):
            raise FaultError(f"{where}: device '{device_id}': disk faults apply to NVRs only")
        if device_id in nvrs and (fault.video is not None or fault.no_snapshot):
            raise FaultError(
                f"{where}: device '{device_id}': video and no_snapshot apply to cameras only"
            )
        faults[device_id] = fault
    return faults
