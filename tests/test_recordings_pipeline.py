"""Simulated NVRs → `tianyan run --once` → `tianyan coverage`: the storage rate by hand,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import main
from tests.campus import (
    PASSWORD,
    PASSWORD_ENV,
    free_port,
    simulator_process,
    small_campus,
    write_yaml,
)

# cam-1..4 on a Hikvision losing a fifth of every day; cam-5..8 on a complete Dahua.
BY_HAND = (4 * 0.8 + 4 * 1.0) / 8


@pytest.fixture
def campus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    data = small_campus()
    data["nvrs"] = [
        {"id": "nvr-a", "kind": "hikvision", "host": "127.0.0.1", "port": free_port()},
        {"id": "nvr-b", "kind": "dahua", "host": "127.0.0.1", "port": free_port()},
    ]
    for n, camera in enumerate(data["cameras"]):
        camera["nvr"] = {"id": "nvr-a" if n < 4 else "nvr-b", "channel": n % 4 + 1}
    site_map = write_yaml(tmp_path / "site-map.yaml", data)
    faults = write_yaml(tmp_path / "faults.yaml", {"nvr-a": {"recording_gaps": 0.2}})
    config = write_yaml(
        tmp_path / "config.yaml", {"site_map": "site-map.yaml", "poll": {"timeout_seconds": 3}}
    )
    last = data["nvrs"][-1]
    with simulator_process(site_map, faults, (last["host"], last["port"])):
        yield config


def _coverage(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["coverage", str(config), "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_once_checks_the_recorders_and_coverage_reads_the_storage_rate(campus, capsys):
    assert main(["run", str(campus), "--once"]) == 0
    out = capsys.readouterr().out
    assert "checked 2 NVRs (2 answered) and the footage of 8 channels" in out
    school = _coverage(campus, capsys)["school"]
    # Time since the search (seconds) counts as unverified: a hair under the hand value.
    assert school["storage"] == pytest.approx(BY_HAND, abs=1e-4)
    assert school["storage"] <= BY_HAND


@pytest.mark.postgres
def test_the_same_storage_rate_on_postgresql(campus, capsys, postgres_url):
    assert main(["run", str(campus), "--once", "--database", postgres_url]) == 0
    school = _coverage(campus, capsys, "--database", postgres_url)["school"]
    assert school["storage"] == pytest.approx(BY_HAND, abs=1e-4)
