"""Metric families of the storage pass: NVRs, their disks, and each recorded channel.

A recorder not yet checked has no samples (the first pass comes minutes after
a start); one checked and unreachable is `tianyan_nvr_up 0`, never a scrape
error. Disk status is a state set: one sample per status of the closed
vocabulary, 1 for the current one.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from monitor.recordings.model import DISK_STATUSES
from monitor.recordings.snapshot import RecordingSnapshot
from site_map.model import SiteMap

_SPECS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("tianyan_nvr_info", "Configured NVR (always 1).", ("nvr", "name", "kind", "campus")),
    ("tianyan_nvr_up", "1 when the NVR answered its last storage check, 0 if not.", ("nvr",)),
    (
        "tianyan_nvr_last_check_timestamp_seconds",
        "When the NVR's last storage check started.",
        ("nvr",),
    ),
    (
        "tianyan_nvr_check_duration_seconds",
        "How long the NVR's last storage check took (all its channels).",
        ("nvr",),
    ),
    (
        "tianyan_nvr_disk_status",
        "Disk state of the NVR (state set: 1 for the current status).",
        ("nvr", "disk", "status"),
    ),
    ("tianyan_nvr_disk_capacity_bytes", "Disk capacity as the NVR reports it.", ("nvr", "disk")),
    (
        "tianyan_nvr_disk_free_bytes",
        "Free space on the disk as the NVR reports it.",
        ("nvr", "disk"),
    ),
    (
        "tianyan_nvr_write_bytes_per_second",
        "Rate at which the NVR fills its disks (measured from the used space).",
        ("nvr",),
    ),
    (
        "tianyan_nvr_storage_capacity_days",
        "Days of footage the NVR's healthy disks hold at that rate once full.",
        ("nvr",),
    ),
    (
        "tianyan_nvr_days_until_full",
        "Days until the NVR's healthy disks are full at that rate (then it overwrites).",
        ("nvr",),
    ),
    (
        "tianyan_nvr_retention_forecast_days",
        "Days until the retention target can no longer be met at that rate "
        "(0: not met now; no sample: the disks hold more than the target).",
        ("nvr",),
    ),
    (
        "tianyan_channel_info",
        "Where a camera is recorded (always 1).",
        ("camera", "nvr", "channel"),
    ),
    (
        "tianyan_channel_recording",
        "1 when the channel's footage reaches the last few minutes, 0 if not.",
        ("camera",),
    ),
    (
        "tianyan_channel_retention_seconds",
        "How far back the channel's footage reaches (now minus its earliest recording).",
        ("camera",),
    ),
    (
        "tianyan_channel_recording_completeness_ratio",
        "Recorded ÷ expected time over the retention window (the storage rate of one channel).",
        ("camera",),
    ),
    (
        "tianyan_channel_recorded_seconds",
        "Seconds of footage found within the retention window and the schedule.",
        ("camera",),
    ),
    (
        "tianyan_channel_expected_seconds",
        "Seconds the channel should have recorded over the retention window.",
        ("camera",),
    ),
    (
        "tianyan_channel_gaps",
        "Stretches of expected time without footage in the retention window.",
        ("camera",),
    ),
    (
        "tianyan_recordings_last_pass_timestamp_seconds",
        "End of the last storage pass over every NVR.",
        (),
    ),
)


def recording_families() -> dict[str, GaugeMetricFamily]:
    return {name: GaugeMetricFamily(name, doc, labels=list(labels)) for name, doc, labels in _SPECS}


def add_recordings(
    f: dict[str, GaugeMetricFamily], recordings: RecordingSnapshot, site_map: SiteMap
) -> None:
    for nvr in site_map.nvrs:
        f["tianyan_nvr_info"].add_metric([nvr.id, nvr.name, nvr.kind, nvr.campus or ""], 1)
        status = recordings.nvrs.get(nvr.id)
        if status is None:
            continue
        f["tianyan_nvr_up"].add_metric([nvr.id], 1 if status.up else 0)
        f["tianyan_nvr_last_check_timestamp_seconds"].add_metric([nvr.id], status.checked_at)
        f["tianyan_nvr_check_duration_seconds"].add_metric([nvr.id], status.seconds)
        for disk in status.disks:
            for state in DISK_STATUSES:
                f["tianyan_nvr_disk_status"].add_metric(
                    [nvr.id, disk.id, state], 1 if disk.status == state else 0
                )
            if disk.capacity_bytes is not None:
                f["tianyan_nvr_disk_capacity_bytes"].add_metric(
                    [nvr.id, disk.id], disk.capacity_bytes
                )
            if disk.free_bytes is not None:
                f["tianyan_nvr_disk_free_bytes"].add_metric([nvr.id, disk.id], disk.free_bytes)
        forecast = status.forecast
        if forecast is not None:
            f["tianyan_nvr_write_bytes_per_second"].add_metric(
                [nvr.id], forecast.write_bytes_per_second
            )
            f["tianyan_nvr_storage_capacity_days"].add_metric([nvr.id], forecast.capacity_days)
            f["tianyan_nvr_days_until_full"].add_metric([nvr.id], forecast.days_until_full)
            if forecast.days_until_short is not None:
                f["tianyan_nvr_retention_forecast_days"].add_metric(
                    [nvr.id], forecast.days_until_short
                )
    for camera in site_map.cameras:
        if camera.nvr is None:
            continue
        f["tianyan_channel_info"].add_metric([camera.id, camera.nvr.id, str(camera.nvr.channel)], 1)
        channel = recordings.channels.get(camera.id)
        if channel is None:
            continue
        f["tianyan_channel_recording"].add_metric([camera.id], 1 if channel.recording else 0)
        f["tianyan_channel_retention_seconds"].add_metric([camera.id], channel.retention_seconds)
        if channel.completeness is not None:
            f["tianyan_channel_recording_completeness_ratio"].add_metric(
                [camera.id], channel.completeness
            )
        f["tianyan_channel_recorded_seconds"].add_metric([camera.id], channel.recorded_seconds)
        f["tianyan_channel_expected_seconds"].add_metric([camera.id], channel.expected_seconds)
        f["tianyan_channel_gaps"].add_metric([camera.id], len(channel.gaps))
    if recordings.finished_at is not None:
        f["tianyan_recordings_last_pass_timestamp_seconds"].add_metric([], recordings.finished_at)
