"""A campus with NVRs of every kind: known gaps give a storage rate computed by hand,
a failed disk and a recorder that is down show in the metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.config import PollSettings, RecordingSettings
from monitor.exporter.collector import SnapshotCollector
from monitor.polling.poller import Poller
from monitor.recordings.integrity import DAY
from monitor.recordings.poller import RecordingPoller
from monitor.simulator.faults import parse_fault
from monitor.simulator.server import build_simulator
from monitor.storage.store import Store, default_sqlite_url
from site_map.loader import load_site_map
from tests.campus import PASSWORD, PASSWORD_ENV, free_port, small_campus, write_yaml

ENV = {PASSWORD_ENV: PASSWORD}
# cam-1..8 recorded on three NVRs, one of each kind.
RECORDED_ON = {
    "cam-1": ("nvr-hik", 1),
    "cam-2": ("nvr-hik", 2),
    "cam-3": ("nvr-hik", 3),
    "cam-4": ("nvr-dahua", 1),
    "cam-5": ("nvr-dahua", 2),
    "cam-6": ("nvr-onvif", 1),
    "cam-7": ("nvr-onvif", 2),
    "cam-8": ("nvr-onvif", 3),
}


@pytest.fixture
async def campus(tmp_path: Path):
    data = small_campus()
    data["retention_days"] = 30
    data["nvrs"] = [
        {"id": nvr, "kind": kind, "host": "127.0.0.1", "port": free_port(), "campus": campus}
        for nvr, kind, campus in (
            ("nvr-hik", "hikvision", "east"),
            ("nvr-dahua", "dahua", "east"),
            ("nvr-onvif", "onvif", "west"),
        )
    ]
    for camera in data["cameras"]:
        nvr, channel = RECORDED_ON[camera["id"]]
        camera["nvr"] = {"id": nvr, "channel": channel}
    path = write_yaml(tmp_path / "site-map.yaml", data)
    loaded = load_site_map(path, environ=ENV)
    faults = {
        "nvr-hik": parse_fault({"recording_gaps": 0.25}),
        "nvr-dahua": parse_fault([{"disk": "error"}, {"retention_days": 12}]),
    }
    simulator = build_simulator(loaded.site_map, base_dir=tmp_path, environ=ENV, faults=faults)
    store = Store.open(default_sqlite_url(tmp_path))
    recordings = RecordingPoller(loaded, store, RecordingSettings())
    poller = Poller(
        loaded, store, PollSettings(timeout_seconds=5), recordings=lambda: recordings.snapshot
    )
    await simulator.start()
    try:
        yield simulator, poller, recordings
    finally:
        await recordings.close()
        await poller.close()
        store.close()
        await simulator.stop()


def metric(poller: Poller, name: str, **labels: str) -> float | None:
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: poller.snapshot))
    return registry.get_sample_value(name, labels)


async def test_storage_rate_equals_the_hand_computed_value(campus) -> None:
    _simulator, poller, recordings = campus
    await poller.run_cycle()
    snap = await recordings.run_pass()
    poller.refresh_snapshot()
    assert all(status.up for status in snap.nvrs.values()), snap.nvrs

    # By hand: 30-day window. Hikvision's three channels miss a quarter of every
    # day; Dahua keeps only 12 days (its failed disk aside); ONVIF is complete.
    by_hand = (3 * 0.75 + 2 * 12 / 30 + 3 * 1.0) / 8
    report = poller.snapshot.coverage
    assert report.school.storage == pytest.approx(by_hand, abs=1e-4)
    # East: cam-1..3 on the Hikvision, cam-4 on the Dahua.
    assert report.campuses["east"].storage == pytest.approx((3 * 0.75 + 12 / 30) / 4, abs=1e-4)
    channels = snap.channels
    assert channels["cam-1"].completeness == pytest.approx(0.75, abs=1e-4)
    assert channels["cam-4"].retention_seconds == pytest.approx(12 * DAY, abs=5)
    assert channels["cam-6"].retention_seconds == pytest.approx(35 * DAY, abs=5)
    assert len(channels["cam-2"].gaps) in (30, 31)  # one a day
    assert metric(poller, "tianyan_school_coverage_ratio", kind="storage") == pytest.approx(
        by_hand, abs=1e-4
    )
    assert metric(poller, "tianyan_channel_retention_seconds", camera="cam-5") == pytest.approx(
        12 * DAY, abs=5
    )
    assert metric(poller, "tianyan_channel_recording", camera="cam-6") == 1


async def test_a_failed_disk_and_a_recorder_that_is_down_show_in_the_metrics(campus) -> None:
    simulator, poller, recordings = campus
    await recordings.run_pass()
    poller.refresh_snapshot()
    disks = recordings.snapshot.nvrs["nvr-dahua"].disks
    failed = [d for d in disks if d.status == "error"]
    assert failed, disks
    disk = failed[0].id
    assert (
        metric(poller, "tianyan_nvr_disk_status", nvr="nvr-dahua", disk=disk, status="error") == 1
    )
    assert metric(poller, "tianyan_nvr_disk_status", nvr="nvr-dahua", disk=disk, status="ok") == 0
    assert metric(poller, "tianyan_nvr_up", nvr="nvr-dahua") == 1
    # 12 days kept, 30 required: the target is not met now.
    assert metric(poller, "tianyan_nvr_retention_forecast_days", nvr="nvr-dahua") == 0

    await simulator.set_nvr_fault("nvr-onvif", parse_fault("offline"))
    await recordings.run_pass()
    poller.refresh_snapshot()
    assert metric(poller, "tianyan_nvr_up", nvr="nvr-onvif") == 0
    assert recordings.snapshot.nvrs["nvr-onvif"].reason == "unreachable"
    # What was found before is kept: the channels still have their figures.
    assert metric(poller, "tianyan_channel_retention_seconds", camera="cam-6") is not None


async def test_an_offline_camera_stops_its_recording(campus) -> None:
    simulator, _poller, recordings = campus
    simulator.set_fault("cam-6", parse_fault("offline"))
    # Ten minutes later, on the recorder's clock and the monitor's.
    later = lambda: time.time() + 600  # noqa: E731
    simulator.recorders.nvrs["nvr-onvif"].clock = later
    recordings._clock = later
    snap = await recordings.run_pass()
    assert not snap.channels["cam-6"].recording
    assert snap.channels["cam-7"].recording


async def test_api_recordings_lists_nvrs_disks_and_channels(campus) -> None:
    import aiohttp

    from monitor.api.http import bound_port, build_app, serve

    _simulator, poller, recordings = campus
    await recordings.run_pass()
    poller.refresh_snapshot()
    runner = await serve(build_app(lambda: poller.snapshot), "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{bound_port(runner)}/api/recordings"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
    finally:
        await runner.cleanup()
    nvrs = {n["id"]: n for n in body["nvrs"]}
    assert nvrs["nvr-dahua"]["up"] and any(
        d["status"] == "error" for d in nvrs["nvr-dahua"]["disks"]
    )
    assert nvrs["nvr-dahua"]["forecast"]["days_until_short"] == 0
    channels = {c["camera"]: c for c in body["channels"]}
    assert channels["cam-1"]["completeness"] == pytest.approx(0.75, abs=1e-4)
    assert 0 < len(channels["cam-1"]["gaps"]) <= 50
    assert PASSWORD not in json.dumps(body)
