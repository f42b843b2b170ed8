"""The whole pipeline on a small simulated campus: simulate → run --once → coverage.

The faults below imply every number; the expected values are worked out by
hand in the comments and must equal what `tianyan coverage` prints.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from monitor.cli import main
from tests.campus import PASSWORD, PASSWORD_ENV, simulator_process, small_campus, write_yaml

FAULTS = {
    "cam-4": "offline",
    "cam-5": "auth_fail",
    "cam-6": {"clock_skew": 28800},  # Beijing time reported as UTC: compensated, online
    "cam-7": "no_snapshot",  # online, but no video: not intact
    "cam-8": "hang",  # accepts, never answers: costs one deadline
}
TIMEOUT = 2.0


@pytest.fixture
def campus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    data = small_campus()
    site_map = write_yaml(tmp_path / "site-map.yaml", data)
    faults = write_yaml(tmp_path / "faults.yaml", FAULTS)
    config = write_yaml(
        tmp_path / "config.yaml",
        {"site_map": "site-map.yaml", "poll": {"timeout_seconds": TIMEOUT, "concurrency": 8}},
    )
    first = data["cameras"][0]["onvif"]
    with simulator_process(site_map, faults, (first["host"], first["port"])):
        yield config, tmp_path


def _coverage(config: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["coverage", str(config), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_numbers_follow_from_the_faults(campus, capsys):
    config, _ = campus
    began = time.monotonic()
    assert main(["run", str(config), "--once"]) == 0
    elapsed = time.monotonic() - began
    # The hanging camera costs the cycle its deadline, no more (plus start-up).
    assert elapsed < TIMEOUT + 8

    report = _coverage(config, capsys)
    school = report["school"]
    # 6 sites; west-library has no camera (0 < 1): install 5/6.
    assert school["install"] == pytest.approx(5 / 6)
    # 8 cameras; offline: cam-4 (refused), cam-5 (password), cam-8 (hang).
    assert school["online"] == pytest.approx(5 / 8)
    # intact: online with video: cam-1, cam-2, cam-3, cam-6 (cam-7 has no snapshot).
    assert school["intact"] == pytest.approx(4 / 8)
    # effective: east-gate (2 intact ≥ 2), east-lab, west-finance (cam-6) → 3/6.
    assert school["effective"] == pytest.approx(3 / 6)
    assert school["storage"] is None  # no recorded channel in scope: absent, not 0

    east, west = report["campuses"]["east"], report["campuses"]["west"]
    assert (east["install"], east["online"], east["intact"]) == (1.0, 0.75, 0.75)
    assert east["effective"] == pytest.approx(2 / 3)
    assert west["install"] == pytest.approx(2 / 3)
    assert (west["online"], west["intact"]) == (0.5, 0.25)
    assert west["effective"] == pytest.approx(1 / 3)

    # 10 − 2 (install) − 2 (intact) − 2 (storage absent counts as not met) = 4;
    # the gate has both face recognition and a vehicle checkpoint.
    assert report["score"]["value"] == 4
    rules = sorted(d["rule"] for d in report["score"]["deductions"])
    assert rules == ["install", "intact", "storage"]

    sites = {s["id"]: s for s in report["sites"]}
    assert (sites["east-gate"]["required"], sites["east-gate"]["installed"]) == (2, 2)
    assert sites["east-gate"]["intact"] == 2
    assert (sites["west-library"]["installed"], sites["west-library"]["intact"]) == (0, 0)


def test_failures_are_classified_and_the_clock_compensated(campus, capsys):
    config, _ = campus
    assert main(["run", str(config), "--once"]) == 0
    from monitor.config import load_config
    from monitor.storage.store import Store

    store = Store.open(load_config(config).database_url)
    try:
        states = store.load_states()
    finally:
        store.close()

    def failure(camera: str) -> tuple[str, str] | None:
        probe = states[camera].last_probe
        assert probe is not None
        f = probe.failure
        return (f.stage.value, f.reason.value) if f and f.reason else None

    assert failure("cam-1") is None
    assert failure("cam-4") == ("tcp", "unreachable")
    assert failure("cam-5") == ("onvif", "auth_failed")  # not "unreachable"
    assert failure("cam-6") is None
    assert failure("cam-7") == ("video", "no_video")
    assert failure("cam-8") == ("onvif", "timeout")
    offset = states["cam-6"].last_probe.clock_offset_seconds
    assert offset == pytest.approx(28800, abs=2)
    assert abs(states["cam-1"].last_probe.clock_offset_seconds) < 2
    assert states["cam-6"].online and states["cam-6"].intact
    device = states["cam-1"].last_probe.device
    assert device is not None and device.manufacturer and device.serial


def test_coverage_table_and_csv_render(campus, capsys):
    config, _ = campus
    assert main(["run", str(config), "--once"]) == 0
    capsys.readouterr()
    assert main(["coverage", str(config), "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "west-library" in table and "95" in table
    assert main(["coverage", str(config), "--format", "csv"]) == 0
    assert "school" in capsys.readouterr().out


def test_no_password_in_logs_database_or_output(campus, capsys, caplog):
    config, directory = campus
    assert main(["run", str(config), "--once"]) == 0
    _coverage(config, capsys)
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err
    assert PASSWORD not in caplog.text
    for path in directory.iterdir():
        if path.suffix in (".sqlite", ".sqlite-wal", ".db"):
            assert PASSWORD.encode() not in path.read_bytes()


@pytest.mark.postgres
def test_the_same_numbers_on_postgresql(campus, capsys, postgres_url):
    config, _ = campus
    assert main(["run", str(config), "--once", "--database", postgres_url]) == 0
    capsys.readouterr()
    assert main(["coverage", str(config), "--database", postgres_url, "--format", "json"]) == 0
    school = json.loads(capsys.readouterr().out)["school"]
    assert (school["online"], school["intact"]) == (5 / 8, 4 / 8)
    assert school["install"] == pytest.approx(5 / 6)
