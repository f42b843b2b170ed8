"""The storage picture as JSON, for the API (`/api/recordings`) and reports."""

from __future__ import annotations

from typing import Any

from monitor.recordings.snapshot import RecordingSnapshot
from site_map.model import SiteMap

# Gaps listed per channel (the newest ones): enough to act on, not a flood.
MAX_GAPS_LISTED = 50


def _rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def recordings_to_json(recordings: RecordingSnapshot, site_map: SiteMap) -> dict[str, Any]:
    nvrs = []
    for nvr in site_map.nvrs:
        status = recordings.nvrs.get(nvr.id)
        entry: dict[str, Any] = {
            "id": nvr.id,
            "name": nvr.name,
            "kind": nvr.kind,
            "campus": nvr.campus,
            "checked": status is not None,
        }
        if status is not None:
            forecast = status.forecast
            entry.update(
                up=status.up,
                checked_at=status.checked_at,
                seconds=round(status.seconds, 3),
                reason=status.reason,
                detail=status.detail or None,
                disks=[
                    {
                        "id": d.id,
                        "name": d.name,
                        "status": d.status,
                        "device_status": d.device_status,
                        "capacity_bytes": d.capacity_bytes,
                        "free_bytes": d.free_bytes,
                    }
                    for d in status.disks
                ],
                forecast=None
                if forecast is None
                else {
                    "write_bytes_per_second": round(forecast.write_bytes_per_second, 1),
                    "capacity_days": _rounded(forecast.capacity_days, 2),
                    "days_until_full": _rounded(forecast.days_until_full, 2),
                    "days_until_short": _rounded(forecast.days_until_short, 2),
                },
                failed_channels=dict(status.failed_channels),
            )
        nvrs.append(entry)
    channels = []
    for camera in site_map.cameras:
        if camera.nvr is None:
            continue
        c = recordings.channels.get(camera.id)
        entry = {"camera": camera.id, "nvr": camera.nvr.id, "channel": camera.nvr.channel}
        if c is not None:
            entry.update(
                recording=c.recording,
                earliest=c.earliest,
                retention_seconds=round(c.retention_seconds, 1),
                recorded_seconds=round(c.recorded_seconds, 1),
                expected_seconds=round(c.expected_seconds, 1),
                completeness=_rounded(c.completeness),
                gap_count=len(c.gaps),
                gaps=[
                    {"start": g.start, "end": g.end, "seconds": round(g.seconds, 1)}
                    for g in c.gaps[-MAX_GAPS_LISTED:]
                ],
            )
        channels.append(entry)
    return {
        "finished_at": recordings.finished_at,
        "retention_days": site_map.retention_days,
        "nvrs": nvrs,
        "channels": channels,
    }
