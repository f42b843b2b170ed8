"""ProbeResult ⇄ JSON-able dict, for the `camera_state.last_probe` column.

The dict holds only JSON types, so it is valid for SQLite's and PostgreSQL's
JSON columns alike: non-finite floats (a NaN measure, say) are written as the
strings "NaN", "Infinity" and "-Infinity" and read back as floats. Stage
durations keep microseconds, as in `StageResult.to_dict`; a stage's empty
reason and detail are left out (`StageResult.from_dict` reads them back).

A probe result carries no secret (probers build stage details from exception
types and status codes), so nothing here needs redacting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from monitor.probing.result import DeviceIdentity, ProbeResult, StageResult

FORMAT_VERSION = 1

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encode_float(value: float) -> float | str:
    value = float(value)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _decode_float(value: object) -> float:
    if isinstance(value, str):
        if value in _NON_FINITE:
            return _NON_FINITE[value]
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _encode_stage(stage: StageResult) -> dict[str, Any]:
    # The fields of StageResult.to_dict, leaving out an empty reason and detail
    # (a 10,000-camera cycle encodes some 40,000 of these).
    data: dict[str, Any] = {
        "stage": stage.stage.value,
        "ok": stage.ok,
        "seconds": _encode_float(round(stage.seconds, 6)),
    }
    if stage.reason is not None:
        data["reason"] = stage.reason.value
    if stage.detail:
        data["detail"] = stage.detail
    return data


def encode_probe(probe: ProbeResult) -> dict[str, Any]:
    """A JSON-able dict holding everything in `probe`."""
    return {
        "format": FORMAT_VERSION,
        "target": probe.target,
        "started_at": _encode_float(probe.started_at),
        "stages": [_encode_stage(stage) for stage in probe.stages],
        "device": probe.device.to_dict() if probe.device is not None else None,
        "clock_offset_seconds": (
            _encode_float(probe.clock_offset_seconds)
            if probe.clock_offset_seconds is not None
            else None
        ),
        "image_faults": list(probe.image_faults),
        "snapshot_bytes": int(probe.snapshot_bytes),
        "measures": {str(k): _encode_float(v) for k, v in probe.measures.items()},
    }


def decode_device(data: Mapping[str, Any] | None) -> DeviceIdentity | None:
    if data is None:
        return None
    return DeviceIdentity(
        manufacturer=str(data.get("manufacturer") or ""),
        model=str(data.get("model") or ""),
        firmware=str(data.get("firmware") or ""),
        serial=str(data.get("serial") or ""),
        hardware=str(data.get("hardware") or ""),
    )


def decode_probe(data: Mapping[str, Any]) -> ProbeResult:
    """The ProbeResult written by `encode_probe`.

    Raises ValueError (or KeyError, TypeError) when `data` is not such a dict,
    e.g. a stage or reason this version does not know.
    """
    version = data.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ValueError(f"unknown probe format {version!r}")
    device = decode_device(data.get("device"))
    offset = data.get("clock_offset_seconds")
    return ProbeResult(
        target=str(data["target"]),
        started_at=_decode_float(data["started_at"]),
        stages=tuple(StageResult.from_dict(dict(stage)) for stage in data.get("stages") or ()),
        device=device,
        clock_offset_seconds=_decode_float(offset) if offset is not None else None,
        image_faults=tuple(str(fault) for fault in data.get("image_faults") or ()),
        snapshot_bytes=int(data.get("snapshot_bytes") or 0),
        measures={str(k): _decode_float(v) for k, v in (data.get("measures") or {}).items()},
    )
