"""`tianyan run` as a service: real HTTP endpoints, real exposition checked by promtool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
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


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    data = small_campus()
    site_map = write_yaml(tmp_path / "site-map.yaml", data)
    faults = write_yaml(tmp_path / "faults.yaml", {"cam-4": "offline", "cam-5": "auth_fail"})
    port = free_port()
    config = write_yaml(
        tmp_path / "config.yaml",
        {
            "site_map": "site-map.yaml",
            "listen": f"127.0.0.1:{port}",
            # One cycle, then the service idles: the test reads a settled state.
            "poll": {"interval_seconds": 3600, "timeout_seconds": 2},
        },
    )
    first = data["cameras"][0]["onvif"]
    with simulator_process(site_map, faults, (first["host"], first["port"])):
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "run", str(config)],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if get(f"{base}/-/ready")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            else:
                pytest.fail("the service never became ready")
            yield base, config
        finally:
            proc.terminate()
            output = proc.communicate(timeout=20)[0].decode()
            assert proc.returncode == 0, output
            assert PASSWORD not in output


def test_health_and_index(service):
    base, _ = service
    assert get(f"{base}/-/healthy")[0] == 200
    status, content_type, body = get(f"{base}/")
    assert status == 200 and "text/html" in content_type and "/metrics" in body


def test_metrics_are_served_and_hold_the_state(service):
    base, _ = service
    status, content_type, text = get(f"{base}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert 'tianyan_camera_up{camera="cam-1",campus="east"} 1.0' in text
    assert 'tianyan_camera_up{camera="cam-4",campus="east"} 0.0' in text
    assert (
        'tianyan_camera_probe_failure{camera="cam-5",reason="auth_failed",stage="onvif"} 1.0'
        in text
    )
    assert "tianyan_last_poll_timestamp_seconds" in text
    assert PASSWORD not in text


@pytest.mark.skipif(
    shutil.which("promtool") is None and not os.environ.get("CI"),
    reason="promtool not installed (apt-get install prometheus); CI installs it",
)
def test_promtool_finds_the_real_exposition_clean(service):
    base, _ = service
    text = get(f"{base}/metrics")[2]
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text.encode(), capture_output=True, check=False
    )
    problems = (result.stdout + result.stderr).decode().strip()
    assert result.returncode == 0 and problems == "", problems


def test_api_coverage_equals_the_coverage_command(service, capsys):
    base, config = service
    status, content_type, body = get(f"{base}/api/coverage")
    assert status == 200 and content_type.startswith("application/json")
    capsys.readouterr()
    assert main(["coverage", str(config), "--format", "json"]) == 0
    assert json.loads(body) == json.loads(capsys.readouterr().out)


def test_api_cameras(service):
    base, _ = service
    cameras = {c["id"]: c for c in json.loads(get(f"{base}/api/cameras")[2])["cameras"]}
    assert cameras["cam-1"]["online"] and cameras["cam-1"]["device"]["serial"]
    assert (cameras["cam-5"]["failed_stage"], cameras["cam-5"]["reason"]) == (
        "onvif",
        "auth_failed",
    )
    assert PASSWORD not in json.dumps(cameras)
