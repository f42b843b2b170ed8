"""Exposition checks against a private CollectorRegistry, and promtool on real output."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from monitor.exporter.collector import SnapshotCollector
from monitor.polling.snapshot import MonitorSnapshot
from monitor.probing.result import DeviceIdentity, ProbeResult, Reason, Stage, StageResult
from monitor.state import CameraState
from site_map.model import SiteMap
from tests.campus import PASSWORD, small_campus

NOW = 1_790_000_000.0


def _probe(camera: str, fail: tuple[Stage, Reason] | None = None, offset: float = 0.3):
    stages = []
    for stage in (Stage.TCP, Stage.ONVIF, Stage.VIDEO):
        if fail and fail[0] == stage:
            stages.append(StageResult(stage, False, 0.5, fail[1], "boom"))
            break
        stages.append(StageResult(stage, True, 0.01))
    return ProbeResult(
        target=camera,
        started_at=NOW,
        stages=tuple(stages),
        device=DeviceIdentity("Hikvision", "DS-2CD2T47", "V5.7.3", "SN123"),
        clock_offset_seconds=offset,
    )


def _snapshot() -> MonitorSnapshot:
    site_map = SiteMap.model_validate(small_campus(list(range(9001, 9009))))

    def state(camera: str, online: bool, probe: ProbeResult, failures: int = 0) -> CameraState:
        return CameraState(camera, online, NOW, failures, last_probe=probe, device=probe.device)

    states = {
        "cam-1": state("cam-1", True, _probe("cam-1")),
        "cam-2": state("cam-2", True, _probe("cam-2", offset=28800.2)),
        "cam-4": state("cam-4", False, _probe("cam-4", (Stage.TCP, Reason.UNREACHABLE)), 3),
        "cam-7": state("cam-7", True, _probe("cam-7", (Stage.VIDEO, Reason.NO_VIDEO))),
    }
    return MonitorSnapshot.build(
        site_map,
        states,
        cycle_started_at=NOW,
        cycle_finished_at=NOW + 12,
        cycles_completed=1,
        identity_changes={("cam-2", "serial"): 1},
        transitions={"cam-1": 1, "cam-4": 3},
        changes_last_hour={"cam-4": 2},
    )


@pytest.fixture
def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    snap = _snapshot()
    registry.register(SnapshotCollector(lambda: snap))
    return registry


def value(registry: CollectorRegistry, metric: str, **labels: str) -> float | None:
    return registry.get_sample_value(metric, labels)


def test_registering_never_reads_the_snapshot():
    def explode() -> MonitorSnapshot:
        raise AssertionError("describe() must not build metrics from the snapshot")

    registry = CollectorRegistry(auto_describe=True)
    registry.register(SnapshotCollector(explode))


def test_camera_metrics(registry):
    assert value(registry, "tianyan_camera_up", camera="cam-1", campus="east") == 1
    assert value(registry, "tianyan_camera_up", camera="cam-4", campus="east") == 0
    # Never probed is not online, and still a 0, not a missing series.
    assert value(registry, "tianyan_camera_up", camera="cam-8", campus="west") == 0
    assert value(registry, "tianyan_camera_intact", camera="cam-7", campus="west") == 0
    assert value(registry, "tianyan_camera_intact", camera="cam-1", campus="east") == 1
    assert value(registry, "tianyan_camera_probe_success", camera="cam-4", stage="tcp") == 0
    assert value(registry, "tianyan_camera_probe_success", camera="cam-4", stage="onvif") == 0
    assert value(registry, "tianyan_camera_probe_success", camera="cam-7", stage="onvif") == 1
    assert value(registry, "tianyan_camera_probe_success", camera="cam-7", stage="video") == 0
    assert (
        value(
            registry,
            "tianyan_camera_probe_failure",
            camera="cam-7",
            stage="video",
            reason="no_video",
        )
        == 1
    )
    assert value(registry, "tianyan_camera_clock_offset_seconds", camera="cam-2") == 28800.2
    assert (
        value(
            registry,
            "tianyan_camera_info",
            camera="cam-1",
            name="Camera 1",
            campus="east",
            site="east-gate",
            category="gate",
            vendor="Hikvision",
            model="DS-2CD2T47",
            firmware="V5.7.3",
        )
        == 1
    )


def test_identity_and_flap_metrics(registry):
    assert (
        value(registry, "tianyan_camera_identity_changes_total", camera="cam-2", field="serial")
        == 1
    )
    assert (
        value(registry, "tianyan_camera_identity_changes_total", camera="cam-1", field="firmware")
        == 0
    )
    assert value(registry, "tianyan_camera_state_changes_total", camera="cam-4") == 3
    assert value(registry, "tianyan_camera_state_changes_last_hour", camera="cam-4") == 2
    assert value(registry, "tianyan_camera_state_changes_last_hour", camera="cam-1") == 0


def test_coverage_metrics(registry):
    assert (
        value(
            registry,
            "tianyan_site_cameras_required",
            site="east-gate",
            campus="east",
            category="gate",
        )
        == 2
    )
    assert (
        value(
            registry,
            "tianyan_site_cameras_installed",
            site="west-library",
            campus="west",
            category="library",
        )
        == 0
    )
    assert value(registry, "tianyan_school_coverage_ratio", kind="install") == pytest.approx(5 / 6)
    assert value(registry, "tianyan_school_coverage_ratio", kind="online") == pytest.approx(3 / 8)
    # No recorded channel anywhere: the storage rate is absent, not 0.
    assert value(registry, "tianyan_school_coverage_ratio", kind="storage") is None
    assert value(registry, "tianyan_campus_coverage_ratio", kind="install", campus="east") == 1
    assert (
        value(registry, "tianyan_coverage_ratio", kind="install", campus="west", category="library")
        == 0
    )
    assert value(registry, "tianyan_target_ratio", kind="intact") == 0.95
    assert value(registry, "tianyan_last_poll_timestamp_seconds") == NOW + 12
    assert value(registry, "tianyan_assessment_score") == 4


def test_no_campus_all_series_and_no_secret(registry):
    text = generate_latest(registry).decode()
    assert 'campus="all"' not in text
    assert PASSWORD not in text


@pytest.mark.skipif(
    shutil.which("promtool") is None and not os.environ.get("CI"),
    reason="promtool not installed (apt-get install prometheus); CI installs it",
)
def test_promtool_check_metrics_is_clean(registry):
    text = generate_latest(registry)
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.decode().strip() == "" and result.stderr.decode().strip() == ""


def test_site_locations_are_exported_in_their_frame() -> None:
    data = small_campus(list(range(9001, 9009)))
    data["sites"][0]["location"] = {"x": 120.0, "y": 40.5}
    data["sites"][1]["location"] = {"lat": 31.23, "lon": 121.47}
    snap = MonitorSnapshot.build(SiteMap.model_validate(data), {})
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: snap))
    gate = {"site": "east-gate", "campus": "east"}
    lab = {"site": "east-lab", "campus": "east"}
    assert registry.get_sample_value("tianyan_site_location_x_metres", gate) == 120.0
    assert registry.get_sample_value("tianyan_site_location_y_metres", gate) == 40.5
    assert registry.get_sample_value("tianyan_site_location_latitude_degrees", gate) is None
    assert registry.get_sample_value("tianyan_site_location_latitude_degrees", lab) == 31.23
    assert registry.get_sample_value("tianyan_site_location_longitude_degrees", lab) == 121.47
    assert registry.get_sample_value("tianyan_site_location_x_metres", lab) is None
