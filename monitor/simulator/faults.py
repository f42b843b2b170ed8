"""Faults a simulated device can carry, and the faults file that assigns them.

A faults file is YAML mapping a camera or NVR id of the site map to a fault::

    cam-0001: offline
    cam-0002: hang
    cam-0003: auth_fail
    cam-0004: {clock_skew: 3600}
    cam-0005: no_snapshot
    cam-0006: {video: blur}
    cam-0007: [auth_fail, {clock_skew: -28800}]
    cam-0008: {http_status: 500}
    cam-0009: {foreign_xaddr: "127.0.0.2:8000"}
    cam-0010: {video: {fault: blur, strength: 0.5}}
    cam-0011: {video: {fault: frozen, clock: running}}
    nvr-north-1: {recording_gaps: 0.1}
    nvr-north-2: [{disk: error}, {retention_days: 12}]

A device may carry several faults (a list). Every mistake is an error naming
the file, the line and the device: a fault is never silently dropped.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

from site_map.model import SiteMap

# Faults given by name alone.
FLAG_FAULTS: tuple[str, ...] = (
    "offline",
    "hang",
    "auth_fail",
    "no_snapshot",
    "reset",
    "garbage",
    "soap_fault",
    "xml_bomb",
    "xxe",
    "bad_snapshot",
)
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
# More of the image-fault vocabulary the snapshots can show.
VIDEO_MORE_FAULTS: tuple[str, ...] = ("noise", "signal_loss")
# A healthy picture that is not the daytime scene (an infrared night view): not a fault.
VIDEO_SCENES: tuple[str, ...] = ("night",)
# Everything `video:` accepts.
VIDEO_KINDS: tuple[str, ...] = VIDEO_FAULTS + VIDEO_MORE_FAULTS + VIDEO_SCENES
# Video kinds whose severity `strength` sets (from just above 0 to 1, the default).
VIDEO_STRENGTH_KINDS: tuple[str, ...] = tuple(
    kind for kind in VIDEO_KINDS if kind not in ("frozen", "night")
)
# What the on-screen clock of a frozen camera does.
VIDEO_CLOCKS: tuple[str, ...] = ("stopped", "running")
VIDEO_USAGE = "e.g. 'blur' or {fault: blur, strength: 0.5} or {fault: frozen, clock: running}"
DISK_FAULTS: tuple[str, ...] = ("error",)
# How a flooding device frames its endless answer.
FLOOD_KINDS: tuple[str, ...] = ("length", "chunked")
# Faults with a value, as `{name: value}`.
VALUE_FAULTS: tuple[str, ...] = (
    "clock_skew",
    "clock_report_only",
    "slow",
    "http_status",
    "flood",
    "flood_snapshot",
    "foreign_xaddr",
    "redirect",
    "video",
    "recording_gaps",
    "disk",
    "retention_days",
)
# Value faults that may also be written alone, meaning this value.
DEFAULT_VALUES: dict[str, object] = {"flood": "length", "flood_snapshot": "length"}
# Faults that each replace the device's SOAP answers: at most one per device.
ANSWER_FAULTS: tuple[str, ...] = (
    "reset",
    "redirect",
    "http_status",
    "flood",
    "garbage",
    "xml_bomb",
    "xxe",
    "soap_fault",
)
# Faults that each replace the snapshot: at most one per device.
SNAPSHOT_FAULTS: tuple[str, ...] = ("no_snapshot", "bad_snapshot", "flood_snapshot")
# Faults of a camera's video; an NVR carrying one is a mistake.
CAMERA_ONLY: tuple[str, ...] = ("video", *SNAPSHOT_FAULTS)
# Faults of a recorder's storage; a camera carrying one is a mistake.
NVR_ONLY: tuple[str, ...] = ("recording_gaps", "disk", "retention_days")
# What a simulated NVR can do (monitor/simulator/nvr): the rest is for cameras.
NVR_FAULTS: tuple[str, ...] = ("offline", "hang", "slow", "auth_fail", *NVR_ONLY)
# Longer than any recorder keeps video; longer is a typo.
MAX_RETENTION_DAYS = 3650

# A clock more than ten years off is a typo, not a fault worth simulating.
MAX_CLOCK_SKEW = 10 * 365 * 86400.0
# A delay longer than this is a hang; write `hang`.
MAX_SLOW_SECONDS = 3600.0

EXPECTED = (
    "expected one of: offline, hang, auth_fail, no_snapshot, reset, garbage, soap_fault, "
    "xml_bomb, xxe, bad_snapshot, clock_skew: SECONDS, clock_report_only: SECONDS, "
    "slow: SECONDS, http_status: CODE [empty], flood: length|chunked, "
    "flood_snapshot: length|chunked, foreign_xaddr: HOST:PORT, redirect: HOST:PORT, "
    "video: " + "|".join(VIDEO_FAULTS) + ", recording_gaps: FRACTION, disk: error, "
    "retention_days: DAYS"
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
    reset: bool = False  # starts every answer, then aborts the connection (TCP RST)
    garbage: bool = False  # SOAP answers are 200 with broken XML and random bytes
    soap_fault: bool = False  # authenticated SOAP calls answer env:Receiver / ter:Action
    xml_bomb: bool = False  # SOAP answers carry an entity-expansion ("billion laughs") DTD
    xxe: bool = False  # SOAP answers declare an external entity (file:///etc/passwd)
    bad_snapshot: bool = False  # the snapshot is 200 with bytes that are not an image
    clock_skew: float = 0.0  # device clock minus real time, seconds
    clock_report_only: float = 0.0  # reported clock is shifted; tokens checked unshifted
    slow: float = 0.0  # seconds every answer is delayed
    http_status: int = 0  # SOAP endpoints answer this HTTP status (400-599)
    http_empty: bool = False  # ... with an empty body instead of an HTML page
    flood: str | None = None  # SOAP answers are 50 MB long (FLOOD_KINDS)
    flood_snapshot: str | None = None  # the snapshot is 50 MB long (FLOOD_KINDS)
    foreign_xaddr: str | None = None  # HOST:PORT the device advertises instead of its own
    redirect: str | None = None  # HOST:PORT every answer redirects to
    video: str | None = None  # what the snapshots show (VIDEO_KINDS): an image fault, or night
    video_strength: float = 1.0  # how strong the image fault is, (0, 1]
    video_clock_running: bool = False  # frozen: the on-screen clock still ticks
    recording_gaps: float = 0.0  # NVR: fraction of the expected recording missing
    disk: str | None = None  # NVR: disk fault (DISK_FAULTS)
    retention_days: float = 0.0  # NVR: keeps only this many days (0: longer than required)

    @property
    def video_fault(self) -> str | None:
        """The image fault the snapshots show (``night`` is a healthy picture, not one)."""
        return self.video if self.video not in VIDEO_SCENES else None

    @property
    def active(self) -> bool:
        """True when anything at all is wrong (a night picture is nothing wrong)."""
        if self.video in VIDEO_SCENES:
            return replace(self, video=None) != HEALTHY
        return self != HEALTHY

    @property
    def reported_clock_shift(self) -> float:
        """What GetSystemDateAndTime adds to real time (the device's clock as it reports it)."""
        return self.clock_skew + self.clock_report_only

    def describe(self) -> str:
        """A short human-readable list, e.g. ``auth_fail, clock_skew: 3600``."""
        parts: list[str] = [name for name in FLAG_FAULTS if getattr(self, name)]
        for name in ("clock_skew", "clock_report_only", "slow", "recording_gaps", "retention_days"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}: {value:g}")
        if self.http_status:
            parts.append(f"http_status: {self.http_status}" + (" empty" if self.http_empty else ""))
        for name in ("flood", "flood_snapshot", "foreign_xaddr", "redirect", "video", "disk"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}: {value}{self._video_detail() if name == 'video' else ''}")
        return ", ".join(parts) if parts else "healthy"

    def _video_detail(self) -> str:
        if self.video_clock_running:
            return " (clock running)"
        if self.video_strength != 1.0:
            return f" (strength {self.video_strength:g})"
        return ""


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


def _choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise FaultError(f"unknown {name} fault {value!r} (expected one of: {', '.join(choices)})")
    return value


def _loopback_address(name: str, value: object) -> str:
    """``HOST:PORT`` with HOST in 127.0.0.0/8: a device may only point at loopback."""
    usage = f"{name} needs HOST:PORT with a loopback IPv4 host, e.g. '127.0.0.2:8000'"
    if not isinstance(value, str):
        raise FaultError(f"{usage}, got {value!r}")
    host, sep, port_text = value.strip().rpartition(":")
    try:
        address = ipaddress.ip_address(host) if sep else None
    except ValueError:
        address = None
    if address is None or address.version != 4 or not address.is_loopback:
        raise FaultError(f"{usage}, got {value!r}")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise FaultError(f"{name}: port must be a number from 1 to 65535, got {value!r}")
    return f"{address}:{int(port_text)}"


def _http_status(value: object) -> list[tuple[str, object]]:
    usage = "http_status needs an HTTP error status from 400 to 599, optionally followed by 'empty'"
    if isinstance(value, bool):
        raise FaultError(f"{usage} (e.g. 500 or '500 empty'), got {value!r}")
    words = value.split() if isinstance(value, str) else [value]
    code = words[0] if words else None
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or not 400 <= code <= 599 or len(words) > 2:
        raise FaultError(f"{usage} (e.g. 500 or '500 empty'), got {value!r}")
    body = words[1] if len(words) == 2 else "html"
    if body not in ("empty", "html"):
        raise FaultError(f"http_status body must be 'empty' or 'html', got {body!r}")
    return [("http_status", code), ("http_empty", body == "empty")]


def _video(value: object) -> list[tuple[str, object]]:
    """``video: KIND`` or ``video: {fault: KIND, strength: S, clock: stopped|running}``."""
    if isinstance(value, str):
        return [("video", _choice("video", value.strip(), VIDEO_KINDS))]
    if not isinstance(value, Mapping):
        raise FaultError(f"video needs a fault name or a mapping ({VIDEO_USAGE}), got {value!r}")
    unknown = [key for key in value if key not in ("fault", "strength", "clock")]
    if unknown:
        raise FaultError(f"video: unknown key {unknown[0]!r} (expected fault, strength, clock)")
    if "fault" not in value:
        raise FaultError(f"video: the mapping needs 'fault' ({VIDEO_USAGE})")
    kind = _choice("video", value["fault"], VIDEO_KINDS)
    pairs: list[tuple[str, object]] = [("video", kind)]
    if "strength" in value:
        if kind not in VIDEO_STRENGTH_KINDS:
            raise FaultError(f"video: strength does not apply to {kind}")
        strength = _number("video strength", value["strength"])
        if not 0.0 < strength <= 1.0:
            raise FaultError(
                f"video strength must be more than 0 and at most 1, got {value['strength']!r}"
            )
        pairs.append(("video_strength", strength))
    if "clock" in value:
        if kind != "frozen":
            raise FaultError(f"video: clock applies to frozen only, not to {kind}")
        clock = value["clock"]
        if clock not in VIDEO_CLOCKS:
            raise FaultError(f"video clock must be 'stopped' or 'running', got {clock!r}")
        pairs.append(("video_clock_running", clock == "running"))
    return pairs


def _value_fault(name: str, value: object) -> list[tuple[str, object]]:
    if name in FLAG_FAULTS:
        # `{offline: true}` is accepted as a spelling of `offline`.
        if value is True:
            return [(name, True)]
        raise FaultError(f"{name} takes no value (write it alone, or as '{name}: true')")
    if name in ("clock_skew", "clock_report_only"):
        seconds = _number(name, value)
        if abs(seconds) > MAX_CLOCK_SKEW:
            raise FaultError(f"{name} {seconds:g} s is more than ten years")
        return [(name, seconds)]
    if name == "slow":
        seconds = _number(name, value)
        if not 0.0 < seconds <= MAX_SLOW_SECONDS:
            raise FaultError(
                f"slow needs a delay in seconds, more than 0 and at most {MAX_SLOW_SECONDS:g} "
                f"(a device that never answers is 'hang'), got {value!r}"
            )
        return [(name, seconds)]
    if name == "http_status":
        return _http_status(value)
    if name in ("flood", "flood_snapshot"):
        return [(name, _choice(name, value, FLOOD_KINDS))]
    if name in ("foreign_xaddr", "redirect"):
        return [(name, _loopback_address(name, value))]
    if name == "video":
        return _video(value)
    if name == "recording_gaps":
        fraction = _number("recording_gaps", value)
        if not 0.0 <= fraction <= 1.0:
            raise FaultError(f"recording_gaps must be a fraction from 0 to 1, got {value!r}")
        return [(name, fraction)]
    if name == "disk":
        return [(name, _choice(name, value, DISK_FAULTS))]
    if name == "retention_days":
        days = _number("retention_days", value)
        if not 0.0 < days <= MAX_RETENTION_DAYS:
            raise FaultError(
                f"retention_days needs the days of video the recorder keeps, more than 0 "
                f"and at most {MAX_RETENTION_DAYS}, got {value!r}"
            )
        return [(name, days)]
    raise FaultError(f"unknown fault '{name}' ({EXPECTED})")


def _one_of(found: Mapping[str, object], group: tuple[str, ...], what: str) -> None:
    present = [name for name in group if name in found]
    if len(present) > 1:
        raise FaultError(f"faults {' and '.join(present)} both replace {what}; give only one")


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
            if name in DEFAULT_VALUES:
                pairs = _value_fault(name, DEFAULT_VALUES[name])
            elif name in VALUE_FAULTS:
                raise FaultError(f"{name} needs a value, e.g. '{{{name}: ...}}'")
            elif name not in FLAG_FAULTS:
                raise FaultError(f"unknown fault '{name}' ({EXPECTED})")
            else:
                pairs = [(name, True)]
        elif isinstance(item, Mapping):
            if not item:
                raise FaultError("empty fault mapping")
            pairs = []
            for key, sub in item.items():
                if not isinstance(key, str):
                    raise FaultError(f"unknown fault {key!r} ({EXPECTED})")
                pairs.extend(_value_fault(key.strip(), sub))
        elif item is None:
            raise FaultError(f"no fault given ({EXPECTED})")
        else:
            raise FaultError(f"unknown fault {item!r} ({EXPECTED})")
        for name, parsed in pairs:
            if name in found and found[name] != parsed:
                raise FaultError(f"fault '{name}' given twice with different values")
            found[name] = parsed
    _one_of(found, ANSWER_FAULTS, "the device's SOAP answers")
    _one_of(found, SNAPSHOT_FAULTS, "the snapshot")
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
        nvr_faults = [name for name in NVR_ONLY if getattr(fault, name)]
        if device_id in cameras and nvr_faults:
            verb = "applies" if len(nvr_faults) == 1 else "apply"
            raise FaultError(
                f"{where}: device '{device_id}': {', '.join(nvr_faults)} {verb} to NVRs only"
            )
        if device_id in nvrs:
            camera_faults = [name for name in CAMERA_ONLY if getattr(fault, name)]
            if camera_faults:
                verb = "applies" if len(camera_faults) == 1 else "apply"
                raise FaultError(
                    f"{where}: device '{device_id}': {', '.join(camera_faults)} "
                    f"{verb} to cameras only"
                )
            others = [
                f.name
                for f in fields(Fault)
                if getattr(fault, f.name) != getattr(HEALTHY, f.name)
                and f.name not in NVR_FAULTS
                and f.name != "http_empty"
            ]
            if others:
                raise FaultError(
                    f"{where}: device '{device_id}': {', '.join(others)} is not simulated "
                    f"for NVRs (they take {', '.join(NVR_FAULTS)})"
                )
        faults[device_id] = fault
    return faults
