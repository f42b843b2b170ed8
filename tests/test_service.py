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


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    """One service for the whole module: the tests read, none of them changes it."""
    tmp_path = tmp_path_factory.mktemp("service")
    saved = os.environ.get(PASSWORD_ENV)
    os.environ[PASSWORD_ENV] = PASSWORD
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
            if saved is None:
                os.environ.pop(PASSWORD_ENV, None)
            else:
                os.environ[PASSWORD_ENV] = saved
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


def test_api_availability_and_outages(service):
    base, _ = service
    status, _, body = get(f"{base}/api/availability?period=24h")
    assert status == 200
    report = json.loads(body)
    school = report["school"]
    # cam-4 (refused) and cam-5 (password) have been offline since their first probe.
    assert school["cameras"] == 8 and school["cameras_with_outages"] == 2
    assert 0 < school["ratio"] < 1
    assert report["cameras"]["cam-1"]["ratio"] == 1.0
    assert report["cameras"]["cam-4"]["ratio"] == 0.0
    status, _, body = get(f"{base}/api/outages?period=7d&ongoing=1")
    outages = json.loads(body)["outages"]
    assert {(o["camera"], o["stage"], o["reason"]) for o in outages} == {
        ("cam-4", "tcp", "unreachable"),
        ("cam-5", "onvif", "auth_failed"),
    }
    assert all(o["end"] is None for o in outages)
    status, _, body = get(f"{base}/api/availability?period=yesterday-ish")
    assert status == 400 and "error" in json.loads(body)


def test_availability_metrics_after_the_first_cycle(service):
    base, _ = service
    # Computed in the background once the first cycle is stored.
    deadline = time.monotonic() + 20
    while "tianyan_school_availability_ratio{" not in (text := get(f"{base}/metrics")[2]):
        assert time.monotonic() < deadline, "availability never exported"
        time.sleep(0.2)
    for window in ("24h", "7d", "30d"):
        assert f'tianyan_school_availability_ratio{{window="{window}"}}' in text
    assert 'tianyan_camera_availability_ratio{camera="cam-4",window="24h"} 0.0' in text
    assert 'tianyan_camera_availability_ratio{camera="cam-1",window="7d"} 1.0' in text


def test_availability_command_reads_the_same_history(service, capsys):
    _, config = service
    capsys.readouterr()
    assert main(["availability", str(config), "--period", "24h", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cameras"]["cam-4"]["ratio"] == 0.0
    assert {o["camera"] for o in report["outages"]} == {"cam-4", "cam-5"}
    assert main(["availability", str(config), "--period", "7d"]) == 0
    table = capsys.readouterr().out
    assert "Outages: 2" in table and "cam-5" in table and "onvif/auth_failed" in table
    assert main(["availability", str(config), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("scope,id,cameras,ratio")


def test_the_running_service_serves_the_period_report_map_and_openapi(service):
    base, _ = service
    today = time.strftime("%Y-%m-%d")
    status, content_type, body = get(f"{base}/api/report?from={today}&to={today}")
    assert status == 200, body
    assert content_type.startswith("application/json")
    report = json.loads(body)
    assert PASSWORD not in body and report
    status, _, body = get(f"{base}/api/report?from=not-a-date&to={today}")
    assert status == 400 and "date" in body
    status, content_type, svg = get(f"{base}/api/map.svg")
    assert status == 200 and content_type.startswith("image/svg+xml") and "site-east-gate" in svg
    status, _, body = get(f"{base}/api/openapi.json")
    assert status == 200 and "/api/report" in json.loads(body)["paths"]


def test_api_graph(service):
    base, _ = service
    status, content_type, body = get(f"{base}/api/graph")
    assert status == 200 and content_type.startswith("application/json")
    findings = json.loads(body)
    # small_campus has no roads: no segments, but its single points of failure.
    assert findings["segments"] == [] and findings["blind_routes"] == []
    assert {"site": "east-lab", "camera": "cam-3"}.items() <= next(
        p for p in findings["single_points_of_failure"] if p["site"] == "east-lab"
    ).items()
