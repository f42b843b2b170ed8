"""`tianyan probe`: one camera diagnosed stage by stage, against simulated devices."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from monitor.cli import main
from monitor.simulator.server import Simulator
from monitor.technician import parse_host_port
from monitor.technician.hints import HINTS, clock_warning, format_offset
from tests.campus import PASSWORD, PASSWORD_ENV, faulty_cameras

FAULTS = {
    "healthy": None,
    "wrong-password": "auth_fail",
    "unplugged": "offline",
    "hanging": "hang",
    "beijing-as-utc": {"clock_skew": 28800},
}


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving_in_thread(simulator: Simulator) -> Iterator[Simulator]:
    """Run the simulator on its own event loop, so the CLI can run asyncio.run in this one."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(30)
        yield simulator
    finally:
        asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def devices() -> Iterator[dict[str, str]]:
    """Device name -> HOST:PORT of a running simulated camera with that fault."""
    ports, simulator = faulty_cameras(FAULTS, "Probe Command Test")
    with serving_in_thread(simulator):
        yield {name: f"127.0.0.1:{port}" for name, port in ports.items()}


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.delenv("TIANYAN_CAMERA_PASSWORD", raising=False)


def probe(capsys, address: str, *extra: str, fmt: str = "json") -> tuple[int, str, str]:
    code = main(["probe", address, "--password-env", PASSWORD_ENV, "--format", fmt, *extra])
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out and PASSWORD not in captured.err
    return code, captured.out, captured.err


def probe_json(capsys, address: str, *extra: str) -> tuple[int, dict]:
    code, out, _ = probe(capsys, address, *extra)
    return code, json.loads(out)


def test_healthy_camera_passes_with_the_designed_json(devices, capsys, caplog):
    code, doc = probe_json(capsys, devices["healthy"])
    assert code == 0
    assert doc["ok"] is True
    # The design's keys, with these types; extra keys are allowed.
    assert {"ok", "stages", "device", "clock_offset_seconds"} <= set(doc)
    assert [s["stage"] for s in doc["stages"]] == ["tcp", "onvif", "video", "quality"]
    for stage in doc["stages"]:
        assert {"stage", "ok", "reason", "seconds"} <= set(stage)
        assert stage["ok"] is True and stage["reason"] is None
        assert isinstance(stage["seconds"], float) and stage["seconds"] >= 0
    assert set(doc["device"]) == {"manufacturer", "model", "firmware", "serial"}
    assert all(isinstance(v, str) and v for v in doc["device"].values())
    assert isinstance(doc["clock_offset_seconds"], int | float)
    assert abs(doc["clock_offset_seconds"]) < 2
    assert doc["stages_not_run"] == [] and doc["hint"] is None and doc["clock_warning"] is None
    assert (doc["host"], doc["username"]) == ("127.0.0.1", "admin")
    assert PASSWORD not in caplog.text


def test_healthy_camera_table(devices, capsys):
    code, out, _ = probe(capsys, devices["healthy"], fmt="table")
    assert code == 0
    lines = out.splitlines()
    for stage in ("tcp", "onvif", "video"):
        row = next(line for line in lines if line.strip().startswith(stage))
        assert "✓ pass" in row
    assert "OK: every stage passed" in out
    assert "device        " in out and "serial" in out
    assert "clock offset" in out and "NTP" not in out
    assert "not run" not in out


def test_wrong_password_fails_onvif_with_a_hint_and_never_shows_the_password(devices, capsys):
    code, doc = probe_json(capsys, devices["wrong-password"])
    assert code == 1 and doc["ok"] is False
    assert [(s["stage"], s["ok"], s["reason"]) for s in doc["stages"]] == [
        ("tcp", True, None),
        ("onvif", False, "auth_failed"),
    ]
    assert doc["stages_not_run"] == ["video", "quality"]
    assert doc["failed_stage"] == "onvif"
    assert doc["hint"]["reason"] == "auth_failed"
    assert "password" in doc["hint"]["en"] and "密码" in doc["hint"]["zh"]
    assert all(v is None for v in doc["device"].values())
    # The clock was read before the credentials were refused.
    assert abs(doc["clock_offset_seconds"]) < 2

    code, out, _ = probe(capsys, devices["wrong-password"], fmt="table")
    assert code == 1
    assert "✗ FAIL" in out and "auth_failed" in out
    assert next(line for line in out.splitlines() if line.strip().startswith("video")).split()[
        1:
    ] == ["–", "not", "run"]
    assert HINTS[next(r for r in HINTS if r.value == "auth_failed")].zh in out
    assert "FAILED at stage onvif: auth_failed" in out


def test_unplugged_camera_is_unreachable(devices, capsys):
    code, doc = probe_json(capsys, devices["unplugged"])
    assert code == 1
    assert [(s["stage"], s["reason"]) for s in doc["stages"]] == [("tcp", "unreachable")]
    assert doc["stages_not_run"] == ["onvif", "video", "quality"]
    assert doc["clock_offset_seconds"] is None
    assert set(doc["device"]) == {"manufacturer", "model", "firmware", "serial"}
    assert "cable" in doc["hint"]["en"] and "网线" in doc["hint"]["zh"]

    _, out, _ = probe(capsys, devices["unplugged"], fmt="table")
    assert "device        unknown" in out and "not measured" in out
    assert out.count("not run") == 3


def test_hanging_camera_times_out_within_the_deadline(devices, capsys):
    began = time.monotonic()
    code, doc = probe_json(capsys, devices["hanging"], "--timeout", "1")
    assert time.monotonic() - began < 10  # includes parsing the WSDLs on a first run
    assert code == 1
    assert [(s["stage"], s["reason"]) for s in doc["stages"]] == [
        ("tcp", None),
        ("onvif", "timeout"),
    ]
    assert doc["stages"][1]["seconds"] < 2
    assert "PoE" in doc["hint"]["en"]


def test_clock_eight_hours_ahead_passes_with_a_warning(devices, capsys):
    code, doc = probe_json(capsys, devices["beijing-as-utc"])
    assert code == 0 and doc["ok"] is True
    assert doc["clock_offset_seconds"] == pytest.approx(28800, abs=5)
    assert "NTP" in doc["clock_warning"]["en"]

    code, out, _ = probe(capsys, devices["beijing-as-utc"], fmt="table")
    assert code == 0
    assert "8 h 0 min ahead" in out
    warning = [line for line in out.splitlines() if "recordings' timestamps are wrong" in line]
    assert len(warning) == 1 and "set NTP" in warning[0]
    assert any("NTP 校时" in line for line in out.splitlines())
    assert "OK: every stage passed" in out


def test_without_a_password_the_probe_runs_and_says_why_auth_cannot_pass(
    devices, capsys, monkeypatch
):
    monkeypatch.delenv(PASSWORD_ENV)
    code, doc = probe_json(capsys, devices["healthy"])
    assert code == 1
    assert doc["stages"][0]["ok"] and doc["stages"][1]["reason"] == "auth_failed"
    assert PASSWORD_ENV in doc["notes"][0]["en"]
    _, out, _ = probe(capsys, devices["healthy"], fmt="table")
    assert f"{PASSWORD_ENV} is not set" in out


def test_default_port_user_and_password_variable(devices, capsys, monkeypatch):
    monkeypatch.setenv("TIANYAN_CAMERA_PASSWORD", PASSWORD)
    code = main(["probe", devices["healthy"], "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and PASSWORD not in out
    assert json.loads(out)["username"] == "admin"


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("127.0.0.1:http", "port 'http' is not a number"),
        ("127.0.0.1:0", "port '0' is not a number from 1 to 65535"),
        ("127.0.0.1:", "the port is missing"),
        ("not a host", "is not a host name or IP address"),
        ("[::1", "is not HOST[:PORT]"),
    ],
)
def test_usage_errors_exit_2(address, message, capsys):
    assert main(["probe", address]) == 2
    assert message in capsys.readouterr().err


def test_bad_timeout_and_format_are_usage_errors(capsys):
    assert main(["probe", "127.0.0.1", "--timeout", "0"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["probe", "127.0.0.1", "--format", "xml"])
    assert exit_info.value.code == 2
    capsys.readouterr()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.20.1.11", ("10.20.1.11", 80)),
        ("10.20.1.11:8080", ("10.20.1.11", 8080)),
        ("cam-1.example.edu", ("cam-1.example.edu", 80)),
        ("[fe80::1]:8000", ("fe80::1", 8000)),
        ("fe80::1", ("fe80::1", 80)),
    ],
)
def test_host_port_parsing(text, expected):
    assert parse_host_port(text, 80) == expected


def test_clock_warning_threshold_and_wording():
    assert clock_warning(None) is None and clock_warning(4.9) is None
    assert clock_warning(-5.1) is not None
    assert format_offset(-3600) == "-3600.0 s (camera 1 h 0 min behind)"
    assert format_offset(0.25) == "+0.2 s"


def test_every_reason_has_a_hint_in_both_languages():
    from monitor.probing.result import Reason

    assert set(HINTS) == set(Reason)
    assert all(h.zh and h.en for h in HINTS.values())


def test_probe_and_discover_have_help(capsys):
    for command in ("probe", "discover"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert len(capsys.readouterr().out) > 200
