"""The layered camera probe against simulated devices: every fault classified."""

from __future__ import annotations

import time

import pytest

from monitor.probing.camera import probe_camera
from monitor.probing.registry import prepare_probers
from monitor.probing.result import Reason, Stage
from monitor.probing.target import DeviceSession, Target
from tests.campus import PASSWORD, faulty_cameras, free_port

FAULTS = {
    "healthy": None,
    "ahead-1h": {"clock_skew": 3600},
    "behind-1h": {"clock_skew": -3600},
    "beijing-as-utc": {"clock_skew": 28800},
    "wrong-password": "auth_fail",
    "hanging": "hang",
    "unplugged": "offline",
    "no-snapshot": "no_snapshot",
}
TIMEOUT = 1.5


@pytest.fixture
async def devices():
    ports, simulator = faulty_cameras(FAULTS, "Probe Test")
    await simulator.start()
    await prepare_probers()
    sessions = {
        name: DeviceSession(Target(name, "127.0.0.1", port, "admin", PASSWORD))
        for name, port in ports.items()
    }
    try:
        yield sessions
    finally:
        for session in sessions.values():
            await session.reset()
        await simulator.stop()


def outcome(result) -> tuple[str, str] | None:
    failure = result.failure
    return (failure.stage.value, failure.reason.value) if failure else None


async def test_healthy_camera_passes_every_stage(devices):
    result = await probe_camera(devices["healthy"], TIMEOUT)
    assert result.ok, result.stages
    assert [s.stage for s in result.stages] == [Stage.TCP, Stage.ONVIF, Stage.VIDEO, Stage.QUALITY]
    assert result.device is not None and result.device.serial and result.device.firmware
    assert abs(result.clock_offset_seconds) < 2
    assert result.snapshot_bytes > 1000


@pytest.mark.parametrize(
    ("camera", "offset"), [("ahead-1h", 3600), ("behind-1h", -3600), ("beijing-as-utc", 28800)]
)
async def test_clock_offsets_are_compensated_and_reported(devices, camera, offset):
    result = await probe_camera(devices[camera], TIMEOUT)
    assert result.ok, result.stages
    assert result.clock_offset_seconds == pytest.approx(offset, abs=2)


async def test_clients_are_kept_across_probes(devices):
    session = devices["ahead-1h"]
    await probe_camera(session, TIMEOUT)
    client = session.camera
    second = await probe_camera(session, TIMEOUT)
    assert second.ok and session.camera is client


@pytest.mark.parametrize(
    ("camera", "expected"),
    [
        ("wrong-password", ("onvif", "auth_failed")),
        ("unplugged", ("tcp", "unreachable")),
        ("no-snapshot", ("video", "no_video")),
        ("hanging", ("onvif", "timeout")),
    ],
)
async def test_failures_are_classified(devices, camera, expected):
    result = await probe_camera(devices[camera], TIMEOUT)
    assert outcome(result) == expected
    for stage in result.stages:
        assert PASSWORD not in stage.detail


async def test_a_hanging_camera_costs_its_deadline_and_no_more(devices):
    began = time.monotonic()
    result = await probe_camera(devices["hanging"], TIMEOUT)
    elapsed = time.monotonic() - began
    assert outcome(result) == ("onvif", "timeout")
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 0.5


async def test_nothing_listening_on_a_loopback_address_is_unreachable():
    session = DeviceSession(Target("gone", "127.0.0.1", free_port(), "admin", PASSWORD))
    result = await probe_camera(session, TIMEOUT)
    assert outcome(result) == ("tcp", "unreachable")
    assert result.failure.reason is Reason.UNREACHABLE
